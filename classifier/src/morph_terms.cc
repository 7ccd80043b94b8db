#include "morph_terms.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <unordered_map>

#include "core/utf8.h"
#include "morphology/morphology.h"
#include "morphology/uzbek_stemmer.h"
#include "rules.h"

namespace sakchy::classifier::internal {
namespace {

// Words of a normalised term (word characters and inner apostrophes) and what follows each.
struct TermWord {
  std::string text;
  std::string separator;
};

std::vector<TermWord> SplitWords(std::string_view normalized) {
  std::vector<TermWord> words;
  std::size_t pos = 0;
  bool in_word = false;
  while (pos < normalized.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(normalized, pos);
    bool word = IsWordChar(c);
    if (!word && c == '\'' && in_word && pos < normalized.size()) {
      std::size_t next = pos;
      word = IsWordChar(DecodeUtf8(normalized, next));
    }
    const std::string_view bytes = normalized.substr(start, pos - start);
    if (word) {
      if (!in_word) words.emplace_back();
      words.back().text += bytes;
    } else if (!words.empty()) {
      words.back().separator += bytes;
    }
    in_word = word;
  }
  if (!words.empty()) words.back().separator.clear();
  return words;
}

// Which normalised words of `term` are pinned: tokens of the term as written that start with '='.
std::vector<bool> PinnedWords(const Normalizer& normalizer, std::string_view term,
                              std::size_t word_count) {
  std::vector<bool> pinned;
  std::size_t pos = 0;
  while (pos < term.size()) {
    while (pos < term.size() && (term[pos] == ' ' || term[pos] == '\t')) ++pos;
    std::size_t end = pos;
    while (end < term.size() && term[end] != ' ' && term[end] != '\t') ++end;
    if (end == pos) break;
    std::string_view token = term.substr(pos, end - pos);
    const bool pin = token.front() == '=';
    if (pin) token.remove_prefix(1);
    const std::size_t words = SplitWords(normalizer.NormalizeTerm(token)).size();
    pinned.insert(pinned.end(), words, pin);
    pos = end;
  }
  if (pinned.size() != word_count) pinned.assign(word_count, false);
  return pinned;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first `n` code points of UTF-8 `s`.
std::string_view FirstCodePoints(std::string_view s, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t k = 0; k < n && pos < s.size(); ++k) DecodeUtf8(s, pos);
  return s.substr(0, pos);
}

// Code points of a stemmed word's candidate prefix: 3 when it starts the literal (a shorter
// literal hits too many words to verify), 2 after exact words (өч ал-абыз).
constexpr std::size_t kMinLeadingCandidate = 3;
constexpr std::size_t kMinCandidate = 2;

// Fills `w` as a stemmed word when some analyser gives `word` a usable stem.
bool StemTermWord(const std::string& word, std::uint8_t langs, std::size_t min_candidate,
                  MorphWord& w) {
  const std::uint8_t analysers = langs != kLangAll ? langs : morphology::AnalysersByScript(word);
  std::size_t candidate = CodePoints(word);
  morphology::Stem stem;
  for (std::uint8_t bit : {kLangRu, kLangKy, kLangUz, kLangEn}) {
    if ((analysers & bit) == 0 || !morphology::StemWord(bit, word, stem)) continue;
    std::size_t kept = stem.kept;
    const std::size_t stem_length = CodePoints(stem.text);
    if (stem.alternates && kept >= stem_length) kept = stem_length - 1;  // тарак: тараг-ы
    if (kept < min_candidate) continue;
    candidate = std::min(candidate, kept);
    w.stems.push_back(
        StemVariant{bit, stem.negated, stem.text, ToScanEncoding(FirstCodePoints(word, kept))});
  }
  if (w.stems.empty()) return false;
  w.kind = MorphWord::Kind::kStem;
  w.scan = ToScanEncoding(FirstCodePoints(word, candidate));
  return true;
}

// The stem ids of recent candidate words, per thread: (analyser, word in scan bytes) -> stem id
// (MorphStems), in an open-addressing table whose words' bytes are in `words`. Words repeat across
// texts (Zipf), so most candidates are stemmed once; the table is emptied when it reaches
// kStemCacheSize entries, and when the thread moves to the terms of another MorphStems.
constexpr std::size_t kStemCacheSize = 16384;
constexpr std::size_t kInitialCacheSlots = 1024;  // a power of two; at most 2 * kStemCacheSize

struct CacheSlot {
  std::uint64_t hash = 0;
  std::uint32_t gen = 0;  // valid when equal to StemCache::gen
  std::uint32_t word_begin = 0;  // in StemCache::words
  std::uint32_t word_size = 0;
  std::uint32_t stem = kNoStem;
  std::uint8_t lang = 0;
  bool ok = false;
  bool negated = false;
};

struct StemCache {
  std::vector<CacheSlot> slots = std::vector<CacheSlot>(kInitialCacheSlots);
  std::string words;
  std::size_t used = 0;
  std::uint32_t gen = 1;
  std::uint64_t owner = 0;  // MorphStems::instance() of the ids

