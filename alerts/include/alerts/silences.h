#pragma once
// Silences: an operator's decision that alerts of some areas and/or categories notify nobody for
// a while (e.g. a known, handled situation). Kept in the record table "alert_silences" (key: id),
// created and expired through the API, audited (silence.create, silence.expire). Pure functions.

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "alerts/contacts.h"
#include "alerts/notifier.h"
#include "config/areas.h"

namespace sakchy::alerts {

inline constexpr std::string_view kSilencesTable = "alert_silences";
inline constexpr TimeMs kMaxSilenceMs = 30LL * 24 * 3600 * 1000;  // at most 30 days

// Parses {"areas": ["KG-O"], "categories": ["violence"], "starts_at": RFC 3339 (default now),
// "ends_at": RFC 3339, "comment": "why"}: at least one area or category; ends_at after
// max(starts_at, now) and at most 30 days after starts_at; a comment of 1..500 bytes.
tl::expected<Silence, FieldProblem> SilenceFromJson(std::string_view text,
                                                    const config::AreaTree& areas, TimeMs now);
// Record / API document: the fields above plus id, created_by, created_at (RFC 3339 times).
std::string SilenceToJson(const Silence& silence);
// The record form back (times as RFC 3339); std::nullopt when damaged.
std::optional<Silence> DecodeSilence(std::string_view text);

}  // namespace sakchy::alerts
