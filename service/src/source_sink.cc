#include "source_sink.h"

#include <algorithm>
#include <utility>

#include "alerts/replies.h"
#include "classifier/language.h"

namespace sakchy::service::internal {
namespace {

// What the replies hear of one report from a person channel (a STOP, or a report and what became
// of it).
alerts::ReporterMessage ReporterMessageOf(const Report& r, const ingest::SubmitOutcome* outcome,
                                          bool stop) {
  alerts::ReporterMessage m;
  m.kind = stop ? alerts::ReporterMessage::Kind::kStop : alerts::ReporterMessage::Kind::kReport;
  m.channel = r.channel;
  m.pseudonym = r.submitted_by;
  m.reply_address = r.reply_address;
  m.language = std::string(classifier::LanguageName(classifier::DetectLanguage(r.text)));
  if (outcome != nullptr && !r.reply_address.empty()) {
    m.report_id = outcome->follow_up_of.empty() ? outcome->id : outcome->follow_up_of;
    m.new_report = !outcome->duplicate && outcome->follow_up_of.empty();
  } else if (!stop) {
    m.pseudonym.clear();  // not from a private chat: nothing to remember
  }
  return m;
}

}  // namespace

PipelineSink::PipelineSink(ingest::Pipeline& pipeline, std::size_t max_text_bytes,
                           ingest::ObservedWindow observed, const Clock& clock,
                           MetricsRegistry& metrics, alerts::Engine* replies)
    : pipeline_(pipeline),
      replies_(replies),
      max_text_bytes_(max_text_bytes),
      observed_(observed),
      clock_(clock),
      sanitized_(
          metrics.GetCounter("sakchy_source_texts_sanitized_total",
                             "Pulled texts with invalid UTF-8 replaced or cut to the limit")),
      clamped_(metrics.GetCounter("sakchy_source_observed_at_clamped_total",
                                  "Pulled items whose time lay outside the observed_at window "
                                  "and was moved to its edge")) {}

void PipelineSink::Submit(std::vector<Report> reports,
                          std::optional<ingest::sources::Cursor> cursor,
                          ingest::SubmitCallback done) {
  const TimeMs now = clock_.NowMs();
  for (auto& r : reports) {
    if (ingest::SanitizeText(r.text, max_text_bytes_)) sanitized_.Inc();
    if (ingest::ClampObservedAt(r, now, observed_)) clamped_.Inc();
  }
  std::optional<storage::CursorUpdate> update;
  if (cursor) {
    update = storage::CursorUpdate{std::move(cursor->source_id), std::move(cursor->value)};
  }
  if (replies_ == nullptr || std::none_of(reports.begin(), reports.end(), [](const Report& r) {
        return !r.reply_address.empty();
      })) {
    pipeline_.Submit(std::move(reports), std::move(done), std::move(update));
    return;
  }
  // Private chats: "STOP" is no report (its outcome says duplicate, so the source counts it
  // as nothing new); the others are told to the replies once stored.
  std::vector<Report> kept;
  std::vector<std::optional<std::size_t>> position(reports.size());
  std::vector<Report> stops;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (!reports[i].reply_address.empty() && alerts::IsStopWord(reports[i].text)) {
      stops.push_back(std::move(reports[i]));
    } else {
      position[i] = kept.size();
      kept.push_back(std::move(reports[i]));
    }
  }
  std::vector<Report> told;
  for (const Report& r : kept) told.push_back(r);
  alerts::Engine* engine = replies_;
  auto wrapped = [engine, done = std::move(done), told = std::move(told), stops = std::move(stops),
                  position = std::move(position)](ingest::SubmitResult result) {
    if (result) {
      for (const Report& r : stops) engine->Reported(ReporterMessageOf(r, nullptr, true));
      for (std::size_t i = 0; i < told.size() && i < result->size(); ++i) {
        engine->Reported(ReporterMessageOf(told[i], &(*result)[i], false));
      }
      std::vector<ingest::SubmitOutcome> all;
      for (const auto& p : position) {
        all.push_back(p ? (*result)[*p] : ingest::SubmitOutcome{"", true, ""});
      }
      result = std::move(all);
    }
    done(std::move(result));
  };
  pipeline_.Submit(std::move(kept), std::move(wrapped), std::move(update));
}

}  // namespace sakchy::service::internal