  void Clear() {
    used = 0;
    words.clear();
    if (++gen == 0) {  // wrapped: forget every slot
      std::fill(slots.begin(), slots.end(), CacheSlot{});
      gen = 1;
    }
  }
};

// The stem ids of this text's words, per thread: (word start, analyser) -> stem, in an
// open-addressing table whose slots are valid when their stamp is the text's. It only grows, so a
// text allocates only when it has more candidate words than any text before it on this thread.
struct MemoSlot {
  std::uint64_t stamp = 0;
  std::uint32_t pos = 0;
  std::uint8_t lang = 0;
  bool ok = false;
  bool negated = false;
  std::uint32_t stem = kNoStem;
};

constexpr std::size_t kInitialMemoSlots = 256;  // a power of two

struct VerifyScratch {
  std::string word;
  morphology::Stem stem;
  StemCache cache;
  const MorphStems* stems = nullptr;  // of the text being scanned (StartMorphText)
  std::vector<MemoSlot> memo = std::vector<MemoSlot>(kInitialMemoSlots);
  std::size_t memo_used = 0;
  std::uint64_t stamp = 1;
  // Per term: the number of the last ResolveMorphLiteral call that verified it.
  std::vector<std::uint32_t> tried;
  std::uint32_t call = 0;
};
thread_local VerifyScratch t_verify;

struct WordStem {
  bool ok;
  bool negated;
  std::uint32_t stem;  // MorphStems id, kNoStem when no term has it
};

std::size_t MemoHash(std::uint32_t pos, std::uint8_t lang, std::size_t mask) {
  return static_cast<std::size_t>(((std::uint64_t{pos} << 4 | lang) * 0x9E3779B97F4A7C15ull) >>
                                  40) &
         mask;
}

// Doubles the memo table, keeping this text's entries.
void GrowMemo(VerifyScratch& s) {
  std::vector<MemoSlot> old(s.memo.size() * 2);
  old.swap(s.memo);
  const std::size_t mask = s.memo.size() - 1;
  for (const MemoSlot& slot : old) {
    if (slot.stamp != s.stamp) continue;
    std::size_t i = MemoHash(slot.pos, slot.lang, mask);
    while (s.memo[i].stamp == s.stamp) i = (i + 1) & mask;
    s.memo[i] = slot;
  }
}

std::uint64_t WordHash(std::uint8_t lang, const char* p, std::size_t n) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = (std::uint64_t{n} << 8 | lang) * kMul;
  while (n > 0) {
    std::uint64_t v = 0;
    const std::size_t k = std::min<std::size_t>(8, n);
    std::memcpy(&v, p, k);
    h = (h ^ v) * kMul;
    h ^= h >> 29;
    p += k;
    n -= k;
  }
  return h ^ (h >> 32);
}

// Doubles the cache table, keeping its entries.
void GrowCache(StemCache& c) {
  std::vector<CacheSlot> old(c.slots.size() * 2);
  old.swap(c.slots);
  const std::size_t mask = c.slots.size() - 1;
  for (const CacheSlot& slot : old) {
    if (slot.gen != c.gen) continue;
    std::size_t i = slot.hash & mask;
    while (c.slots[i].gen == c.gen) i = (i + 1) & mask;
    c.slots[i] = slot;
  }
}

// The stem id under `lang` of the word text[begin, end), from the cache or the stemmer.
const CacheSlot& CachedStemOf(VerifyScratch& s, const MatchText& text, std::size_t begin,
                              std::size_t end, std::uint8_t lang) {
  StemCache& c = s.cache;
  const char* const word = text.text.data() + begin;
  const std::size_t size = end - begin;
  const std::uint64_t hash = WordHash(lang, word, size);
  std::size_t mask = c.slots.size() - 1;
  std::size_t i = hash & mask;
  while (c.slots[i].gen == c.gen) {
    const CacheSlot& slot = c.slots[i];
    if (slot.hash == hash && slot.lang == lang && slot.word_size == size &&
        std::memcmp(c.words.data() + slot.word_begin, word, size) == 0) {
      return slot;
    }
    i = (i + 1) & mask;
  }
  s.word.clear();
  AppendScanAsUtf8(std::string_view(word, size), s.word);
  const bool ok = morphology::StemWord(lang, s.word, s.stem);
  const std::uint32_t stem = s.stems != nullptr ? s.stems->Find(lang, s.stem.text) : kNoStem;
  if (c.used >= kStemCacheSize) c.Clear();
  if (2 * (c.used + 1) > c.slots.size()) GrowCache(c);
  mask = c.slots.size() - 1;
  i = hash & mask;
  while (c.slots[i].gen == c.gen) i = (i + 1) & mask;
  CacheSlot& slot = c.slots[i];
  slot = CacheSlot{hash, c.gen, static_cast<std::uint32_t>(c.words.size()),
                   static_cast<std::uint32_t>(size), stem, lang, ok, s.stem.negated};
  c.words.append(word, size);
  ++c.used;
  return slot;
}

// The stem id of the word text[begin, end) under `lang`, looked up at most once per text.
WordStem StemAt(const MatchText& text, std::size_t begin, std::size_t end, std::uint8_t lang) {
  VerifyScratch& s = t_verify;
  const auto pos = static_cast<std::uint32_t>(begin);
  std::size_t mask = s.memo.size() - 1;
  std::size_t i = MemoHash(pos, lang, mask);
  while (s.memo[i].stamp == s.stamp) {
    const MemoSlot& slot = s.memo[i];
    if (slot.pos == pos && slot.lang == lang) return WordStem{slot.ok, slot.negated, slot.stem};
    i = (i + 1) & mask;
  }
  const CacheSlot& c = CachedStemOf(s, text, begin, end, lang);
  const WordStem stem{c.ok, c.negated, c.stem};
  if (2 * (s.memo_used + 1) > s.memo.size()) {
    GrowMemo(s);
    mask = s.memo.size() - 1;
    i = MemoHash(pos, lang, mask);
    while (s.memo[i].stamp == s.stamp) i = (i + 1) & mask;
  }
  s.memo[i] = MemoSlot{s.stamp, pos, lang, stem.ok, stem.negated, stem.stem};
  ++s.memo_used;
  return stem;
}

bool IsWordByte(const MatchText& text, std::size_t pos) {
  return (text.flags[pos] & MatchText::kWord) != 0;
}

bool BytesAt(const MatchText& text, std::size_t pos, std::string_view bytes) {
  return pos + bytes.size() <= text.size &&
         std::memcmp(text.text.data() + pos, bytes.data(), bytes.size()) == 0;
}

bool StemMatches(const MorphWord& w, const MatchText& text, std::size_t begin, std::size_t end) {
  for (const StemVariant& v : w.stems) {
    if (end - begin < v.prefix.size() || !BytesAt(text, begin, v.prefix)) continue;
    const WordStem stem = StemAt(text, begin, end, v.lang);
    if (stem.ok && stem.negated == v.negated && stem.stem == v.stem_id && stem.stem != kNoStem) {
      return true;
    }
  }
  return false;
}

// Up to 8 bytes of `text` from `pos` (the missing ones zero), in the byte order MorphNext uses.
std::uint64_t Load8(const MatchText& text, std::size_t pos) {
  std::uint64_t v = 0;
  if (pos < text.size) {
    std::memcpy(&v, text.text.data() + pos, std::min<std::size_t>(8, text.size - pos));
  }
  return v;
}

// MorphNext of `term` whose lead word is words[lead].
MorphNext NextAfterLead(const MorphTerm& term, std::size_t lead) {
  if (lead + 1 >= term.words.size()) return {};
  const std::string after = term.words[lead].separator + term.words[lead + 1].scan;
  const std::size_t n = std::min<std::size_t>(8, after.size());
  MorphNext next;
  std::memcpy(&next.bytes, after.data(), n);
  const std::uint64_t ones = ~std::uint64_t{0};
  std::memcpy(&next.mask, &ones, n);  // the first n bytes, in the byte order of `bytes`
  return next;
}

std::atomic<std::uint64_t> g_next_stems{1};

}  // namespace

