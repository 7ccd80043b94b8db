#include "pollers.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/telegram_updates.h"
#include "ingest/sources/feed_parser.h"
#include "ingest/sources/html_text.h"
#include "ingest/sources/mastodon_parser.h"
#include "ingest/sources/source.h"
#include "ingest/sources/redact.h"

namespace sakchy::ingest::sources::internal {
namespace {

namespace net = boost::asio;

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string StripSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Poll Failed(ErrorCode code, std::string message, std::int64_t retry_after_ms = 0) {
  Poll p;
  p.error = Error{code, std::move(message)};
  p.retry_after_ms = retry_after_ms;
  return p;
}

Poll HttpFailure(const HttpResponse& res, const std::string& shown_url) {
  const ErrorCode code = res.status >= 500 || res.status == 429 || res.status == 408
                             ? ErrorCode::kUnavailable
                             : ErrorCode::kInvalidArgument;
  // Status and its standard reason only: a response body (whatever a server or a redirect
  // target chose to send) never reaches /v1/sources or the log.
  return Failed(code, "HTTP " + std::to_string(res.status) +
                          (res.reason.empty() ? "" : " " + res.reason) + " from " + shown_url);
}

constexpr std::int64_t kEmptyLongPollPauseMs = 250;

// The message's link: t.me/<username>/<id> for public chats and channels, t.me/c/<id>/<id> (for
// members) for other supergroups and channels; none for private chats (their "username" is the
// person's) and basic groups.
std::string TelegramMessageUrl(const telegram::Message& m) {
  if (m.chat_type == "private") return "";
  const std::string id = std::to_string(m.message_id);
  if (!m.chat_username.empty()) return "https://t.me/" + m.chat_username + "/" + id;
  const std::string chat = std::to_string(m.chat_id);
  if (chat.starts_with("-100") && chat.size() > 4) {
    return "https://t.me/c/" + chat.substr(4) + "/" + id;
  }
  return "";
}

Report BaseReport(const PollerContext& ctx) {
  Report r;
  r.channel = ctx.config.type;
  r.area = ctx.config.area;
  return r;
}

// ---------------------------------------------------------------- Telegram

class TelegramPoller final : public Poller {
 public:
  explicit TelegramPoller(PollerContext ctx) : ctx_(std::move(ctx)) {}

  net::awaitable<Poll> Fetch(std::string cursor) override {
    HttpGetRequest req;
    const int long_poll_s = ctx_.config.long_poll_timeout_s;
    req.url = StripSlash(ctx_.config.url) + "/bot" + ctx_.config.token +
              "/getUpdates?timeout=" + std::to_string(long_poll_s) + "&limit=100&allowed_updates=" +
              "%5B%22message%22%2C%22edited_message%22%2C%22channel_post%22%2C"
              "%22edited_channel_post%22%5D";
    if (!cursor.empty()) req.url += "&offset=" + cursor;
    // A long poll is held by the server up to long_poll_s: the HTTP timeout must be above it.
    req.timeout_ms = std::int64_t{long_poll_s} * 1000 + ctx_.config.timeout_ms;
    req.max_body_bytes = ctx_.config.max_body_bytes;
    req.headers.emplace_back("Accept", "application/json");
    req.targets = ctx_.targets;
    const std::string shown = RedactSecrets(req.url);
    auto res = co_await ctx_.client->Get(std::move(req));
    if (!res) co_return Failed(res.error().code, res.error().message);
    auto parsed = telegram::ParseUpdates(res->body);
    if (!parsed) {
      if (res->status != 200) co_return HttpFailure(*res, shown);
      co_return Failed(parsed.error().code, parsed.error().message + " (from " + shown + ")");
    }
    if (!parsed->ok) {
      // The code only: Telegram's description is response text, never echoed.
      const std::string what = "Telegram error " + std::to_string(parsed->error_code);
      switch (parsed->error_code) {
        case 429:
          co_return Failed(ErrorCode::kUnavailable, what + ": rate limited",
                           parsed->retry_after_s.value_or(1) * 1000);
        case 409:
          co_return Failed(ErrorCode::kUnavailable,
                           what + ": another getUpdates consumer or a webhook is active for "
                                  "this bot; remove the webhook or stop the other consumer");
        case 401:
        case 404:
          co_return Failed(ErrorCode::kUnauthenticated,
                           what + ": check the bot token in $" + ctx_.config.token_env);
        default:
          co_return Failed(ErrorCode::kUnavailable, what + " from " + shown,
                           parsed->retry_after_s.value_or(0) * 1000);
      }
    }
    Poll poll;
    for (auto& m : parsed->messages) {
      Report r = BaseReport(ctx_);
      // The chat first: ReporterKindOf (ingest/reporters.h) tells a private chat from it. A
      // private chat's id is the person's user id: pseudonymised like an SMS sender's number
      // (keyed HMAC, privacy.pseudonym_key) and marked by a leading 'p', so neither the id nor
      // the username is stored.
      const std::string chat = m.chat_type == "private"
                                   ? "p" + Pseudonym(ctx_.pseudonym_key, "telegram",
                                                     std::to_string(m.chat_id))
                                   : std::to_string(m.chat_id);
      r.source_ref = chat + ":" + std::to_string(m.message_id);
      if (m.edit_date) r.source_ref += ":edit:" + std::to_string(*m.edit_date);
      const std::int64_t author = m.from_id       ? *m.from_id
                                  : m.sender_chat_id ? *m.sender_chat_id
                                                   : m.chat_id;
      r.submitted_by = Pseudonym(ctx_.pseudonym_key, "telegram", std::to_string(author));
      // A private chat with the bot can be answered (transient; alerts/replies.h).
      if (m.chat_type == "private") r.reply_address = ctx_.config.id + ":" + std::to_string(m.chat_id);
      const std::int64_t seconds = m.edit_date.value_or(m.date);
      r.observed_at = seconds > 0 ? seconds * 1000 : ctx_.clock->NowMs();
      if (m.date > 0) r.published_at = m.date * 1000;
      if (m.edit_date) r.edited_at = *m.edit_date * 1000;
      r.url = TelegramMessageUrl(m);
      r.text = TruncateUtf8(CollapseWhitespace(m.text), kMaxReportTextBytes);
      if (r.text.empty()) continue;
      poll.reports.push_back(std::move(r));
    }
    if (parsed->next_offset) poll.cursor = std::to_string(*parsed->next_offset);
    if (long_poll_s > 0) {
      // Poll again at once after updates; after an empty answer (the hold ran out, or a server
      // that does not hold) pause briefly so a misbehaving server never gets a hot loop.
      poll.next_delay_ms =
          parsed->next_offset ? 0 : std::min<std::int64_t>(ctx_.config.interval_ms, kEmptyLongPollPauseMs);
    }
    co_return poll;
  }

