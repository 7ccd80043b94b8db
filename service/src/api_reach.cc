// Reaching people where they talk: the WhatsApp tipline webhook, what the replies to reporters
// hear of intake, and the public verified answers (JSON and Atom).

#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

#include "api_util.h"
#include "classifier/language.h"
#include "core/time.h"
#include "ingest/validation.h"
#include "public_answers.h"
#include "service/api.h"

namespace sakchy::service {

namespace net = boost::asio;

namespace {

constexpr std::size_t kMaxPublicAnswers = 200;

// The delivery-report type a WhatsApp status stands for (Dispatcher's DlrTransition).
std::optional<int> StatusType(std::string_view status) {
  if (status == "delivered" || status == "read") return 1;
  if (status == "failed") return 2;
  if (status == "sent") return 8;
  return std::nullopt;
}

}  // namespace

void Api::TellReplies(const Report& report, const ingest::SubmitOutcome* outcome, bool media,
                      bool stop) {
  if (d_.alerts == nullptr || report.reply_address.empty()) return;
  alerts::ReporterMessage m;
  m.kind = stop    ? alerts::ReporterMessage::Kind::kStop
           : media ? alerts::ReporterMessage::Kind::kMedia
                   : alerts::ReporterMessage::Kind::kReport;
  m.channel = report.channel;
  m.pseudonym = report.submitted_by;
  m.reply_address = report.reply_address;
  m.language = std::string(classifier::LanguageName(classifier::DetectLanguage(report.text)));
  if (outcome != nullptr) {
    // A follow-up belongs to its parent report: that is the one answered.
    m.report_id = outcome->follow_up_of.empty() ? outcome->id : outcome->follow_up_of;
    m.new_report = !outcome->duplicate && outcome->follow_up_of.empty();
  }
  d_.alerts->Reported(std::move(m));
}

net::awaitable<HttpResponse> Api::WhatsAppRoute(HttpRequest req) {
  const ingest::WhatsAppSettings& settings = *d_.whatsapp;
  if (req.method == "GET") {
    auto challenge = ingest::WhatsAppHandshake(req.query, settings.verify_token);
    if (!challenge) {
      const bool auth = challenge.error().code == ErrorCode::kUnauthenticated;
      if (auth) unauthenticated_.Inc();
      co_return Problem(auth ? 403 : 400, auth ? "Forbidden" : "Invalid handshake",
                        challenge.error().message);
    }
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = std::move(*challenge);
    co_return r;
  }
  if (req.method != "POST") {
    auto r = Problem(405, "Method Not Allowed", req.method + " is not supported on " + req.path);
    r.headers.emplace_back("Allow", "GET, POST");
    co_return r;
  }
  if (auto ok = ingest::VerifyWhatsAppSignature(req.Header("x-hub-signature-256"), req.body,
                                                settings.app_secret);
      !ok) {
    unauthenticated_.Inc();
    spdlog::warn("whatsapp: refused webhook from {}: {}", req.remote, ok.error().message);
    co_return Problem(401, "Unauthorized", ok.error().message);
  }
  auto hook = ingest::ParseWhatsAppWebhook(req.body, settings);
  if (!hook) {
    rejected_invalid_.Inc();
    co_return Problem(400, "Invalid webhook", hook.error().message);
  }
  // Statuses of the replies sent through the outbox.
  if (d_.alerts != nullptr && !hook->statuses.empty()) {
    alerts::Engine* engine = d_.alerts;
    std::vector<ingest::WhatsAppStatus> statuses = std::move(hook->statuses);
    auto apply = [engine, statuses]() {
      for (const auto& s : statuses) {
        const auto type = StatusType(s.status);
        if (!type || s.alert_id.empty()) continue;
        auto r = engine->DeliveryReport(s.alert_id, *type);
        if (!r && r.error().code != ErrorCode::kNotFound) {
          spdlog::warn("whatsapp: status {} of {} not applied: {}", s.status, s.alert_id,
                       r.error().message);
        }
        if (!s.error.empty()) spdlog::info("whatsapp: {} failed: {}", s.alert_id, s.error);
      }
      return 0;
    };
    co_await RunBlocking<int>(*d_.blocking, apply);
  }
  std::vector<Report> batch;
  std::vector<bool> media;
  // As for SMS: WhatsApp cannot be asked to fix a time, so one outside the window is clamped.
  const TimeMs now = d_.clock->NowMs();
  const ingest::ValidationLimits limits{d_.max_text_bytes, now, d_.observed_window};
  for (auto& m : hook->messages) {
    ingest::ClampObservedAt(m.report, now, d_.observed_window);
    if (m.media_type.empty() && alerts::IsStopWord(m.report.text)) {
      TellReplies(m.report, nullptr, false, true);
      continue;
    }
    if (m.media_type.empty()) {
      if (auto bad = ingest::ValidateReport(m.report, *d_.areas, limits)) {
        rejected_invalid_.Inc();
        spdlog::warn("whatsapp: message {} not stored: {} {}", m.report.source_ref, bad->field,
                     bad->problem);
        continue;  // a 4xx would make WhatsApp redeliver it for days
      }
    }
    media.push_back(!m.media_type.empty());
    batch.push_back(std::move(m.report));
  }
  if (!batch.empty()) {
    const std::vector<Report> stored = batch;
    auto result = co_await Submit(std::move(batch));
    if (!result) {
      // WhatsApp redelivers a webhook that did not get a 200: nothing is lost.
      auto r = Problem(503, "Service Unavailable", result.error().message);
      r.headers.emplace_back("Retry-After", "1");
      co_return r;
    }
    for (std::size_t i = 0; i < stored.size() && i < result->size(); ++i) {
      TellReplies(stored[i], &(*result)[i], media[i], false);
    }
  }
  HttpResponse r;
  r.content_type = "text/plain";
  co_return r;
}

net::awaitable<HttpResponse> Api::PublicAnswersRoute(HttpRequest req, bool atom) {
  static constexpr std::array<std::string_view, 2> kAllowed = {"area", "limit"};
  if (auto bad = UnknownParam(req, kAllowed)) {
    co_return Problem(400, "Invalid query",
                      "unknown parameter (allowed: " + AllowedList(kAllowed) + ")", *bad);
  }
  std::optional<AreaCode> area;
  if (auto it = req.query.find("area"); it != req.query.end()) {
    if (d_.areas->Find(it->second) == nullptr) {
      co_return Problem(400, "Invalid query", "unknown area code '" + it->second + "'", "area");
    }
    area = it->second;
  }
  std::size_t limit = 50;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const auto& s = it->second;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
    if (ec != std::errc() || ptr != s.data() + s.size() || limit < 1 ||
        limit > kMaxPublicAnswers) {
      co_return Problem(400, "Invalid query",
                        "limit must be an integer from 1 to " + std::to_string(kMaxPublicAnswers),
                        "limit");
    }
  }
  storage::Store* store = d_.store;
  const config::AreaTree* areas = d_.areas;
  auto read = [store, areas, area, limit]() {
    return ListPublicAnswers(*store, *areas, area, limit);
  };
  auto answers =
      co_await RunBlocking<Result<std::vector<PublicAnswer>>>(*d_.blocking, read);
  if (!answers) {
    spdlog::error("api: reading public answers failed: {}", answers.error().ToString());
    co_return Problem(500, "Internal Server Error", "the answers could not be read");
  }
  HttpResponse r;
  if (atom) {
    r.content_type = "application/atom+xml; charset=utf-8";
    std::string self = req.Header("host").empty() ? req.path : "http://" + req.Header("host") + req.path;
    if (area) self += "?area=" + *area;
    r.body = PublicAnswersAtom(*answers, *d_.areas, self, area, d_.clock->NowMs());
  } else {
    r.body = PublicAnswersJson(*answers, *d_.areas);
  }
  r.headers.emplace_back("Cache-Control", "public, max-age=60");
  co_return r;
}

}  // namespace sakchy::service
