#pragma once
// Internals of clusters.cc exposed to tests and the benchmark (not a public API).

#include <cstdint>
#include <string_view>
#include <vector>

#include "classifier/clusters.h"

namespace sakchy::classifier::internal {

inline std::uint64_t Mix64(std::uint64_t h) {  // MurmurHash3 fmix64
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Hashes of the informative tokens of a normalised text (built-in stopwords, URL fragments,
// 1-letter and all-digit tokens removed), in text order.
void ClusterTokens(std::string_view normalized_text, std::vector<std::uint64_t>& out);
// The signature of a set of token hashes (duplicates ignored).
MinHashSignature MinHashOf(const std::vector<std::uint64_t>& tokens);

}  // namespace sakchy::classifier::internal
