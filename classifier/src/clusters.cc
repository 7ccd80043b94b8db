#include "classifier/clusters.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "cluster_index.h"
#include "clusters_internal.h"
#include "clusters_stopwords.h"
#include "normalizer.h"

namespace sakchy::classifier {
namespace {

constexpr TimeMs kMinuteMs = 60 * 1000;
constexpr std::int64_t kVelocityMinutes = 60;
constexpr TimeMs kSweepEveryMs = 10 * kMinuteMs;
// A trend is "accelerating" only with at least this many members in the last 10 minutes.
constexpr std::uint32_t kTrendMinRecent = 3;
// Latin word -> transliterated token: at most this many entries per thread, then cleared.
constexpr std::size_t kTranslitCacheEntries = 1 << 16;

using internal::Mix64;

std::uint64_t HashBytes(std::string_view s) {  // FNV-1a, then mixed
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

constexpr bool IsAsciiSeparator(unsigned char c) {
  return c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

// What the tokeniser needs to know of a byte, in one table lookup.
constexpr std::uint8_t kSeparator = 1;  // an ASCII byte that is not a letter or digit
constexpr std::uint8_t kDigit = 2;      // 0-9
constexpr std::uint8_t kLower = 4;      // a-z
constexpr std::uint8_t kAscii = 8;
constexpr int kLeadShift = 4;  // not a UTF-8 continuation byte: starts a code point
constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    if (IsAsciiSeparator(static_cast<unsigned char>(c))) v |= kSeparator;
    if (c >= '0' && c <= '9') v |= kDigit;
    if (c >= 'a' && c <= 'z') v |= kLower;
    if (c < 0x80) v |= kAscii;
    if ((c & 0xC0) != 0x80) v |= 1 << kLeadShift;
    t[c] = v;
  }
  return t;
}();

bool AllLatinLetters(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool IsTld(std::string_view s) {
  static constexpr std::string_view kTlds[] = {"com", "org", "net",  "ru",  "kg",  "uz", "kz",
                                               "io",  "me",  "info", "gov", "edu", "ly", "gl"};
  return std::find(std::begin(kTlds), std::end(kTlds), s) != std::end(kTlds);
}

const internal::Normalizer& SharedNormalizer() {
  static const internal::Normalizer* normalizer = new internal::Normalizer();
  return *normalizer;
}

// The Cyrillic transliteration of one lower-case Latin word ("govoryat" -> "говорят"), by the
// classifier normaliser's rules.
std::string TransliterateWord(std::string_view word) {
  thread_local internal::NormalizedText in;
  thread_local internal::NormalizedText out;
  in.text.assign(word);
  in.orig_begin.resize(word.size());
  in.orig_end.resize(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    in.orig_begin[i] = static_cast<std::uint32_t>(i);
    in.orig_end[i] = static_cast<std::uint32_t>(i + 1);
  }
  if (!SharedNormalizer().Transliterate(in, out)) return std::string(word);
  return out.text;
}

// A set of 64-bit hashes in one open-addressing table (linear probing); 0 is the empty slot, so
// a hash of 0 is stored as 1 (a false stop for one in 2^64 words).
class HashSet {
 public:
  void Build(const std::vector<std::uint64_t>& hashes) {
    std::size_t size = 16;
    while (size < hashes.size() * 4) size <<= 1;
    slots_.assign(size, 0);
    mask_ = size - 1;
    for (std::uint64_t h : hashes) {
      h = h == 0 ? 1 : h;
      std::size_t i = h & mask_;
      while (slots_[i] != 0 && slots_[i] != h) i = (i + 1) & mask_;
      slots_[i] = h;
    }
  }
  bool Contains(std::uint64_t h) const {
    h = h == 0 ? 1 : h;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }

 private:
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
};

class Tokenizer {
 public:
  Tokenizer(const std::vector<std::string>& extra, std::uint64_t seed) : seed_(seed) {
    std::vector<std::uint64_t> stop;
    auto add = [&stop](std::string_view w) {
      stop.push_back(HashBytes(w));
      // A Latin-script stopword also stops its transliteration ("chto" is "что").
      if (AllLatinLetters(w)) stop.push_back(HashBytes(TransliterateWord(w)));
    };
    for (const char* w : internal::kClusterStopwords) add(w);
    for (const auto& w : extra) add(w);
    stop_.Build(stop);
  }

  // Informative token hashes of a normalised text, in order. One pass over the bytes splits the
  // words and hashes them (FNV-1a, then mixed) with what the filters need.
  void Tokens(std::string_view text, std::vector<std::uint64_t>& out) const {
    out.clear();
    thread_local std::vector<Word> words;
    words.clear();
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
      while (i < n && (kByteClass[static_cast<unsigned char>(text[i])] & kSeparator)) ++i;
      if (i == n) break;
      Word w;
      w.begin = static_cast<std::uint32_t>(i);
      std::uint64_t h = 0xcbf29ce484222325ULL;
      std::uint8_t all = 0xFF;  // the class bits every byte of the word has
      std::uint32_t code_points = 0;
      for (; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::uint8_t cls = kByteClass[c];
        if (cls & kSeparator) break;
        h = (h ^ c) * 0x100000001b3ULL;
        all &= cls;
        code_points += (cls >> kLeadShift) & 1;
      }
      w.code_points = code_points;
      w.digits = (all & kDigit) != 0;
      w.latin = (all & kLower) != 0;
      w.ascii = (all & kAscii) != 0;
      w.size = static_cast<std::uint32_t>(i - w.begin);
      w.hash = Mix64(h);
      words.push_back(w);
    }
    auto text_of = [text](const Word& w) { return text.substr(w.begin, w.size); };
    for (std::size_t k = 0; k < words.size(); ++k) {
      const Word& w = words[k];
      if (w.latin && w.size <= 5) {
        const std::string_view word = text_of(w);
        if (word == "http" || word == "https" || word == "www") {
          // A URL the normaliser split into words: "http t co xyz", "https site kg path".
          if (k + 2 < words.size() && text_of(words[k + 1]) == "t" &&
              text_of(words[k + 2]) == "co") {
            k += 3;  // and the link id
            continue;
          }
          const std::size_t end = std::min(words.size(), k + 5);
          for (std::size_t j = k + 1; j < end && words[j].ascii; ++j) {
            if (IsTld(text_of(words[j]))) {
              k = j;
              break;
            }
          }
          continue;
        }
      }
      if (w.code_points < 2 || w.digits) continue;
      std::uint64_t h = w.hash;
      if (stop_.Contains(h)) continue;
      if (w.latin) {
        h = LatinToken(text_of(w), h);
        if (h == 0) continue;
      }
      out.push_back(seed_ ? Mix64(h ^ seed_) : h);
    }
  }

 private:
  struct Word {
    std::uint32_t begin = 0;
    std::uint32_t size = 0;
    std::uint64_t hash = 0;
    std::uint32_t code_points = 0;
    bool digits = true;  // all 0-9
    bool latin = true;   // all a-z
    bool ascii = true;
  };

  // The token of a Latin word: the hash of its transliteration, 0 when that is a stopword.
  std::uint64_t LatinToken(std::string_view word, std::uint64_t latin_hash) const {
    thread_local std::unordered_map<std::uint64_t, std::uint64_t> cache;
    thread_local std::uint64_t cache_owner = 0;
    if (cache_owner != serial_) {  // another tokenizer (other stopwords) used this thread
      cache.clear();
      cache_owner = serial_;
    }
    if (auto it = cache.find(latin_hash); it != cache.end()) return it->second;
    std::uint64_t h = HashBytes(TransliterateWord(word));
    if (stop_.Contains(h) || h == 0) h = 0;
    if (cache.size() >= kTranslitCacheEntries) cache.clear();
    cache.emplace(latin_hash, h);
    return h;
  }

  HashSet stop_;
  const std::uint64_t seed_;
  const std::uint64_t serial_ = NextSerial();  // names this tokenizer in the per-thread cache

  static std::uint64_t NextSerial() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1);
  }
};