 private:
  PollerContext ctx_;
};

// ---------------------------------------------------------------- RSS / Atom

struct FeedCursor {
  std::string etag;
  std::string last_modified;
};

FeedCursor ParseFeedCursor(std::string_view value) {
  FeedCursor c;
  while (!value.empty()) {
    const auto nl = value.find('\n');
    const std::string_view line = value.substr(0, nl);
    if (line.starts_with("etag=")) c.etag = std::string(line.substr(5));
    if (line.starts_with("last_modified=")) c.last_modified = std::string(line.substr(14));
    value = nl == std::string_view::npos ? std::string_view() : value.substr(nl + 1);
  }
  return c;
}

std::string SerializeFeedCursor(const FeedCursor& c) {
  std::string out;
  if (!c.etag.empty()) out += "etag=" + c.etag;
  if (!c.last_modified.empty()) out += (out.empty() ? "" : "\n") + ("last_modified=" + c.last_modified);
  return out;
}

class FeedPoller final : public Poller {
 public:
  explicit FeedPoller(PollerContext ctx) : ctx_(std::move(ctx)) {}

  net::awaitable<Poll> Fetch(std::string cursor) override {
    const FeedCursor prev = ParseFeedCursor(cursor);
    HttpGetRequest req;
    req.url = ctx_.config.url;
    req.timeout_ms = ctx_.config.timeout_ms;
    req.max_body_bytes = ctx_.config.max_body_bytes;
    req.headers.emplace_back(
        "Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5");
    if (!prev.etag.empty()) req.headers.emplace_back("If-None-Match", prev.etag);
    if (!prev.last_modified.empty()) req.headers.emplace_back("If-Modified-Since", prev.last_modified);
    req.targets = ctx_.targets;
    const std::string shown = RedactSecrets(req.url);
    auto res = co_await ctx_.client->Get(std::move(req));
    if (!res) co_return Failed(res.error().code, res.error().message);
    if (res->status == 304) co_return Poll{};
    if (res->status != 200) co_return HttpFailure(*res, shown);
    auto feed = ParseFeed(res->body);
    if (!feed) co_return Failed(feed.error().code, feed.error().message + " (from " + shown + ")");
    Poll poll;
    for (auto& item : feed->items) {
      Report r = BaseReport(ctx_);
      r.source_ref = ctx_.config.id + ":" + item.id;
      std::string text = item.text;
      if (text.empty()) {
        text = item.title;
      } else if (!item.title.empty() && !text.starts_with(item.title)) {
        text = item.title + "\n" + text;
      }
      r.text = TruncateUtf8(std::move(text), kMaxReportTextBytes);
      r.observed_at = item.published.value_or(ctx_.clock->NowMs());
      r.published_at = item.published.value_or(0);
      r.edited_at = item.updated.value_or(0);
      r.url = item.link;
      r.submitted_by = Pseudonym(ctx_.pseudonym_key, ctx_.config.type,
                                 item.author.empty() ? ctx_.config.id
                                                     : ctx_.config.id + "/" + item.author);
      poll.reports.push_back(std::move(r));
    }
    FeedCursor next;
    if (auto it = res->headers.find("etag"); it != res->headers.end()) next.etag = it->second;
    if (auto it = res->headers.find("last-modified"); it != res->headers.end()) {
      next.last_modified = it->second;
    }
    poll.cursor = SerializeFeedCursor(next);
    co_return poll;
  }

