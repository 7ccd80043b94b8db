// Scanning a text: the Hyperscan scan with its match callbacks (word boundaries, stemmed-term
// verification, the proper-name test) and the words with masked letters.
#include "classifier_impl.h"

namespace sakchy::classifier::engine {
namespace {

struct ThreadScratch {
  std::uint64_t owner = 0;
  hs_scratch_t* scratch = nullptr;
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};
thread_local ThreadScratch t_scratch;

}  // namespace

void ClassifierImpl::MatchMasked(const MatchText& text, std::vector<Hit>& hits) const {
  for (const MatchText::Masked& m : text.masked) {
    const char32_t* chars = text.masked_chars.data() + m.offset;
    // Visible letters equal over `n` positions, more letters than masks, at least one mask.
    auto fits = [chars](const std::u32string& word, std::size_t n) {
      std::size_t masks = 0;
      for (std::size_t k = 0; k < n; ++k) {
        if (chars[k] == MatchText::kMasked) {
          ++masks;
        } else if (chars[k] != word[k]) {
          return false;
        }
      }
      return masks > 0 && masks < n - masks;
    };
    if (m.length < mask_exact_.size()) {
      for (const MaskEntry& e : mask_exact_[m.length]) {
        if (fits(e.word, m.length)) hits.push_back(Hit{e.pattern, m.orig_begin, m.orig_end});
      }
    }
    for (const MaskEntry& e : mask_prefix_) {
      if (e.word.size() <= m.length && fits(e.word, e.word.size())) {
        hits.push_back(Hit{e.pattern, m.orig_begin, m.orig_end});
      }
    }
  }
}

hs_scratch_t* ClassifierImpl::Scratch() const {
  if (t_scratch.owner != instance_) {
    if (t_scratch.scratch != nullptr) hs_free_scratch(t_scratch.scratch);
    t_scratch.scratch = nullptr;
    t_scratch.owner = 0;
    if (hs_clone_scratch(prototype_, &t_scratch.scratch) != HS_SUCCESS) return nullptr;
    t_scratch.owner = instance_;
  }
  return t_scratch.scratch;
}

struct ScanContext {
  const PatternMeta* patterns;
  const MatchText* text;
  std::vector<Hit>* hits;
  const ClassifierImpl* classifier;
  std::vector<internal::MorphHit>* morph_hits;
  std::string_view original;  // the text as given, for the proper-name test
  bool skip_proper_names;
};

void ClassifierImpl::OnMorphMatch(const ScanContext& c, unsigned int id, std::size_t to) {
  const ClassifierImpl& self = *c.classifier;
  const internal::MorphLiteral& literal = self.morph_literals_[id - self.morph_literal_base_];
  const MatchText& text = *c.text;
  const std::size_t length = literal.scan.size();
  if (to > text.size || to < length || length == 0) return;
  const std::size_t from = to - length;
  if ((text.flags[from] & MatchText::kContinuation) != 0) return;
  if (from > 0 && (text.flags[from - 1] & MatchText::kWord) != 0) return;
  c.morph_hits->clear();
  internal::ResolveMorphLiteral(literal, self.morph_terms_, text, from, *c.morph_hits);
  if (c.morph_hits->empty()) return;
  if (c.skip_proper_names &&
      internal::LooksLikeSurname(text, c.original, from, to, internal::WordEnd(text, from))) {
    return;
  }
  const std::uint32_t begin = text.OriginalBegin(from);
  for (const internal::MorphHit& h : *c.morph_hits) {
    c.hits->push_back(Hit{self.morph_patterns_[h.term], begin, text.OriginalEnd(h.end)});
  }
}

int ClassifierImpl::OnMatch(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                            unsigned int /*flags*/, void* ctx) {
  const auto* c = static_cast<const ScanContext*>(ctx);
  if (id >= c->classifier->morph_literal_base_) {
    OnMorphMatch(*c, id, to);
    return 0;
  }
  // Literals and the text are in the scan encoding, so a match that starts on the first byte of
  // a code point ends on the last byte of one; text->flags tells code point starts and whether
  // the code point before `from` or at `to` is a word character.
  const std::size_t size = c->text->size;
  const std::uint8_t* flags = c->text->flags.data();
  const PatternMeta& pattern = c->patterns[id];
  const std::size_t length = pattern.length;  // start = end - length
  if (to > size || to < length || length == 0) return 0;
  const std::size_t from = to - length;
  if ((flags[from] & MatchText::kContinuation) != 0) return 0;  // inside an escaped code point
  if (from > 0 && (flags[from - 1] & MatchText::kWord) != 0) return 0;
  std::size_t end = to;
  if (end < size && (flags[end] & MatchText::kWord) != 0) {
    if (!pattern.prefix) return 0;
    while (end < size && (flags[end] & MatchText::kWord) != 0) ++end;  // the whole word
  }
  if (c->skip_proper_names && pattern.prefix &&
      internal::LooksLikeSurname(*c->text, c->original, from, to, end)) {
    return 0;
  }
  c->hits->push_back(Hit{id, c->text->OriginalBegin(from), c->text->OriginalEnd(end)});
  return 0;
}

void ClassifierImpl::Scan(const MatchText& text, std::string_view original,
                          std::vector<Hit>& hits,
                          std::vector<internal::MorphHit>& morph_hits) const {
  // `text` is the normalised text followed by its transliterated Latin runs (one pass).
  if (database_ == nullptr || text.size == 0) return;
  hs_scratch_t* scratch = Scratch();
  if (scratch == nullptr) return;
  if (!morph_literals_.empty()) internal::StartMorphText(morph_stems_);
  ScanContext ctx{pattern_meta_.data(), &text,    &hits, this, &morph_hits, original,
                  skip_proper_names_};
  hs_scan(database_, text.text.data(), static_cast<unsigned int>(text.size), 0, scratch,
          &ClassifierImpl::OnMatch, &ctx);
}

}  // namespace sakchy::classifier::engine