// The MinHash functions: h_k(t) = ((t >> 32) ^ x_k) * m_k mod 2^32 (m_k odd), a permutation of
// 32-bit values per function; token hashes are already uniformly mixed, so one multiply mixes
// enough (checked against exact Jaccard in tests/classifier/clusters_test.cc). Fixed forever:
// persisted signatures depend on them.
struct MinHashFunctions {
  std::array<std::uint32_t, kMinHashes> x{};
  std::array<std::uint32_t, kMinHashes> m{};
};
constexpr MinHashFunctions kFunctions = [] {
  MinHashFunctions f;
  std::uint64_t x = 0x5a6b5c4d3e2f1a0bULL;
  for (int k = 0; k < kMinHashes; ++k) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    f.x[k] = static_cast<std::uint32_t>(z);
    f.m[k] = static_cast<std::uint32_t>(z >> 32) | 1;
  }
  return f;
}();

// MinHash of the token set; the signature keeps the top 16 bits of each minimum.
MinHashSignature MinHash(const std::vector<std::uint64_t>& tokens) {
  std::array<std::uint32_t, kMinHashes> mins;
  mins.fill(UINT32_MAX);
  for (std::uint64_t t : tokens) {
    const auto v = static_cast<std::uint32_t>(t >> 32);
    for (int k = 0; k < kMinHashes; ++k) {
      mins[k] = std::min(mins[k], (v ^ kFunctions.x[k]) * kFunctions.m[k]);
    }
  }
  MinHashSignature sig;
  for (int k = 0; k < kMinHashes; ++k) sig[k] = static_cast<std::uint16_t>(mins[k] >> 16);
  return sig;
}