MorphStems::MorphStems() : instance_(g_next_stems.fetch_add(1)) {}

std::uint32_t MorphStems::Intern(std::uint8_t lang, std::string_view stem) {
  std::string key(1, static_cast<char>(lang));
  key += stem;
  return ids_.emplace(std::move(key), static_cast<std::uint32_t>(ids_.size())).first->second;
}

std::uint32_t MorphStems::Find(std::uint8_t lang, std::string_view stem) const {
  std::string key(1, static_cast<char>(lang));
  key += stem;
  const auto it = ids_.find(key);
  return it == ids_.end() ? kNoStem : it->second;
}

std::optional<MorphTerm> CompileMorphTerm(const Normalizer& normalizer, std::string_view term,
                                          bool prefix, std::uint8_t langs) {
  const std::vector<TermWord> words = SplitWords(normalizer.NormalizeTerm(term));
  if (words.empty()) return std::nullopt;
  const std::vector<bool> pinned = PinnedWords(normalizer, term, words.size());
  MorphTerm out;
  bool stemmed = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    MorphWord w;
    w.written = words[i].text;
    w.separator = ToScanEncoding(words[i].separator);
    const bool last = i + 1 == words.size();
    if (last && prefix) {
      w.kind = MorphWord::Kind::kPrefix;
    } else if (!pinned[i] &&
               StemTermWord(words[i].text, langs,
                            stemmed || i > 0 ? kMinCandidate : kMinLeadingCandidate, w)) {
      stemmed = true;
    }
    if (w.kind != MorphWord::Kind::kStem) w.scan = ToScanEncoding(words[i].text);
    out.words.push_back(std::move(w));
  }
  if (!stemmed) return std::nullopt;
  out.key = prefix ? "M*" : "M";
  for (const MorphWord& w : out.words) {
    out.key += static_cast<char>('0' + static_cast<int>(w.kind));
    out.key += w.scan + '\x01' + w.separator + '\x01';
    for (const StemVariant& v : w.stems) {
      out.key += static_cast<char>('0' + v.lang);
      out.key += (v.negated ? "-" : "+") + v.stem + '\x02';
    }
  }
  for (const MorphWord& w : out.words) {  // exact words, then the first other word's literal
    out.scan += w.scan;
    if (w.kind != MorphWord::Kind::kExact) break;
    out.scan += w.separator;
  }
  return out;
}


