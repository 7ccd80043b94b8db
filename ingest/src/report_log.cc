// Cluster mode's intake adapters (ingest/report_log.h).
#include "ingest/report_log.h"

#include <charconv>
#include <utility>

#include "core/crypto.h"

namespace sakchy::ingest {

std::string LogKeyOf(const Report& r) {
  if (r.source_ref.empty()) return "id:" + r.id;
  std::string key = r.channel;
  key += '\0';
  key += r.submitted_by;
  key += '\0';
  key += r.source_ref;
  return "key:" + Sha256Hex(key);
}

ReplicatedIntake::ReplicatedIntake(ReportLog& log, Pipeline& local, const Clock& clock,
                                   MetricsRegistry& metrics)
    : log_(log),
      local_(local),
      clock_(clock),
      ids_(clock),
      appended_(metrics.GetCounter("sakchy_cluster_reports_appended_total",
                                   "Reports appended to the cluster's log (acknowledged)")),
      duplicates_(metrics.GetCounter("sakchy_cluster_reports_duplicate_total",
                                     "Reports the cluster's log already held (same key)")),
      refused_(metrics.GetCounter("sakchy_cluster_append_refused_total",
                                  "Submissions refused because the log did not acknowledge them")) {}

Status ReplicatedIntake::Start() {
  accepting_ = true;
  return {};
}

void ReplicatedIntake::Stop() { accepting_ = false; }

void ReplicatedIntake::Submit(std::vector<Report> reports, SubmitCallback done,
                              std::optional<storage::CursorUpdate> cursor) {
  if (!accepting_.load()) {
    done(MakeError(ErrorCode::kUnavailable, "the service is not accepting reports"));
    return;
  }
  const TimeMs now = clock_.NowMs();
  for (auto& r : reports) {
    r.id = ids_.Next();
    r.received_at = now;
    if (r.observed_at == 0) r.observed_at = now;
    r.follow_up_of.clear();
  }
  if (reports.empty()) {
    // A cursor alone (a poll without items) is local.
    local_.Submit({}, std::move(done), std::move(cursor));
    return;
  }
  Pipeline* local = &local_;
  Counter* appended = &appended_;
  Counter* duplicates = &duplicates_;
  Counter* refused = &refused_;
  log_.Append(std::move(reports), [local, appended, duplicates, refused, done = std::move(done),
                                   cursor = std::move(cursor)](AppendResult result) mutable {
    if (!result) {
      refused->Inc();
      done(tl::unexpected(result.error()));
      return;
    }
    std::vector<SubmitOutcome> outcomes;
    outcomes.reserve(result->size());
    for (auto& a : *result) {
      (a.duplicate ? duplicates : appended)->Inc();
      outcomes.push_back(SubmitOutcome{std::move(a.id), a.duplicate, ""});
    }
    if (!cursor) {
      done(std::move(outcomes));
      return;
    }
    // The reports are in the log; the source's position is this node's own.
    local->Submit({}, [done = std::move(done), outcomes = std::move(outcomes)](
                          SubmitResult stored) mutable {
      if (!stored) {
        done(tl::unexpected(stored.error()));
        return;
      }
      done(std::move(outcomes));
    }, std::move(cursor));
  });
}

LocalReplica::LocalReplica(storage::IntakeLog& store, Pipeline& local, MetricsRegistry& metrics)
    : store_(store),
      local_(local),
      applied_total_(metrics.GetCounter("sakchy_cluster_entries_applied_total",
                                        "Log entries applied to this node's store")),
      skipped_total_(metrics.GetCounter(
          "sakchy_cluster_entries_skipped_total",
          "Log entries delivered again and skipped (already applied here)")),
      applied_seq_(metrics.GetGauge("sakchy_cluster_applied_sequence",
                                    "The log position applied to this node's store")) {}

Result<std::uint64_t> LocalReplica::AppliedThrough() {
  auto cursor = store_.GetCursor(kLogCursor);
  if (!cursor) return tl::unexpected(cursor.error());
  std::uint64_t seq = 0;
  if (*cursor) {
    const std::string& v = **cursor;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), seq);
    if (ec != std::errc() || p != v.data() + v.size()) {
      return MakeError(ErrorCode::kInternal, "cluster: the stored log position '" + v +
                                                 "' is not a number");
    }
  }
  applied_ = seq;
  loaded_ = true;
  applied_seq_.Set(static_cast<double>(seq));
  return seq;
}

void LocalReplica::Apply(std::vector<LogEntry> entries, std::function<void(Status)> done) {
  if (!loaded_) {
    if (auto s = AppliedThrough(); !s) {
      done(tl::unexpected(s.error()));
      return;
    }
  }
  const std::uint64_t through = applied_.load();
  std::vector<Report> reports;
  std::uint64_t last = through;
  std::uint64_t skipped = 0;
  for (auto& e : entries) {
    if (e.sequence <= last) {
      ++skipped;
      continue;
    }
    last = e.sequence;
    reports.push_back(std::move(e.report));
  }
  skipped_total_.Inc(skipped);
  if (reports.empty()) {
    done(Status{});
    return;
  }
  const std::size_t n = reports.size();
  storage::CursorUpdate cursor{std::string(kLogCursor), std::to_string(last)};
  std::atomic<std::uint64_t>* applied = &applied_;
  Counter* applied_total = &applied_total_;
  Gauge* applied_seq = &applied_seq_;
  local_.Submit(std::move(reports),
                [applied, applied_total, applied_seq, last, n,
                 done = std::move(done)](SubmitResult result) {
                  if (!result) {
                    done(tl::unexpected(result.error()));
                    return;
                  }
                  applied->store(last);
                  applied_total->Inc(n);
                  applied_seq->Set(static_cast<double>(last));
                  done(Status{});
                },
                std::move(cursor));
}

}  // namespace sakchy::ingest
