#include "cluster_records.h"

#include "core/varint.h"

namespace sakchy::ingest::internal {
namespace {

constexpr std::uint8_t kFormat = 1;

Status Corrupt(std::string_view what) {
  return MakeError(ErrorCode::kCorruption, std::string(what));
}

// Checks the version byte and returns a reader over the rest.
bool Open(std::string_view in, varint::Reader* r) {
  if (in.empty() || static_cast<std::uint8_t>(in[0]) != kFormat) return false;
  *r = varint::Reader(in.substr(1));
  return true;
}

Status Finish(const varint::Reader& r, std::string_view what) {
  if (!r.ok()) return Corrupt(std::string(what) + ": truncated value");
  if (!r.done()) return Corrupt(std::string(what) + ": trailing bytes");
  return OkStatus();
}

std::optional<Severity> SeverityOf(std::uint64_t v) {
  if (v >= static_cast<std::uint64_t>(kSeverityCount)) return std::nullopt;
  return static_cast<Severity>(v);
}

}  // namespace

std::string ClusterKey(ClusterId id) {
  std::string k;
  varint::PutKey64(k, id);
  return k;
}

std::optional<ClusterId> ParseClusterKey(std::string_view key) {
  std::uint64_t id = 0;
  if (key.size() != 8 || !varint::ReadKey64(key, &id) || id == 0) return std::nullopt;
  return id;
}

std::string MemberKey(ClusterId id, std::string_view event_id) {
  std::string k;
  varint::PutKey64(k, id);
  k.append(event_id);
  return k;
}

std::string RecentKey(TimeMs last_seen, ClusterId id) {
  std::string k;
  varint::PutKeySigned(k, last_seen);
  varint::PutKey64(k, id);
  return k;
}

bool ParseRecentKey(std::string_view key, TimeMs* last_seen, ClusterId* id) {
  return key.size() == 16 && varint::ReadKeySigned(key, last_seen) &&
         varint::ReadKey64(key.substr(8), id) && *id != 0;
}

std::string SignalKey(ClusterId id, std::uint32_t number) {
  std::string k;
  varint::PutKey64(k, id);
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>(number >> (8 * i)));
  return k;
}

void EncodeEventCluster(const EventCluster& v, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kFormat));
  varint::Put(*out, v.cluster);
  varint::PutSigned(*out, v.observed_at);
  out->push_back(v.indexed ? 1 : 0);
  if (v.indexed) {
    for (std::uint16_t h : v.signature) {
      out->push_back(static_cast<char>(h & 0xFF));
      out->push_back(static_cast<char>(h >> 8));
    }
  }
}

Status DecodeEventCluster(std::string_view in, EventCluster* out) {
  varint::Reader r({});
  if (!Open(in, &r)) return Corrupt("cluster.of: unknown format");
  out->cluster = r.Varint();
  out->observed_at = r.Signed();
  std::uint8_t flag = r.Byte();
  if (flag > 1) return Corrupt("cluster.of: bad flag");
  out->indexed = flag == 1;
  out->signature = {};
  if (out->indexed) {
    std::string_view sig = r.Bytes(2 * classifier::kMinHashes);
    for (int k = 0; r.ok() && k < classifier::kMinHashes; ++k) {
      out->signature[k] = static_cast<std::uint16_t>(
          static_cast<std::uint8_t>(sig[2 * k]) | static_cast<std::uint8_t>(sig[2 * k + 1]) << 8);
    }
  }
  if (auto s = Finish(r, "cluster.of"); !s) return s;
  if (out->cluster == 0) return Corrupt("cluster.of: cluster id 0");
  return OkStatus();
}

void EncodeMember(const ClusterMemberRecord& m, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kFormat));
  varint::PutSigned(*out, m.observed_at);
  out->push_back(static_cast<char>(m.severity));
  varint::PutString(*out, m.area);
  varint::PutString(*out, m.channel);
}