std::string CutUtf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

const Tokenizer& DefaultTokenizer() {
  static const Tokenizer* tokenizer = new Tokenizer({}, 0);
  return *tokenizer;
}

std::int64_t MinuteOf(TimeMs t) { return t >= 0 ? t / kMinuteMs : (t - kMinuteMs + 1) / kMinuteMs; }

void AddMinute(ClusterInfo& c, TimeMs t) {
  std::int64_t m = MinuteOf(t);
  auto& mc = c.minute_counts;
  auto it = std::lower_bound(mc.begin(), mc.end(), m,
                             [](const auto& e, std::int64_t key) { return e.first < key; });
  if (it != mc.end() && it->first == m) {
    ++it->second;
  } else {
    mc.insert(it, {m, 1});
  }
  std::int64_t newest = mc.back().first;
  auto keep = std::lower_bound(mc.begin(), mc.end(), newest - kVelocityMinutes + 1,
                               [](const auto& e, std::int64_t key) { return e.first < key; });
  mc.erase(mc.begin(), keep);
}

std::uint64_t SourceKey(std::string_view channel, std::string_view submitted_by) {
  thread_local std::string key;
  key.assign(channel);
  key.push_back('\0');
  key.append(submitted_by);
  return HashBytes(key);
}

void AddSource(ClusterInfo& c, std::uint64_t key, ReporterKind kind, TimeMs t,
               std::size_t max_sources) {
  auto by_key = [](const ClusterSource& s, std::uint64_t k) { return s.key < k; };
  auto sit = std::lower_bound(c.sources.begin(), c.sources.end(), key, by_key);
  if (sit != c.sources.end() && sit->key == key) {
    sit->first_seen = std::min(sit->first_seen, t);
    sit->last_seen = std::max(sit->last_seen, t);
    sit->kind = std::max(sit->kind, kind);
    return;
  }
  ++c.distinct_sources;
  if (max_sources == 0) return;
  if (c.sources.size() >= max_sources) {  // forget the source seen longest ago
    auto oldest = std::min_element(
        c.sources.begin(), c.sources.end(),
        [](const ClusterSource& a, const ClusterSource& b) { return a.last_seen < b.last_seen; });
    c.sources.erase(oldest);
    sit = std::lower_bound(c.sources.begin(), c.sources.end(), key, by_key);
  }
  c.sources.insert(sit, ClusterSource{key, t, t, kind});
}

void UpdateCluster(ClusterInfo& c, const ClusterInput& r, std::size_t max_sources) {
  ++c.members;
  c.first_seen = std::min(c.first_seen, r.time);
  c.last_seen = std::max(c.last_seen, r.time);
  c.max_severity = std::max(c.max_severity, r.severity);
  AddSource(c, SourceKey(r.channel, r.submitted_by), r.reporter, r.time, max_sources);

  if (!r.area.empty()) {
    auto ait = std::find_if(c.areas.begin(), c.areas.end(),
                            [&r](const ClusterArea& a) { return a.area == r.area; });
    if (ait != c.areas.end()) {
      ait->first_seen = std::min(ait->first_seen, r.time);
      ++ait->count;
    } else {
      c.areas.push_back(ClusterArea{AreaCode(r.area), r.time, 1});
    }
  }

  for (const std::string& cat : r.categories) {
    auto cit = std::find_if(c.categories.begin(), c.categories.end(),
                            [&cat](const CategoryCount& x) { return x.category == cat; });
    if (cit == c.categories.end()) {
      c.categories.push_back(CategoryCount{cat, 0});
      cit = c.categories.end() - 1;
    }
    ++cit->count;
    while (cit != c.categories.begin()) {  // keep sorted: count desc, then name
      auto prev = cit - 1;
      if (prev->count > cit->count ||
          (prev->count == cit->count && prev->category <= cit->category)) {
        break;
      }
      std::iter_swap(prev, cit);
      cit = prev;
    }
  }
  AddMinute(c, r.time);
}

