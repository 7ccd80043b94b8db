#include "model_tables.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "model_text.h"

namespace sakchy::classifier::internal {
namespace {

constexpr std::string_view kEos = "</s>";

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Per-thread working memory of Predict: grows to the longest token seen, then stays.
struct Scratch {
  std::string token;
  std::string wrapped;  // "<" + token + ">"
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Sums the rows of one prediction.
struct Accumulator {
  const ModelTables& m;
  double sum[kMaxModelLabels] = {};
  std::uint64_t count = 0;
  // The hashes of the last word_ngrams - 1 tokens (as fastText keeps them: int32).
  std::int32_t history[kMaxWordNgrams] = {};
  int history_size = 0;

  void AddRow(const float* row, std::uint32_t ids) {
    for (int l = 0; l < m.labels; ++l) sum[l] += row[l];
    count += ids;
  }
  void AddBucket(std::uint64_t b) {
    AddRow(&m.bucket_rows[static_cast<std::size_t>(b) * static_cast<std::size_t>(m.labels)], 1);
  }

  // Dictionary::computeSubwords over "<word>": n-grams of minn..maxn code points, except the
  // single "<" and ">"; hashed incrementally (an n-gram extends the one before it).
  void AddSubwords(std::string_view w) {
    const std::size_t size = w.size();
    for (std::size_t i = 0; i < size; ++i) {
      if (IsContinuation(w[i])) continue;
      std::uint32_t h = 2166136261u;
      std::size_t j = i;
      for (int n = 1; j < size && n <= m.maxn; ++n) {
        h = (h ^ static_cast<std::uint32_t>(static_cast<std::int8_t>(w[j++]))) * 16777619u;
        while (j < size && IsContinuation(w[j])) {
          h = (h ^ static_cast<std::uint32_t>(static_cast<std::int8_t>(w[j++]))) * 16777619u;
        }
        if (n >= m.minn && !(n == 1 && (i == 0 || j == size))) AddBucket(h % m.bucket);
      }
    }
  }

  // Dictionary::addWordNgrams, one token at a time: the n-grams that end at this token.
  void AddWordNgrams(std::uint32_t h) {
    const auto hash = static_cast<std::int32_t>(h);
    for (int s = 0; s < history_size; ++s) {
      auto g = static_cast<std::uint64_t>(static_cast<std::int64_t>(history[s]));
      for (int t = s + 1; t < history_size; ++t) {
        g = g * 116049371u + static_cast<std::uint64_t>(static_cast<std::int64_t>(history[t]));
      }
      g = g * 116049371u + static_cast<std::uint64_t>(static_cast<std::int64_t>(hash));
      AddBucket(g % m.bucket);
    }
    if (m.word_ngrams <= 1) return;
    if (history_size == m.word_ngrams - 1) {
      std::copy(history + 1, history + history_size, history);
      --history_size;
    }
    history[history_size++] = hash;
  }

  void AddToken(std::string_view word, bool eos, std::string& wrapped) {
    const std::uint32_t h = FastTextHash(word);
    const std::int32_t id = m.Find(word, h);
    if (id >= 0) {
      AddRow(&m.word_rows[static_cast<std::size_t>(id) * static_cast<std::size_t>(m.labels)],
             m.word_counts[static_cast<std::size_t>(id)]);
    } else if (!eos && m.maxn > 0) {
      wrapped.clear();
      wrapped += '<';
      wrapped += word;
      wrapped += '>';
      AddSubwords(wrapped);
    }
    AddWordNgrams(h);
  }
};

}  // namespace

void ModelTables::BuildIndex() {
  const std::size_t size = std::bit_ceil(std::max<std::size_t>(16, word_count() * 2));
  slots.assign(size, 0);
  for (std::size_t id = 0; id < word_count(); ++id) {
    std::size_t i = word_hashes[id] & (size - 1);
    while (slots[i] != 0) i = (i + 1) & (size - 1);
    slots[i] = static_cast<std::uint32_t>(id + 1);
  }
}

std::int32_t ModelTables::Find(std::string_view word, std::uint32_t h) const {
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint32_t slot = slots[i];
    if (slot == 0) return -1;
    const std::uint32_t id = slot - 1;
    if (word_hashes[id] != h) continue;
    const std::string_view w(word_text.data() + word_offsets[id],
                             word_offsets[id + 1] - word_offsets[id]);
    if (w == word) return static_cast<std::int32_t>(id);
  }
}

void ModelTables::Predict(std::string_view text, std::span<float> out) const {
  Scratch& scratch = ThreadScratch();
  Accumulator acc{*this};
  ForEachModelToken(text, scratch.token, [&acc, &scratch](std::string_view token) {
    acc.AddToken(token, /*eos=*/false, scratch.wrapped);
  });
  acc.AddToken(kEos, /*eos=*/true, scratch.wrapped);
  double logits[kMaxModelLabels];
  double max = -HUGE_VAL;
  for (int l = 0; l < labels; ++l) {
    logits[l] = acc.count == 0 ? 0.0 : acc.sum[l] / static_cast<double>(acc.count);
    max = std::max(max, logits[l]);
  }
  double z = 0;
  for (int l = 0; l < labels; ++l) {
    logits[l] = std::exp(logits[l] - max);
    z += logits[l];
  }
  for (int l = 0; l < labels; ++l) out[static_cast<std::size_t>(l)] = static_cast<float>(logits[l] / z);
}

std::size_t ModelTables::memory_bytes() const {
  return bucket_rows.capacity() * sizeof(float) + word_rows.capacity() * sizeof(float) +
         (word_counts.capacity() + word_hashes.capacity() + word_offsets.capacity() +
          slots.capacity()) *
             sizeof(std::uint32_t) +
         word_text.capacity();
}

}  // namespace sakchy::classifier::internal