std::size_t WordEnd(const MatchText& text, std::size_t pos) {
  while (pos < text.size) {
    if (IsWordByte(text, pos)) {
      ++pos;
    } else if (text.text[pos] == '\'' && pos > 0 && IsWordByte(text, pos - 1) &&
               pos + 1 < text.size && IsWordByte(text, pos + 1)) {
      ++pos;
    } else {
      break;
    }
  }
  return pos;
}

std::optional<MorphTerm> CompileUzbekTwin(const Normalizer& normalizer, std::string_view term,
                                          bool prefix, std::uint8_t langs) {
  if ((langs & kLangUz) == 0) return std::nullopt;
  std::string normalized;  // tokens normalised, their '=' pins kept
  std::size_t pos = 0;
  while (pos < term.size()) {
    while (pos < term.size() && (term[pos] == ' ' || term[pos] == '\t')) ++pos;
    std::size_t end = pos;
    while (end < term.size() && term[end] != ' ' && term[end] != '\t') ++end;
    if (end == pos) break;
    std::string_view token = term.substr(pos, end - pos);
    if (!normalized.empty()) normalized += ' ';
    if (token.front() == '=') {
      normalized += '=';
      token.remove_prefix(1);
    }
    normalized += normalizer.NormalizeTerm(token);
    pos = end;
  }
  if (langs == kLangAll) {  // no language: only with a letter of Uzbek alone
    bool uzbek = false;
    std::size_t p = 0;
    char32_t previous = 0;
    while (p < normalized.size() && !uzbek) {
      const char32_t c = DecodeUtf8(normalized, p);
      std::size_t q = p;
      const char32_t next = p < normalized.size() ? DecodeUtf8(normalized, q) : 0;
      // Cyrillic ў қ ғ ҳ; Latin o' g' and q not followed by u (English words have none).
      uzbek = c == U'ў' || c == U'қ' || c == U'ғ' || c == U'ҳ' ||
              (c == '\'' && (previous == 'o' || previous == 'g')) || (c == 'q' && next != 'u');
      previous = c;
    }
    if (!uzbek) return std::nullopt;
  }
  const std::optional<std::string> twin = morphology::UzbekOtherScript(normalized);
  if (!twin) return std::nullopt;
  return CompileMorphTerm(normalizer, *twin, prefix, kLangUz);
}