std::size_t ClusterHeapBytes(const ClusterInfo& c) {
  std::size_t n = sizeof(ClusterInfo) + 48;  // record + hash-map node overhead
  n += c.representative_id.capacity() > 15 ? c.representative_id.capacity() : 0;
  n += c.representative_text.capacity() > 15 ? c.representative_text.capacity() : 0;
  n += c.sources.capacity() * sizeof(ClusterSource);
  n += c.areas.capacity() * sizeof(ClusterArea);
  for (const auto& a : c.areas) n += a.area.capacity() > 15 ? a.area.capacity() : 0;
  n += c.categories.capacity() * sizeof(CategoryCount);
  for (const auto& x : c.categories) n += x.category.capacity() > 15 ? x.category.capacity() : 0;
  n += c.minute_counts.capacity() * sizeof(c.minute_counts[0]);
  n += c.spread.alerted_areas.capacity() * sizeof(AreaCode);
  return n;
}

std::string FormatSpan(TimeMs ms) {
  if (ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
  if (ms % kMinuteMs == 0) return std::to_string(ms / kMinuteMs) + " min";
  return std::to_string(ms / 1000) + "s";
}

}  // namespace

std::uint32_t ClusterInfo::MembersWithin(TimeMs now, TimeMs span_ms) const {
  std::int64_t last = MinuteOf(now);
  std::int64_t first = last - std::max<std::int64_t>(1, span_ms / kMinuteMs) + 1;
  std::uint32_t n = 0;
  for (const auto& [minute, count] : minute_counts) {
    if (minute >= first && minute <= last) n += count;
  }
  return n;
}

std::uint32_t ClusterInfo::SourcesWithin(TimeMs now, TimeMs span_ms) const {
  std::uint32_t n = 0;
  for (const auto& s : sources) n += s.last_seen >= now - span_ms && s.last_seen <= now;
  return n;
}

std::uint32_t ClusterInfo::PeopleWithin(TimeMs now, TimeMs span_ms) const {
  std::uint32_t n = 0;
  for (const auto& s : sources) {
    n += s.kind == ReporterKind::kPerson && s.last_seen >= now - span_ms && s.last_seen <= now;
  }
  return n;
}

AreaCode ClusterInfo::MainArea() const {
  const ClusterArea* best = nullptr;
  for (const auto& a : areas) {
    if (best == nullptr || a.count > best->count) best = &a;
  }
  return best ? best->area : AreaCode();
}

int MatchingHashes(const MinHashSignature& a, const MinHashSignature& b) {
  int n = 0;
  for (int k = 0; k < kMinHashes; ++k) n += a[k] == b[k];
  return n;
}

std::string ClusterText(std::string_view raw_text) {
  thread_local internal::NormalizedText normalized;
  SharedNormalizer().Normalize(raw_text, normalized);
  return normalized.text;
}

Fingerprint ComputeFingerprint(std::string_view normalized_text) {
  std::vector<std::uint64_t> tokens;
  DefaultTokenizer().Tokens(normalized_text, tokens);
  return Fingerprint{MinHash(tokens), static_cast<int>(tokens.size())};
}

namespace internal {
void ClusterTokens(std::string_view normalized_text, std::vector<std::uint64_t>& out) {
  DefaultTokenizer().Tokens(normalized_text, out);
}

MinHashSignature MinHashOf(const std::vector<std::uint64_t>& tokens) { return MinHash(tokens); }

}  // namespace internal

// ---- RumourClusterer ----

struct RumourClusterer::Impl {
  struct Entry {
    ClusterInfo info;
    std::uint64_t touched = 0;  // update counter value at the last update
  };

  explicit Impl(ClusterOptions o)
      : options(std::move(o)),
        tokenizer(options.extra_stopwords, options.hash_seed),
        bounded(options.max_cached_clusters > 0 && options.load_cluster) {}

