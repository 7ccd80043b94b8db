// EncodeClusterState / DecodeClusterState: a versioned, bounds-checked binary codec.
//
// Layout (version 1): byte 0x01, then fields in ClusterInfo order. Unsigned integers are LEB128
// varints; signed ones (times, minutes) are zigzag varints; strings are a varint length and
// bytes; source keys are 8 bytes little-endian; vectors are a varint count and
// their elements.

#include <cstring>

#include "classifier/clusters.h"

namespace sakchy::classifier {
namespace {

constexpr std::uint8_t kVersion = 1;

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void PutSigned(std::string& out, std::int64_t v) {
  PutVarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
void PutFixed64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }

  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  std::int64_t Signed() {
    std::uint64_t u = Varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  std::uint64_t Fixed64() {
    if (in_.size() - pos_ < 8) return Fail();
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
  }
  std::string String() {
    std::uint64_t n = Varint();
    if (!ok_ || n > in_.size() - pos_) {
      Fail();
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of elements that each take at least one byte.
  std::uint64_t Count() {
    std::uint64_t n = Varint();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }

 private:
  std::uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string EncodeClusterState(const ClusterInfo& c) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, c.id);
  PutString(out, c.representative_id);
  PutString(out, c.representative_text);
  out.push_back(c.singleton_only ? 1 : 0);
  PutSigned(out, c.first_seen);
  PutSigned(out, c.last_seen);
  PutVarint(out, c.members);
  out.push_back(static_cast<char>(c.max_severity));
  PutVarint(out, c.sources.size());
  for (const auto& s : c.sources) {
    PutFixed64(out, s.key);
    PutSigned(out, s.first_seen);
    PutSigned(out, s.last_seen);
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
  return out;
}

Result<ClusterInfo> DecodeClusterState(std::string_view bytes) {
  if (bytes.empty()) return MakeError(ErrorCode::kCorruption, "cluster state: empty value");
  if (static_cast<std::uint8_t>(bytes[0]) != kVersion) {
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
  for (std::uint64_t n = r.Count(), i = 0; r.ok() && i < n; ++i) {
    ClusterSource s;
    s.key = r.Fixed64();
    s.first_seen = r.Signed();
    s.last_seen = r.Signed();
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
  if (!r.ok()) return MakeError(ErrorCode::kCorruption, "cluster state: truncated value");
  if (!r.done()) return MakeError(ErrorCode::kCorruption, "cluster state: trailing bytes");
  if (c.id == 0) return MakeError(ErrorCode::kCorruption, "cluster state: cluster id 0");
  return c;
}

}  // namespace sakchy::classifier