 private:
  PollerContext ctx_;
};

// ---------------------------------------------------------------- Mastodon

class MastodonPoller final : public Poller {
 public:
  MastodonPoller(PollerContext ctx, std::string path) : ctx_(std::move(ctx)), path_(std::move(path)) {}

  net::awaitable<Poll> Fetch(std::string cursor) override {
    HttpGetRequest req;
    req.url = StripSlash(ctx_.config.url) + path_ + "?limit=40";
    if (!cursor.empty()) req.url += "&since_id=" + cursor;
    req.timeout_ms = ctx_.config.timeout_ms;
    req.max_body_bytes = ctx_.config.max_body_bytes;
    req.headers.emplace_back("Accept", "application/json");
    if (!ctx_.config.token.empty()) {
      req.headers.emplace_back("Authorization", "Bearer " + ctx_.config.token);
    }
    req.targets = ctx_.targets;
    const std::string shown = RedactSecrets(req.url);
    auto res = co_await ctx_.client->Get(std::move(req));
    if (!res) co_return Failed(res.error().code, res.error().message);
    if (res->status != 200) co_return HttpFailure(*res, shown);
    auto statuses = ParseMastodonStatuses(res->body);
    if (!statuses) {
      co_return Failed(statuses.error().code, statuses.error().message + " (from " + shown + ")");
    }
    Poll poll;
    std::string newest = cursor;
    // Timelines come newest first; submit oldest first.
    for (auto it = statuses->rbegin(); it != statuses->rend(); ++it) {
      if (newest.empty() || MastodonIdNewer(it->id, newest)) newest = it->id;
      if (!cursor.empty() && !MastodonIdNewer(it->id, cursor)) continue;  // server ignored since_id
      Report r = BaseReport(ctx_);
      r.source_ref = ctx_.config.id + ":" + it->id;
      r.text = TruncateUtf8(std::move(it->text), kMaxReportTextBytes);
      r.observed_at = it->created_at.value_or(ctx_.clock->NowMs());
      r.published_at = it->created_at.value_or(0);
      r.edited_at = it->edited_at.value_or(0);
      r.url = it->url;
      r.submitted_by = Pseudonym(ctx_.pseudonym_key, "mastodon",
                                 StripSlash(ctx_.config.url) + "/" + it->account_id);
      poll.reports.push_back(std::move(r));
    }
    if (newest != cursor) poll.cursor = newest;
    co_return poll;
  }

 private:
  PollerContext ctx_;
  std::string path_;
};

}  // namespace

std::string TruncateUtf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

Result<std::unique_ptr<Poller>> MakePoller(PollerContext ctx) {
  const std::string where = "source '" + ctx.config.id + "'";
  if (ctx.config.type == "telegram") {
    if (ctx.config.token.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + ": no bot token (set $" + ctx.config.token_env + ")");
    }
    return std::make_unique<TelegramPoller>(std::move(ctx));
  }
  if (ctx.config.type == "rss" || ctx.config.type == "atom") {
    return std::make_unique<FeedPoller>(std::move(ctx));
  }
  if (ctx.config.type == "mastodon") {
    const std::string& t = ctx.config.timeline;
    std::string path;
    if (t == "public") {
      path = "/api/v1/timelines/public";
    } else if (t.starts_with("tag:") && t.size() > 4) {
      path = "/api/v1/timelines/tag/" + PercentEncode(t.substr(4));
    } else if (t.starts_with("account:") && t.size() > 8) {
      path = "/api/v1/accounts/" + PercentEncode(t.substr(8)) + "/statuses";
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + ": timeline must be public, tag:NAME or account:ID, got '" + t + "'");
    }
    return std::make_unique<MastodonPoller>(std::move(ctx), std::move(path));
  }
  if (ctx.config.type == "vk") return MakeVkPoller(std::move(ctx));
  return MakeError(ErrorCode::kInvalidArgument,
                   where + ": unknown type '" + ctx.config.type + "'");
}

}  // namespace sakchy::ingest::sources::internal