  // Drops members older than the window and (in-memory mode) clusters cold for longer than
  // keep_cold_ms.
  void Advance(TimeMs time) {
    if (time <= newest) return;
    newest = time;
    index.DropOlderThan(newest - options.window_ms);
    if (!bounded && newest - last_sweep >= kSweepEveryMs) {
      last_sweep = newest;
      TimeMs drop_before = newest - options.window_ms - options.keep_cold_ms;
      for (auto it = clusters.begin(); it != clusters.end();) {
        it = it->second.info.last_seen < drop_before ? clusters.erase(it) : std::next(it);
      }
    }
  }

  // The in-memory state of cluster `id`, read back through load_cluster in bounded mode;
  // nullptr when it cannot be had.
  Entry* FindOrLoad(ClusterId id) {
    if (auto it = clusters.find(id); it != clusters.end()) return &it->second;
    if (!bounded) return nullptr;
    ++loads;
    auto loaded = options.load_cluster(id);
    if (!loaded || !loaded->has_value() || (*loaded)->id != id) {
      ++load_failures;
      return nullptr;
    }
    Entry& e = clusters[id];
    e.info = std::move(**loaded);
    return &e;
  }

  Assignment Add(const ClusterInput& r) {
    Advance(r.time);
    Assignment a;
    int token_count = 0;
    if (r.prepared != nullptr) {
      a.signature = r.prepared->signature;
      token_count = r.prepared->tokens;
    } else {
      tokenizer.Tokens(r.text, tokens);
      a.signature = MinHash(tokens);
      token_count = static_cast<int>(tokens.size());
    }
    bool indexable = token_count >= options.min_tokens;
    a.indexed = indexable;

    Entry* best_entry = nullptr;
    if (indexable) {
      // A member seen within the window belongs to a warm cluster (last_seen >= its time).
      const internal::ClusterIndex::Match best =
          index.Best(a.signature, options.min_matching_hashes, r.time - options.window_ms);
      if (best.cluster != 0) {
        best_entry = FindOrLoad(best.cluster);
        if (best_entry != nullptr) a.matching_hashes = best.matching;
      }
    }

    ClusterInfo* c = nullptr;
    if (best_entry != nullptr) {
      c = &best_entry->info;
      a.members_before = c->members;
      a.last_seen_before = c->last_seen;
      best_entry->touched = ++touch_counter;
    } else {
      ClusterId id = next_cluster++;
      if (indexable) {
        Entry& e = clusters[id];
        e.touched = ++touch_counter;
        c = &e.info;
      } else {
        a.detached.emplace();
        c = &*a.detached;
      }
      c->id = id;
      c->representative_id = std::string(r.report_id);
      c->representative_text = CutUtf8(r.display_text.empty() ? r.text : r.display_text,
                                       options.representative_max_bytes);
      c->singleton_only = !indexable;
      c->first_seen = r.time;
      c->last_seen = r.time;
      a.created = true;
    }
    a.cluster = c->id;
    UpdateCluster(*c, r, options.max_sources);
    if (options.spread && !c->singleton_only && c->members >= 2) {
      a.spread = EvaluateSpread(*c, *options.spread, r.time, c->spread);
      if (a.spread->alert) c->spread = a.spread->next_state;
    }
    if (indexable) {
      index.Insert(a.signature, a.cluster, r.time);
      if (options.max_index_reports > 0) index.KeepNewest(options.max_index_reports);
    }
    return a;
  }

  void Trim() {
    if (!bounded || clusters.size() <= options.max_cached_clusters) return;
    // Cold clusters first (no report can join them), then single-member ones, then the least
    // recently updated; down to 90% of the cap so that trimming is amortised.
    const std::size_t keep = options.max_cached_clusters - options.max_cached_clusters / 10;
    const TimeMs warm_after = newest - options.window_ms;
    std::vector<std::pair<std::uint64_t, ClusterId>> order;
    order.reserve(clusters.size());
    for (const auto& [id, e] : clusters) {
      std::uint64_t rank = e.touched;  // < 2^62 in practice
      if (e.info.last_seen >= warm_after) rank |= std::uint64_t{1} << 62;
      if (e.info.members >= 2) rank |= std::uint64_t{1} << 63;
      order.emplace_back(rank, id);
    }
    std::size_t drop = clusters.size() - keep;
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(drop), order.end());
    for (std::size_t i = 0; i < drop; ++i) clusters.erase(order[i].second);
  }

  ClusterOptions options;
  Tokenizer tokenizer;
  const bool bounded;
  std::vector<std::uint64_t> tokens;  // scratch
  internal::ClusterIndex index;
  std::unordered_map<ClusterId, Entry> clusters;
  std::uint64_t touch_counter = 0;
  std::uint64_t loads = 0;
  std::uint64_t load_failures = 0;
  ClusterId next_cluster = 1;
  TimeMs newest = INT64_MIN;
  TimeMs last_sweep = INT64_MIN / 2;
  mutable std::mutex mu;
};

