// VK public walls (wall.get) and the comments of their newest posts (wall.getComments), read with
// a service token. Cursor: "<newest post id>:<its date>", stored with the items it covers.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cctype>

#include "ingest/sources/html_text.h"
#include "ingest/sources/source.h"
#include "ingest/sources/redact.h"
#include "ingest/sources/vk_parser.h"
#include "pollers.h"

namespace sakchy::ingest::sources::internal {
namespace {

namespace net = boost::asio;

constexpr int kPageSize = 100;
constexpr int kMaxPages = 5;            // at most 500 new posts per poll; the rest next time
constexpr std::int64_t kFloodWaitMs = 1000;

std::int64_t ParseInt(std::string_view s) {
  std::int64_t v = 0;
  const auto parsed = std::from_chars(s.data(), s.data() + s.size(), v);
  return parsed.ec == std::errc() ? v : 0;
}

bool IsNumericOwner(std::string_view owner) {
  if (owner.starts_with("-")) owner.remove_prefix(1);
  return !owner.empty() &&
         std::all_of(owner.begin(), owner.end(), [](unsigned char c) { return std::isdigit(c); });
}

class VkPoller final : public Poller {
 public:
  explicit VkPoller(PollerContext ctx) : ctx_(std::move(ctx)), pacer_(VkPacerFor(ctx_.config.token)) {}

  net::awaitable<Poll> Fetch(std::string cursor) override {
    const auto colon = cursor.find(':');
    const std::int64_t last_id = cursor.empty() ? 0 : ParseInt(cursor.substr(0, colon));
    std::int64_t newest_id = last_id;
    std::int64_t newest_date =
        colon == std::string::npos ? 0 : ParseInt(std::string_view(cursor).substr(colon + 1));
    std::vector<VkItem> fresh;
    std::vector<VkItem> first_page;
    std::int64_t owner_id = IsNumericOwner(ctx_.config.vk_owner) ? ParseInt(ctx_.config.vk_owner) : 0;
    for (int page = 0; page < kMaxPages; ++page) {
      std::string params = IsNumericOwner(ctx_.config.vk_owner)
                               ? "owner_id=" + ctx_.config.vk_owner
                               : "domain=" + ctx_.config.vk_owner;
      params += "&count=" + std::to_string(kPageSize) + "&offset=" + std::to_string(page * kPageSize);
      VkResponse res;
      if (auto failed = co_await Call("wall.get", params, &res)) co_return std::move(*failed);
      if (page == 0) first_page = res.items;
      bool reached = false;
      for (const VkItem& item : res.items) {
        if (owner_id == 0) owner_id = item.owner_id;
        if (item.id > newest_id) {
          newest_id = item.id;
          newest_date = item.date;
        }
        if (item.id > last_id) {
          fresh.push_back(item);
        } else if (!item.pinned) {
          reached = true;  // older posts follow: seen before
        }
      }
      const bool last_page = static_cast<int>(res.items.size()) < kPageSize ||
                             (page + 1) * kPageSize >= res.count;
      if (reached || last_page || last_id == 0) break;  // first run: the newest page only
    }
    Poll poll;
    std::sort(fresh.begin(), fresh.end(),
              [](const VkItem& a, const VkItem& b) { return a.id < b.id; });
    for (const VkItem& item : fresh) {
      if (auto r = ToReport(item, owner_id, 0)) poll.reports.push_back(std::move(*r));
    }
    // Comments of the newest posts (a conversation goes on under a post for a while): taken each
    // poll, stored once (their source_ref is their id).
    std::vector<VkItem> recent;
    for (const VkItem& item : first_page) {
      if (!item.pinned) recent.push_back(item);
    }
    if (static_cast<int>(recent.size()) > ctx_.config.comments_posts) {
      recent.resize(static_cast<std::size_t>(ctx_.config.comments_posts));
    }
    for (const VkItem& post : recent) {
      std::string params = "owner_id=" + std::to_string(owner_id) + "&post_id=" +
                           std::to_string(post.id) + "&count=100&sort=asc";
      VkResponse res;
      if (auto failed = co_await Call("wall.getComments", params, &res)) {
        co_return std::move(*failed);
      }
      for (const VkItem& c : res.items) {
        if (auto r = ToReport(c, owner_id, post.id)) poll.reports.push_back(std::move(*r));
      }
    }
    if (newest_id > last_id) poll.cursor = std::to_string(newest_id) + ":" + std::to_string(newest_date);
    co_return poll;
  }

