#pragma once
// Public verified answers: the verdicts an analyst or official chose to publish (POST
// /v1/clusters/{id}/verdict with "publish": true), with their public statement, per area, as a
// JSON list and an Atom feed (RFC 4287) at public paths without a token. Only what was published
// is in them: status, statement, areas, time — never report texts, reporters or who decided.
// Stored in the record table `public_answers` (key: 16-digit publication time in ms, ':',
// cluster id), written in the verdict's own request after the verdict.
//
// Thread safety: free functions over a thread-safe Store. Blocking: the store calls wait on disk.

#include <optional>
#include <string>
#include <vector>

#include "config/areas.h"
#include "core/result.h"
#include "core/types.h"
#include "storage/store.h"

namespace sakchy::service {

inline constexpr std::string_view kPublicAnswersTable = "public_answers";

struct PublicAnswer {
  std::string cluster_id;
  VerdictStatus status = VerdictStatus::kUnverified;
  std::string statement;
  std::vector<AreaCode> areas;  // where the rumour was reported; may be empty
  TimeMs published_at = 0;
};

// Stores one published answer (a correction of the same cluster is a new entry; the feed shows
// both, newest first). Durable when it returns.
[[nodiscard]] Status PublishAnswer(storage::RecordStore& store, const PublicAnswer& answer);

// Newest first, at most `limit`; with `area`, only answers with an area within it (or an
// ancestor of it: a rumour reported across an oblast concerns its raions too). Unknown area:
// kInvalidArgument.
[[nodiscard]] Result<std::vector<PublicAnswer>> ListPublicAnswers(
    storage::RecordStore& store, const config::AreaTree& areas, const std::optional<AreaCode>& area,
    std::size_t limit);

// {"answers":[{"id","status","statement","areas":[{"code","name_ky","name_ru","name_en"}],
// "published_at"}]}
std::string PublicAnswersJson(const std::vector<PublicAnswer>& answers,
                              const config::AreaTree& areas);

// An Atom 1.0 feed: feed id "urn:sakchy:answers[:<area>]", `self` link, updated = the newest
// entry (or `now` when empty); one entry per answer: id "urn:sakchy:answer:<cluster>:<ms>",
// title "<STATUS> — <area names>", content (text) = the statement, updated = published.
std::string PublicAnswersAtom(const std::vector<PublicAnswer>& answers,
                              const config::AreaTree& areas, const std::string& self_url,
                              const std::optional<AreaCode>& area, TimeMs now);

}  // namespace sakchy::service