RumourClusterer::RumourClusterer(ClusterOptions options) : impl_(new Impl(std::move(options))) {}
RumourClusterer::~RumourClusterer() { delete impl_; }

const ClusterOptions& RumourClusterer::options() const { return impl_->options; }

Assignment RumourClusterer::Add(const ClusterInput& report) {
  std::lock_guard lock(impl_->mu);
  return impl_->Add(report);
}

Fingerprint RumourClusterer::Prepare(std::string_view normalized_text) const {
  // The tokenizer is immutable after construction (its scratch is per thread): no lock.
  thread_local std::vector<std::uint64_t> tokens;
  impl_->tokenizer.Tokens(normalized_text, tokens);
  return Fingerprint{MinHash(tokens), static_cast<int>(tokens.size())};
}

std::optional<ClusterInfo> RumourClusterer::Get(ClusterId id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->clusters.find(id);
  if (it == impl_->clusters.end()) return std::nullopt;
  return it->second.info;
}

bool RumourClusterer::Visit(ClusterId id, const std::function<void(const ClusterInfo&)>& fn) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->clusters.find(id);
  if (it == impl_->clusters.end()) return false;
  fn(it->second.info);
  return true;
}

std::vector<ClusterInfo> RumourClusterer::Snapshot(std::uint32_t min_members, TimeMs since) const {
  std::vector<ClusterInfo> out;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [id, e] : impl_->clusters) {
      if (e.info.members >= min_members && e.info.last_seen >= since) out.push_back(e.info);
    }
  }
  std::sort(out.begin(), out.end(), [](const ClusterInfo& a, const ClusterInfo& b) {
    return a.last_seen != b.last_seen ? a.last_seen > b.last_seen : a.id < b.id;
  });
  return out;
}

void RumourClusterer::Trim() {
  std::lock_guard lock(impl_->mu);
  impl_->Trim();
}

void RumourClusterer::RestoreCluster(ClusterInfo info) {
  std::lock_guard lock(impl_->mu);
  impl_->next_cluster = std::max(impl_->next_cluster, info.id + 1);
  ClusterId id = info.id;
  Impl::Entry& e = impl_->clusters[id];
  e.info = std::move(info);
  e.touched = ++impl_->touch_counter;
}

void RumourClusterer::RestoreMember(const MinHashSignature& signature, ClusterId cluster,
                                    TimeMs time) {
  std::lock_guard lock(impl_->mu);
  impl_->next_cluster = std::max(impl_->next_cluster, cluster + 1);
  impl_->Advance(time);  // exactly as Add does
  impl_->index.Insert(signature, cluster, time);
  if (impl_->options.max_index_reports > 0) impl_->index.KeepNewest(impl_->options.max_index_reports);
}

void RumourClusterer::RestoreTime(TimeMs time) {
  std::lock_guard lock(impl_->mu);
  impl_->Advance(time);
}

void RumourClusterer::SetNextClusterId(ClusterId next) {
  std::lock_guard lock(impl_->mu);
  impl_->next_cluster = std::max(impl_->next_cluster, next);
}

ClusterId RumourClusterer::next_cluster_id() const {
  std::lock_guard lock(impl_->mu);
  return impl_->next_cluster;
}

RumourClusterer::MemoryStats RumourClusterer::Memory() const {
  std::lock_guard lock(impl_->mu);
  MemoryStats s;
  s.indexed_reports = impl_->index.size();
  s.index_bytes = impl_->index.bytes();
  s.clusters = impl_->clusters.size();
  s.cluster_bytes = impl_->clusters.bucket_count() * sizeof(void*);
  for (const auto& [id, e] : impl_->clusters) s.cluster_bytes += ClusterHeapBytes(e.info);
  s.loads = impl_->loads;
  s.load_failures = impl_->load_failures;
  return s;
}