std::size_t LeadWord(const MorphTerm& term) {
  std::size_t i = 0;
  while (i < term.words.size() && term.words[i].kind == MorphWord::Kind::kExact) ++i;
  return i;
}

std::size_t VerifyMorphTerm(const MorphTerm& term, const MatchText& text, std::size_t from,
                            std::size_t known) {
  std::size_t pos = from;
  for (std::size_t i = 0; i < term.words.size(); ++i) {
    const MorphWord& w = term.words[i];
    const std::size_t end = WordEnd(text, pos);
    if (end == pos) return 0;
    switch (w.kind) {
      case MorphWord::Kind::kExact:
        if (end - pos != w.scan.size() || !BytesAt(text, pos, w.scan)) return 0;
        break;
      case MorphWord::Kind::kPrefix:
        if (end - pos < w.scan.size() || !BytesAt(text, pos, w.scan)) return 0;
        break;
      case MorphWord::Kind::kStem:
        if (i == known) break;
        if (!BytesAt(text, pos, w.scan) || !StemMatches(w, text, pos, end)) return 0;
        break;
    }
    if (i + 1 == term.words.size()) return end;
    if (!BytesAt(text, end, w.separator)) return 0;
    pos = end + w.separator.size();
  }
  return 0;
}

std::vector<MorphLiteral> GroupMorphLiterals(std::vector<MorphTerm>& terms, MorphStems& stems) {
  for (MorphTerm& term : terms) {
    for (MorphWord& w : term.words) {
      for (StemVariant& v : w.stems) v.stem_id = stems.Intern(v.lang, v.stem);
    }
  }
  std::vector<MorphLiteral> literals;
  std::unordered_map<std::string, std::uint32_t> literal_index;  // lead offset, scan -> literal
  for (std::uint32_t t = 0; t < terms.size(); ++t) {
    const MorphTerm& term = terms[t];
    const std::size_t lead = LeadWord(term);
    if (lead == term.words.size()) continue;  // not made by CompileMorphTerm
    const auto lead_offset =
        static_cast<std::uint32_t>(term.scan.size() - term.words[lead].scan.size());
    const auto [it, inserted] = literal_index.emplace(
        std::to_string(lead_offset) + '\x01' + term.scan,
        static_cast<std::uint32_t>(literals.size()));
    if (inserted) literals.push_back(MorphLiteral{term.scan, lead_offset, {}});
    MorphLiteral& literal = literals[it->second];
    for (const StemVariant& v : term.words[lead].stems) {
      auto same = [&v](const MorphLead& l) {
        return l.lang == v.lang && l.negated == v.negated && l.stem == v.stem &&
               l.prefix == v.prefix;
      };
      auto group = std::find_if(literal.leads.begin(), literal.leads.end(), same);
      if (group == literal.leads.end()) {
        group = literal.leads.insert(literal.leads.end(),
                                     MorphLead{v.lang, v.negated, v.stem, v.stem_id, v.prefix, {}});
      }
      if (group->terms.empty() || group->terms.back() != t) {
        group->terms.push_back(t);
        group->next.push_back(NextAfterLead(term, lead));
      }
    }
  }
  for (MorphLiteral& literal : literals) {
    for (std::uint32_t g = 0; g < literal.leads.size(); ++g) {
      const MorphLead& lead = literal.leads[g];
      literal.langs |= lead.lang;
      literal.by_stem.emplace_back(lead.stem_id, g);
    }
    std::sort(literal.by_stem.begin(), literal.by_stem.end());
  }
  return literals;
}

