#pragma once
// Private to ingest: the record tables of rumour clusters, their keys and value encodings.
//
//   cluster          id (8 bytes big-endian)       -> classifier::EncodeClusterState
//   cluster.of       event id                      -> cluster id, observed_at, signature
//   cluster.member   id (8) + event id             -> observed_at, severity, area, channel
//   cluster.recent   last_seen (8, sign flipped)   -> empty; clusters with >= 2 members
//                    + id (8)
//   cluster.signal   id (8) + number (4)           -> the cluster's n-th spread signal
//   cluster.verdict  id (8)                        -> the latest verdict
//
// Values start with a format version byte (1); decoding is bounds-checked and strict.

#include <optional>
#include <string>
#include <string_view>

#include "classifier/clusters.h"
#include "core/result.h"
#include "ingest/clustering.h"
#include "storage/store.h"

namespace sakchy::ingest::internal {

inline constexpr std::string_view kClusterTable = "cluster";
inline constexpr std::string_view kClusterOfTable = "cluster.of";
inline constexpr std::string_view kClusterMemberTable = "cluster.member";
inline constexpr std::string_view kClusterRecentTable = "cluster.recent";
inline constexpr std::string_view kClusterSignalTable = "cluster.signal";
inline constexpr std::string_view kClusterVerdictTable = "cluster.verdict";

std::string ClusterKey(ClusterId id);
std::optional<ClusterId> ParseClusterKey(std::string_view key);  // exactly 8 bytes, id > 0
std::string MemberKey(ClusterId id, std::string_view event_id);
std::string RecentKey(TimeMs last_seen, ClusterId id);
bool ParseRecentKey(std::string_view key, TimeMs* last_seen, ClusterId* id);
std::string SignalKey(ClusterId id, std::uint32_t number);

// What cluster.of holds for one event.
struct EventCluster {
  ClusterId cluster = 0;
  TimeMs observed_at = 0;
  bool indexed = false;
  classifier::MinHashSignature signature{};  // when indexed
};
void EncodeEventCluster(const EventCluster& v, std::string* out);
[[nodiscard]] Status DecodeEventCluster(std::string_view in, EventCluster* out);

// Member value (the event id is in the key).
void EncodeMember(const ClusterMemberRecord& m, std::string* out);
[[nodiscard]] Status DecodeMember(std::string_view in, ClusterMemberRecord* out);

void EncodeSignal(const ClusterSignalRecord& s, std::string* out);
[[nodiscard]] Status DecodeSignal(std::string_view in, ClusterSignalRecord* out);

void EncodeVerdict(const ClusterVerdictRecord& v, std::string* out);
[[nodiscard]] Status DecodeVerdict(std::string_view in, ClusterVerdictRecord* out);

// The ULID prefix (10 characters, Crockford base32) of ids created at `t`: every id created at
// or after `t` sorts after it.
std::string IdPrefixAt(TimeMs t);

// Reads and decodes one cluster state; std::nullopt when absent.
[[nodiscard]] Result<std::optional<classifier::ClusterInfo>> ReadCluster(storage::Store& store,
                                                                         ClusterId id);

}  // namespace sakchy::ingest::internal
