// EncodeClusterState / DecodeClusterState: a versioned, bounds-checked binary codec.
//
// Layout (version 2): byte 0x02, then fields in ClusterInfo order (the spread state last).
// Unsigned integers are LEB128 varints; signed ones (times, minutes) are zigzag varints; strings
// are a varint length and bytes; source keys are 8 bytes little-endian; vectors are a varint
// count and their elements. Version 1 (still read) lacks each source's kind byte (read as
// kPublic) and the spread state's alerted_people (read as 0).

#include <cstring>

#include "classifier/clusters.h"
#include "core/varint.h"

namespace sakchy::classifier {
namespace {

constexpr std::uint8_t kVersion = 2;
constexpr std::uint8_t kVersionWithoutKinds = 1;

using varint::PutFixed64;
using varint::PutSigned;
using varint::PutString;
using varint::Reader;
void PutVarint(std::string& out, std::uint64_t v) { varint::Put(out, v); }

}  // namespace

std::string EncodeClusterState(const ClusterInfo& c) {
  std::string out;
  EncodeClusterState(c, &out);
  return out;
}

void EncodeClusterState(const ClusterInfo& c, std::string* out_ptr) {
  std::string& out = *out_ptr;
  out.clear();
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, c.id);
  PutString(out, c.representative_id);
  PutString(out, c.representative_text);
  out.push_back(c.singleton_only ? 1 : 0);
  PutSigned(out, c.first_seen);
  PutSigned(out, c.last_seen);
  PutVarint(out, c.members);
  out.push_back(static_cast<char>(c.max_severity));
  PutVarint(out, c.distinct_sources);
  PutVarint(out, c.sources.size());
  for (const auto& s : c.sources) {
    PutFixed64(out, s.key);
    PutSigned(out, s.first_seen);
    PutSigned(out, s.last_seen);
    out.push_back(static_cast<char>(s.kind));
  }
  PutVarint(out, c.areas.size());
  for (const auto& a : c.areas) {
    PutString(out, a.area);
    PutSigned(out, a.first_seen);
    PutVarint(out, a.count);
  }
  PutVarint(out, c.categories.size());
  for (const auto& x : c.categories) {
    PutString(out, x.category);
    PutVarint(out, x.count);
  }
  PutVarint(out, c.minute_counts.size());
  for (const auto& [minute, count] : c.minute_counts) {
    PutSigned(out, minute);
    PutVarint(out, count);
  }
  PutSigned(out, c.spread.last_alert_ms);
  PutVarint(out, c.spread.alerted_areas.size());
  for (const auto& a : c.spread.alerted_areas) PutString(out, a);
  PutVarint(out, c.spread.alerted_sources);
  PutVarint(out, c.spread.alerts);
  PutVarint(out, c.spread.alerted_people);
}

Result<ClusterInfo> DecodeClusterState(std::string_view bytes) {
  if (bytes.empty()) return MakeError(ErrorCode::kCorruption, "cluster state: empty value");
  const auto version = static_cast<std::uint8_t>(bytes[0]);
  if (version != kVersion && version != kVersionWithoutKinds) {
    return MakeError(ErrorCode::kCorruption,
                     "cluster state: unknown format version " +
                         std::to_string(static_cast<std::uint8_t>(bytes[0])));
  }
  Reader r(bytes.substr(1));
  ClusterInfo c;
  c.id = r.Varint();
  c.representative_id = r.String();
  c.representative_text = r.String();
  std::uint64_t flag = r.Varint();  // one byte 0/1 (also a varint)
  if (flag > 1) return MakeError(ErrorCode::kCorruption, "cluster state: bad flag");
  c.singleton_only = flag != 0;
  c.first_seen = r.Signed();
  c.last_seen = r.Signed();
  c.members = static_cast<std::uint32_t>(r.Varint());
  std::uint64_t severity = r.Varint();
  if (severity >= static_cast<std::uint64_t>(kSeverityCount)) {
    return MakeError(ErrorCode::kCorruption, "cluster state: bad severity");
  }
  c.max_severity = static_cast<Severity>(severity);
  c.distinct_sources = static_cast<std::uint32_t>(r.Varint());
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    ClusterSource s;
    s.key = r.Fixed64();
    s.first_seen = r.Signed();
    s.last_seen = r.Signed();
    if (version >= kVersion) {
      const std::uint8_t kind = r.Byte();
      if (kind > static_cast<std::uint8_t>(ReporterKind::kPerson)) {
        return MakeError(ErrorCode::kCorruption, "cluster state: bad reporter kind");
      }
      s.kind = static_cast<ReporterKind>(kind);
    }
    c.sources.push_back(s);
  }
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    ClusterArea a;
    a.area = r.String();
    a.first_seen = r.Signed();
    a.count = static_cast<std::uint32_t>(r.Varint());
    c.areas.push_back(std::move(a));
  }
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    CategoryCount x;
    x.category = r.String();
    x.count = static_cast<std::uint32_t>(r.Varint());
    c.categories.push_back(std::move(x));
  }
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    std::int64_t minute = r.Signed();
    auto count = static_cast<std::uint32_t>(r.Varint());
    c.minute_counts.emplace_back(minute, count);
  }
  c.spread.last_alert_ms = r.Signed();
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    c.spread.alerted_areas.push_back(r.String());
  }
  c.spread.alerted_sources = static_cast<std::uint32_t>(r.Varint());
  c.spread.alerts = static_cast<std::uint32_t>(r.Varint());
  if (version >= kVersion) c.spread.alerted_people = static_cast<std::uint32_t>(r.Varint());
  if (!r.ok()) return MakeError(ErrorCode::kCorruption, "cluster state: truncated value");
  if (!r.done()) return MakeError(ErrorCode::kCorruption, "cluster state: trailing bytes");
  if (c.id == 0) return MakeError(ErrorCode::kCorruption, "cluster state: cluster id 0");
  return c;
}

}  // namespace sakchy::classifier