void ResolveMorphLiteral(const MorphLiteral& literal, const std::vector<MorphTerm>& terms,
                         const MatchText& text, std::size_t from, std::vector<MorphHit>& out) {
  const std::size_t lead = from + literal.lead_offset;
  const std::size_t end = WordEnd(text, lead);
  if (end == lead) return;  // no word: no term matches (VerifyMorphTerm would return 0)
  const std::uint64_t after = Load8(text, end);
  VerifyScratch& s = t_verify;
  if (s.tried.size() < terms.size()) s.tried.resize(terms.size(), 0);
  const std::uint32_t call = ++s.call;
  if (call == 0) {  // wrapped: forget every stamp
    std::fill(s.tried.begin(), s.tried.end(), 0);
    s.call = 1;
  }
  for (std::uint8_t lang : {kLangRu, kLangKy, kLangUz, kLangEn}) {
    if ((literal.langs & lang) == 0) continue;
    const WordStem stem = StemAt(text, lead, end, lang);
    if (!stem.ok || stem.stem == kNoStem) continue;
    // The groups with this stem id (ids are per analyser): a literal of one group compares it
    // directly; others look it up in the sorted (id, group) pairs.
    static constexpr std::pair<std::uint32_t, std::uint32_t> kOnlyGroup = {0, 0};
    const std::pair<std::uint32_t, std::uint32_t>* first = nullptr;
    const std::pair<std::uint32_t, std::uint32_t>* last = nullptr;
    if (literal.leads.size() == 1) {
      if (literal.leads[0].stem_id != stem.stem) continue;
      first = &kOnlyGroup;
      last = first + 1;
    } else {
      const auto* begin = literal.by_stem.data();
      const auto* stop = begin + literal.by_stem.size();
      first = std::lower_bound(begin, stop, std::pair<std::uint32_t, std::uint32_t>{stem.stem, 0});
      last = first;
      while (last != stop && last->first == stem.stem) ++last;
    }
    for (const auto* it = first; it != last; ++it) {
      const MorphLead& group = literal.leads[it->second];
      if (stem.negated != group.negated) continue;
      if (end - lead < group.prefix.size() || !BytesAt(text, lead, group.prefix)) continue;
      for (std::size_t k = 0; k < group.terms.size(); ++k) {
        // The bytes after the lead word must start the term's separator and next word.
        if ((after & group.next[k].mask) != group.next[k].bytes) continue;
        const std::uint32_t t = group.terms[k];
        // A term with several analysers is in several groups: verify it once.
        if (s.tried[t] == s.call) continue;
        s.tried[t] = s.call;
        const MorphTerm& term = terms[t];
        // A one-word term is its lead word: VerifyMorphTerm would return its end.
        const std::size_t match_end =
            term.words.size() == 1 ? end : VerifyMorphTerm(term, text, from, LeadWord(term));
        if (match_end != 0) out.push_back(MorphHit{t, static_cast<std::uint32_t>(match_end)});
      }
    }
  }
}

void StartMorphText(const MorphStems& stems) {
  VerifyScratch& s = t_verify;
  ++s.stamp;
  s.memo_used = 0;
  s.stems = &stems;
  if (s.cache.owner != stems.instance()) {  // ids of another rule set
    s.cache.Clear();
    s.cache.owner = stems.instance();
  }
}

bool LooksLikeSurname(const MatchText& text, std::string_view original, std::size_t from,
                      std::size_t literal_end, std::size_t word_end) {
  std::size_t pos = text.orig_begin[from];
  if (pos >= original.size()) return false;
  if (!u_isupper(static_cast<UChar32>(DecodeUtf8(original, pos)))) return false;
  if (pos >= original.size() || !u_islower(static_cast<UChar32>(DecodeUtf8(original, pos)))) {
    return false;
  }
  thread_local std::string tail;
  tail.clear();
  if (literal_end < word_end) {
    AppendScanAsUtf8(std::string_view(text.text.data() + literal_end, word_end - literal_end),
                     tail);
  }
  std::u32string letters;
  std::size_t p = 0;
  while (p < tail.size()) letters.push_back(DecodeUtf8(tail, p));
  for (std::size_t i = 0; i + 1 < letters.size(); ++i) {
    const char32_t a = letters[i];
    if ((a == U'о' || a == U'е' || a == U'ё') && letters[i + 1] == U'в' &&
        letters.size() - (i + 2) <= 5) {
      return true;
    }
  }
  static const std::string kUulu = ToScanEncoding("уулу");
  static const std::string kKyzy = ToScanEncoding("кызы");
  if (word_end < text.size && text.text[word_end] == ' ') {
    for (const std::string* next : {&kUulu, &kKyzy}) {
      const std::size_t after = word_end + 1 + next->size();
      if (BytesAt(text, word_end + 1, *next) && (after >= text.size || !IsWordByte(text, after))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace sakchy::classifier::internal
