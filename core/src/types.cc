#include "core/result.h"
#include "core/types.h"

#include <algorithm>

namespace sakchy {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code));
  out += ": ";
  out += message;
  return out;
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (int i = 0; i < kSeverityCount; ++i) {
    auto s = static_cast<Severity>(i);
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view AreaSourceName(AreaSource s) {
  switch (s) {
    case AreaSource::kNone: return "none";
    case AreaSource::kRequest: return "request";
    case AreaSource::kText: return "text";
  }
  return "none";
}

std::string ScoredText(const Report& report, const std::vector<Report>& follow_ups,
                       std::size_t count) {
  count = std::min(count, follow_ups.size());
  if (count == 0) return report.text;
  std::size_t size = report.text.size();
  for (std::size_t i = 0; i < count; ++i) size += 1 + follow_ups[i].text.size();
  std::string out;
  out.reserve(size);
  out += report.text;
  for (std::size_t i = 0; i < count; ++i) {
    out += '\n';
    out += follow_ups[i].text;
  }
  return out;
}

std::string_view DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending: return "queued";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kFailed: return "failed";
    case DeliveryState::kSent: return "sent";
    case DeliveryState::kDeadLetter: return "dead_letter";
    case DeliveryState::kSuppressed: return "suppressed";
  }
  return "queued";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view name) {
  if (name == "queued" || name == "pending") return DeliveryState::kPending;
  if (name == "delivered") return DeliveryState::kDelivered;
  if (name == "failed") return DeliveryState::kFailed;
  if (name == "sent") return DeliveryState::kSent;
  if (name == "dead_letter") return DeliveryState::kDeadLetter;
  if (name == "suppressed") return DeliveryState::kSuppressed;
  return std::nullopt;
}

bool IsFinalState(DeliveryState s) {
  return s == DeliveryState::kDelivered || s == DeliveryState::kFailed ||
         s == DeliveryState::kDeadLetter || s == DeliveryState::kSuppressed;
}

std::string_view AlertKindName(AlertKind k) {
  switch (k) {
    case AlertKind::kEvent: return "event";
    case AlertKind::kSignal: return "signal";
    case AlertKind::kDigest: return "digest";
    case AlertKind::kFollowUp: return "follow_up";
    case AlertKind::kNotice: return "notice";
    case AlertKind::kRoute: return "route";
    case AlertKind::kReply: return "reply";
  }
  return "event";
}

std::optional<AlertKind> ParseAlertKind(std::string_view name) {
  for (int i = 0; i < kAlertKindCount; ++i) {
    if (AlertKindName(static_cast<AlertKind>(i)) == name) return static_cast<AlertKind>(i);
  }
  return std::nullopt;
}

std::string_view SignalKindName(Signal::Kind k) {
  switch (k) {
    case Signal::Kind::kClusterSpread: return "cluster_spread";
    case Signal::Kind::kAreaSpike: return "area_spike";
  }
  return "cluster_spread";
}

std::string_view SpreadTrendName(SpreadTrend t) {
  switch (t) {
    case SpreadTrend::kSteady: return "steady";
    case SpreadTrend::kAccelerating: return "accelerating";
    case SpreadTrend::kSlowing: return "slowing";
  }
  return "steady";
}

std::optional<SpreadTrend> ParseSpreadTrend(std::string_view name) {
  if (name == "steady") return SpreadTrend::kSteady;
  if (name == "accelerating") return SpreadTrend::kAccelerating;
  if (name == "slowing") return SpreadTrend::kSlowing;
  return std::nullopt;
}

std::optional<std::string_view> KnownRumourCategory(VerdictStatus v) {
  switch (v) {
    case VerdictStatus::kFalse: return "known_false";
    case VerdictStatus::kMisleading: return "known_misleading";
    case VerdictStatus::kUnverified:
    case VerdictStatus::kConfirmed: break;
  }
  return std::nullopt;
}

std::string_view VerdictStatusName(VerdictStatus v) {
  switch (v) {
    case VerdictStatus::kUnverified: return "unverified";
    case VerdictStatus::kConfirmed: return "confirmed";
    case VerdictStatus::kFalse: return "false";
    case VerdictStatus::kMisleading: return "misleading";
  }
  return "unverified";
}

std::optional<VerdictStatus> ParseVerdictStatus(std::string_view name) {
  for (auto v : {VerdictStatus::kUnverified, VerdictStatus::kConfirmed, VerdictStatus::kFalse,
                 VerdictStatus::kMisleading}) {
    if (VerdictStatusName(v) == name) return v;
  }
  return std::nullopt;
}

}  // namespace sakchy