// ---- Spread signals ----

SpreadDecision EvaluateSpread(const ClusterInfo& cluster, const SpreadThresholds& t, TimeMs now,
                              const SpreadAlertState& state) {
  SpreadDecision d;
  const TimeMs window_start = now - t.sources_window_ms;
  TimeMs earliest = now;
  for (const auto& s : cluster.sources) {
    if (s.last_seen < window_start || s.last_seen > now) continue;
    ++d.sources;
    d.people += s.kind == ReporterKind::kPerson;
    earliest = std::min(earliest, std::max(s.first_seen, window_start));
  }
  d.span_ms = now - earliest;
  d.sources_reached = d.sources >= t.min_sources &&
                      (state.alerted_sources == 0 || d.sources >= 2 * state.alerted_sources);
  d.people_reached = d.people >= t.min_sources && (state.alerted_people < t.min_sources ||
                                                   d.people >= 2 * state.alerted_people);

  if (t.alert_on_new_area && cluster.areas.size() >= 2) {
    for (const auto& a : cluster.areas) {
      if (!std::binary_search(state.alerted_areas.begin(), state.alerted_areas.end(), a.area)) {
        d.new_areas.push_back(a.area);
      }
    }
    d.new_area = !d.new_areas.empty();
  }

  d.recent = cluster.MembersWithin(now, 10 * kMinuteMs);
  std::uint32_t hour = cluster.MembersWithin(now, 60 * kMinuteMs);
  d.before_mean = static_cast<double>(hour - d.recent) / 5.0;
  bool quiet_since_alert = state.last_alert_ms == 0 || now - state.last_alert_ms >= 10 * kMinuteMs;
  const bool faster =
      static_cast<double>(d.recent) >= t.accel_factor * std::max(d.before_mean, 1.0);
  d.accelerating = d.recent >= t.accel_min_recent && faster && quiet_since_alert;
  d.trend = d.recent >= kTrendMinRecent && faster          ? SpreadTrend::kAccelerating
            : static_cast<double>(d.recent) < d.before_mean ? SpreadTrend::kSlowing
                                                             : SpreadTrend::kSteady;
  d.floor = d.people >= t.min_sources    ? t.people_floor
            : d.sources >= t.min_sources ? t.public_floor
                                         : Severity::kInfo;

  d.alert = d.sources_reached || d.people_reached || d.new_area || d.accelerating;
  d.next_state = state;
  if (d.alert) {
    d.next_state.last_alert_ms = now;
    d.next_state.alerted_areas.clear();
    for (const auto& a : cluster.areas) d.next_state.alerted_areas.push_back(a.area);
    std::sort(d.next_state.alerted_areas.begin(), d.next_state.alerted_areas.end());
    if (d.sources_reached) d.next_state.alerted_sources = d.sources;
    d.next_state.alerted_people = d.people;
    ++d.next_state.alerts;
  }
  return d;
}

std::string SpreadReason(const SpreadDecision& d, const SpreadThresholds& t) {
  std::string out;
  auto sep = [&out] {
    if (!out.empty()) out += "; ";
  };
  if (d.sources_reached || d.people_reached) {
    sep();
    out +=
        std::to_string(d.sources) + " distinct sources within " + FormatSpan(t.sources_window_ms);
    if (d.people > 0) out += " (" + std::to_string(d.people) + " people)";
  }
  if (d.new_area) {
    sep();
    out += d.new_areas.size() == 1 ? "new area " : "new areas ";
    for (std::size_t i = 0; i < d.new_areas.size(); ++i) {
      if (i) out += ", ";
      out += d.new_areas[i];
    }
  }
  if (d.accelerating) {
    sep();
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.1f", d.before_mean);
    out += "accelerating: " + std::to_string(d.recent) + " reports in 10 min (" + mean +
           " per 10 min before)";
  }
  return out;
}

SpreadWhy SpreadWhyOf(const SpreadDecision& d) {
  SpreadWhy w;
  w.people = static_cast<int>(d.people);
  w.public_sources = static_cast<int>(d.sources - d.people);
  w.span_ms = d.span_ms;
  w.trend = d.trend;
  w.new_areas = d.new_areas;
  return w;
}

}  // namespace sakchy::classifier
