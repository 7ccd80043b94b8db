#pragma once
// Internals of clusters.cc exposed to tests and the benchmark (not a public API).

#include <cstdint>
#include <string_view>
#include <vector>

#include "classifier/clusters.h"

namespace sakchy::classifier::internal {

// Hashes of the informative tokens of a normalised text (built-in stopwords, URL fragments,
// 1-letter and all-digit tokens removed), in text order.
void ClusterTokens(std::string_view normalized_text, std::vector<std::uint64_t>& out);
// The signature RumourClusterer computes with ClusterOptions::hash_seed = `seed`.
MinHashSignature SignatureWithSeed(std::string_view normalized_text, std::uint64_t seed);

}  // namespace sakchy::classifier::internal