Status DecodeMember(std::string_view in, ClusterMemberRecord* out) {
  varint::Reader r({});
  if (!Open(in, &r)) return Corrupt("cluster.member: unknown format");
  out->observed_at = r.Signed();
  auto severity = SeverityOf(r.Byte());
  out->area = r.String();
  out->channel = r.String();
  if (auto s = Finish(r, "cluster.member"); !s) return s;
  if (!severity) return Corrupt("cluster.member: bad severity");
  out->severity = *severity;
  return OkStatus();
}

void EncodeSignal(const ClusterSignalRecord& s, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kFormat));
  varint::PutSigned(*out, s.at);
  varint::PutSigned(*out, s.report_time);
  varint::PutString(*out, s.reason);
  varint::Put(*out, s.members);
  varint::Put(*out, s.sources);
  varint::Put(*out, s.areas.size());
  for (const auto& a : s.areas) varint::PutString(*out, a);
  out->push_back(static_cast<char>(s.severity));
  varint::Put(*out, s.events);
}

Status DecodeSignal(std::string_view in, ClusterSignalRecord* out) {
  varint::Reader r({});
  if (!Open(in, &r)) return Corrupt("cluster.signal: unknown format");
  out->at = r.Signed();
  out->report_time = r.Signed();
  out->reason = r.String();
  out->members = static_cast<std::uint32_t>(r.Varint());
  out->sources = static_cast<std::uint32_t>(r.Varint());
  out->areas.clear();
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) out->areas.push_back(r.String());
  auto severity = SeverityOf(r.Byte());
  out->events = static_cast<std::uint32_t>(r.Varint());
  if (auto s = Finish(r, "cluster.signal"); !s) return s;
  if (!severity) return Corrupt("cluster.signal: bad severity");
  out->severity = *severity;
  return OkStatus();
}

void EncodeVerdict(const ClusterVerdictRecord& v, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kFormat));
  out->push_back(static_cast<char>(v.status));
  varint::PutString(*out, v.statement);
  varint::PutString(*out, v.decided_by);
  varint::PutSigned(*out, v.decided_at);
}

Status DecodeVerdict(std::string_view in, ClusterVerdictRecord* out) {
  varint::Reader r({});
  if (!Open(in, &r)) return Corrupt("cluster.verdict: unknown format");
  std::uint8_t status = r.Byte();
  out->statement = r.String();
  out->decided_by = r.String();
  out->decided_at = r.Signed();
  if (auto s = Finish(r, "cluster.verdict"); !s) return s;
  if (status > static_cast<std::uint8_t>(VerdictStatus::kMisleading)) {
    return Corrupt("cluster.verdict: bad status");
  }
  out->status = static_cast<VerdictStatus>(status);
  return OkStatus();
}

std::string IdPrefixAt(TimeMs t) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::uint64_t v = t < 0 ? 0 : static_cast<std::uint64_t>(t) & 0xFFFFFFFFFFFFULL;
  std::string out(10, '0');
  for (int i = 9; i >= 0; --i) {
    out[i] = kAlphabet[v & 31];
    v >>= 5;
  }
  return out;
}

Result<std::optional<classifier::ClusterInfo>> ReadCluster(storage::Store& store, ClusterId id) {
  auto value = store.GetRecord(kClusterTable, ClusterKey(id));
  if (!value) return tl::unexpected(value.error());
  if (!*value) return std::optional<classifier::ClusterInfo>();
  auto info = classifier::DecodeClusterState(**value);
  if (!info) {
    return MakeError(ErrorCode::kCorruption,
                     "cluster " + std::to_string(id) + ": " + info.error().message);
  }
  if (info->id != id) {
    return MakeError(
        ErrorCode::kCorruption,
        "cluster " + std::to_string(id) + ": the record holds cluster " + std::to_string(info->id));
  }
  return std::optional<classifier::ClusterInfo>(std::move(*info));
}

}  // namespace sakchy::ingest::internal
