#pragma once
// Ids made from a key instead of random bits (core/id.h has the generator and the checks).

#include <string>
#include <string_view>

#include "core/time.h"

namespace sakchy {

// A ULID made from `t` (milliseconds, clamped to 0 .. 2^48 - 1) and the first 80 bits of
// SHA-256(`key`) instead of random bits: the same (t, key) gives the same id on every node (cluster
// mode: a notification computed by every node has one id, docs/ARCHITECTURE.md "Cluster mode").
std::string IdFromKey(TimeMs t, std::string_view key);

}  // namespace sakchy