 private:
  // One API call, paced; std::nullopt and *out filled on success, else the failed poll.
  net::awaitable<std::optional<Poll>> Call(std::string method, std::string params, VkResponse* out) {
    const auto wait = pacer_.Reserve(std::chrono::steady_clock::now());
    if (wait.count() > 0) {
      net::steady_timer timer(co_await net::this_coro::executor, wait);
      boost::system::error_code ec;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    HttpGetRequest req;
    std::string base = ctx_.config.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    req.url = base + "/" + method + "?" + params + "&v=" + ctx_.config.api_version +
              "&access_token=" + ctx_.config.token;
    req.timeout_ms = ctx_.config.timeout_ms;
    req.max_body_bytes = ctx_.config.max_body_bytes;
    req.targets = ctx_.targets;  // allow_private_targets, on every hop (as the other pollers)
    req.headers.emplace_back("Accept", "application/json");
    const std::string shown = RedactSecrets(req.url);
    auto res = co_await ctx_.client->Get(std::move(req));
    Poll failed;
    if (!res) {
      failed.error = res.error();
      co_return failed;
    }
    if (res->status != 200) {
      const ErrorCode code = res->status >= 500 || res->status == 429 ? ErrorCode::kUnavailable
                                                                      : ErrorCode::kInvalidArgument;
      failed.error = Error{code, "HTTP " + std::to_string(res->status) + " from " + shown};
      co_return failed;
    }
    auto parsed = ParseVkResponse(res->body);
    if (!parsed) {
      failed.error = Error{parsed.error().code, parsed.error().message + " (from " + shown + ")"};
      co_return failed;
    }
    if (parsed->error_code) {
      const int code = *parsed->error_code;
      const std::string what = "VK error " + std::to_string(code) + " on " + method + ": " +
                               parsed->error_msg;
      if (code == 6 || code == 9 || code == 10) {  // too many requests, flood control, internal
        failed.error = Error{ErrorCode::kUnavailable, what};
        failed.retry_after_ms = kFloodWaitMs;
      } else if (VkConfigurationError(code)) {
        failed.error = Error{ErrorCode::kPermissionDenied,
                             what + ": configuration error: check the service token in $" +
                                 ctx_.config.token_env + " and that wall '" +
                                 ctx_.config.vk_owner + "' is public"};
      } else {
        failed.error = Error{ErrorCode::kUnavailable, what};
      }
      co_return failed;
    }
    *out = std::move(*parsed);
    co_return std::nullopt;
  }

  std::optional<Report> ToReport(const VkItem& item, std::int64_t owner_id, std::int64_t post_id) {
    std::string text = CollapseWhitespace(item.text);
    if (text.empty()) return std::nullopt;  // photos or reposts without text of their own
    Report r;
    r.channel = "vk";
    r.area = ctx_.config.area;
    const std::string post = std::to_string(owner_id) + "_" + std::to_string(post_id ? post_id : item.id);
    r.source_ref = "vk:" + post + (post_id ? "_c" + std::to_string(item.id) : "");
    r.url = "https://vk.com/wall" + post + (post_id ? "?reply=" + std::to_string(item.id) : "");
    r.text = CutAtWord(std::move(text), kMaxReportTextBytes);
    r.submitted_by = Pseudonym(ctx_.pseudonym_key, "vk", std::to_string(item.from_id));
    r.published_at = item.date * 1000;
    r.edited_at = item.edited * 1000;
    r.observed_at = item.edited > 0 ? item.edited * 1000
                    : item.date > 0 ? item.date * 1000
                                    : ctx_.clock->NowMs();
    return r;
  }

  PollerContext ctx_;
  RequestPacer& pacer_;
};

}  // namespace

Result<std::unique_ptr<Poller>> MakeVkPoller(PollerContext ctx) {
  if (ctx.config.token.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "source '" + ctx.config.id +
                                                      "': no service token (set $" +
                                                      ctx.config.token_env + ")");
  }
  if (ctx.config.vk_owner.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "source '" + ctx.config.id + "': no wall owner (owner: -123456 or a name)");
  }
  return std::unique_ptr<Poller>(std::make_unique<VkPoller>(std::move(ctx)));
}

}  // namespace sakchy::ingest::sources::internal
