#pragma once
// Private to the classifier: the compact form of a fastText supervised model that Model
// predicts with, and fastText's hashing.
//
// fastText's prediction for a line is softmax(B · mean(A[id] for id in ids(line))) where A is the
// input matrix, B the output matrix and ids(line) every token's word row and character n-gram
// buckets plus the word n-gram buckets. B · mean(A rows) == mean(B · A rows), so each row is
// stored already multiplied by B: one float per label instead of `dim` floats. A vocabulary word
// always brings the same ids (its row and its n-grams), so their projected rows are summed once
// at load. What is left per text: hash the tokens, look words up, add small rows.
//
// Thread safety: immutable after Build; Predict may run concurrently (per-thread scratch).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sakchy::classifier::internal {

inline constexpr int kMaxModelLabels = 64;
inline constexpr int kMaxWordNgrams = 8;

// fastText's Dictionary::hash: FNV-1a over the bytes, each byte sign-extended (int8_t) first.
inline std::uint32_t FastTextHash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<std::uint32_t>(static_cast<std::int8_t>(c));
    h *= 16777619u;
  }
  return h;
}

struct ModelTables {
  int labels = 0;
  int minn = 0;
  int maxn = 0;
  std::uint32_t bucket = 0;
  int word_ngrams = 1;
  // bucket × labels: the projected rows of the n-gram buckets.
  std::vector<float> bucket_rows;
  // Vocabulary (words of the training data, "</s>" included): per word its projected rows summed
  // over its ids, and how many ids that is.
  std::vector<float> word_rows;  // words × labels
  std::vector<std::uint32_t> word_counts;
  std::vector<std::uint32_t> word_hashes;
  std::vector<std::uint32_t> word_offsets;  // words + 1, into word_text
  std::string word_text;
  std::vector<std::uint32_t> slots;  // open addressing on the hash: word id + 1, 0 = empty

  // Call after filling the words: builds `slots`.
  void BuildIndex();
  std::size_t word_count() const { return word_hashes.size(); }
  // Word id of `word` (hash `h`), or -1.
  std::int32_t Find(std::string_view word, std::uint32_t h) const;
  // Softmax probabilities of the labels (fastText's label order) for `model_text`'s tokens;
  // `text` is raw text, cut by ForEachModelToken. out.size() == labels.
  void Predict(std::string_view text, std::span<float> out) const;
  std::size_t memory_bytes() const;
};

}  // namespace sakchy::classifier::internal
