#pragma once
// Typed service configuration, loaded from YAML and validated at start-up.
// Errors name file:line, the field and the problem, one per line, so a person can fix them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/analytics.h"
#include "config/areas.h"
#include "core/address_filter.h"
#include "core/result.h"
#include "core/types.h"

namespace sakchy::config {

// TLS on the listener (server.tls): PEM files, resolved against the config file's directory.
struct ServerTlsConfig {
  std::string cert_file;            // certificate chain, leaf first
  std::string key_file;             // its private key
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

// The HTTP listener and its limits (docs/SECURITY.md, "Limits").
struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;      // 0 = pick a free port (tests)
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  int io_threads = 2;
  std::size_t max_body_bytes_in_flight = 256 << 20;  // all bodies held at once; past it 503
  std::size_t max_connections = 1024;        // at most half the descriptor limit
  std::size_t max_connections_per_ip = 256;  // 0 = no per-address share
  int idle_timeout_seconds = 60;             // keep-alive connection between requests
  int header_timeout_seconds = 10;           // accept / first byte -> complete header
  int body_timeout_seconds = 60;             // complete header -> complete body
  int export_threads = 1;                    // threads of the exports' own pool
  std::size_t max_exports_per_token = 2;     // concurrent exports per token; past it 429
  std::optional<ServerTlsConfig> tls;
};

struct StorageConfig {
  std::string data_dir = "./var/data";
  bool sync_writes = true;  // fsync the WAL before acknowledging a write
  // Flushes and compactions write at most this much per second (0 = no limit), so that their
  // writeback does not sit in front of the log's fsyncs that clients wait for.
  std::uint32_t background_write_mb_per_s = 64;
  // Obsolete log and table files are removed at most this fast, 1 MB at a time (0 = at once),
  // so that the discards of a file system mounted with `discard` do not stall the log's fsyncs.
  std::uint32_t delete_mb_per_s = 32;
};

struct PipelineConfig {
  std::size_t queue_capacity = 10000;  // reports waiting for scoring; full -> 503
  int scoring_threads = 1;
  // Scheduling niceness of the scoring threads (0..19): scoring is asynchronous, so under load the
  // intake threads (whose latency a client waits for) come first; scoring takes the spare CPU and
  // the bounded queue absorbs bursts.
  int scoring_nice = 10;
  std::size_t max_text_bytes = 16384;
  // A report's observed_at must lie within [receipt - max_past, receipt + max_future]: outside,
  // the API answers 400 naming observed_at; SMS and pulled items are clamped into the window
  // (their source's own time stays in published_at). Keeps reports out of arbitrary trend buckets.
  std::int64_t observed_at_max_past_ms = 30LL * 24 * 3600 * 1000;
  std::int64_t observed_at_max_future_ms = 5LL * 60 * 1000;
};

// A learned scorer beside the rules (docs/MODELS.md): a model directory, the label it must have
// been trained to recognise, and how its probability enters the score.
struct ModelConfig {
  std::string dir;              // resolved directory path
  std::string label;            // the model's positive label, e.g. "rumour"
  double weight = 1;            // contribution = weight × probability ...
  double min_probability = 0.5; // ... when probability >= min_probability, else 0
  std::string category;         // added to the event's categories when it contributes
  std::string origin;           // "file:line" of the entry
};

struct ClassifierConfig {
  std::string rules_dir;   // resolved: a directory path, or "embedded:rules"
  std::string areas_file;  // resolved: a file path, or "embedded:areas.yaml"
  std::vector<ModelConfig> models;  // default: none
};

// Kannel `sendsms` (config `alerts.channels.sms`). The password is resolved from password_env at
// load time and must never be logged.
struct SmsChannelConfig {
  std::string sendsms_url;   // e.g. http://127.0.0.1:13013/cgi-bin/sendsms
  std::string username;      // Kannel sendsms-user
  std::string password_env;  // environment variable holding its password
  std::string password;      // resolved
  std::string from;          // sender shown on the phone (required by Kannel)
  std::string dlr_url_base;  // base URL of this service; empty = no delivery reports requested
};

// Telegram Bot API `sendMessage` (config `alerts.channels.telegram`).
struct TelegramChannelConfig {
  std::string api_base = "https://api.telegram.org";
  std::string token_env;  // environment variable holding the bot token
  std::string token;      // resolved; never logged
};

// SMTP submission (config `alerts.channels.email`).
// The SASL mechanism of SMTP AUTH: kAny lets the client pick one the server offers (PLAIN, LOGIN);
// kXoauth2 sends the password as an OAuth 2.0 bearer token.
enum class SmtpAuth { kAny, kPlain, kLogin, kXoauth2 };

struct EmailChannelConfig {
  std::string host;
  std::uint16_t port = 25;
  std::string from;        // envelope and header sender, an e-mail address
  bool starttls = false;   // require STARTTLS before AUTH and mail
  bool implicit_tls = false;  // TLS from the first byte (RFC 8314, port 465); not with starttls
  std::string helo_name;   // the FQDN sent in EHLO; empty = this host's FQDN
  SmtpAuth auth = SmtpAuth::kAny;
  std::string username;    // empty = no AUTH
  std::string password_env;
  std::string password;    // resolved; never logged
};

// WhatsApp Business Cloud API tipline (config `whatsapp:`): the webhook that receives messages
// (GET /v1/ingest/whatsapp handshake, POST signed with the app secret) and the Graph API
// `messages` endpoint that answers reporters. Secrets are resolved from the environment at load
// time when enabled and never logged.
struct WhatsAppConfig {
  bool enabled = false;
  std::string verify_token_env;  // hub.verify_token of the subscription handshake
  std::string verify_token;
  std::string app_secret_env;    // key of X-Hub-Signature-256 (HMAC-SHA256 of the raw body)
  std::string app_secret;
  std::string access_token_env;  // Graph API bearer token for outgoing messages
  std::string access_token;
  std::string phone_number_id;   // the business number's id (POST /<id>/messages)
  std::string api_base = "https://graph.facebook.com/v21.0";
  // Outside the 24-hour customer service window free text is refused: a pre-approved template
  // with one body parameter (the text) is sent instead. Empty name: no reply outside the window.
  std::string template_name;
  std::string template_language = "ru";
  std::int64_t follow_up_window_ms = 600000;  // like sms.kannel.follow_up_window_ms
  std::string origin;
};

// Answers to the people who reported (config `replies:`, alerts/replies.h): an acknowledgement
// with a short reference, the verified answer when a verdict is recorded on their rumour, and a
// request for text after a picture or voice message. Only to reply-capable person channels
// (SMS, WhatsApp, private Telegram chats); never to public sources.
struct RepliesConfig {
  bool enabled = false;
  bool acknowledge = true;              // acknowledge each new report
  std::string default_language = "ky";  // when the report's language is not recognised
  int ack_max = 3;                      // acknowledgements per sender ...
  std::int64_t ack_per_ms = 3'600'000;  // ... per window (the report is stored regardless)
  std::string public_telegram_chat;     // published verdicts are also posted here (alerts bot)
  std::string messages_dir;             // <lang>.po catalogues overriding the bundled wording
  std::string origin;
};

// Global settings of the channels other than webhook; a contact may only use a configured one.
struct ChannelsConfig {
  std::optional<SmsChannelConfig> sms;
  std::optional<TelegramChannelConfig> telegram;
  std::optional<EmailChannelConfig> email;
  // Set by the service (not read from alerts.channels), for replies to reporters: the WhatsApp
  // Graph API settings, the bots of the Telegram sources by source id (a private chat is answered
  // by the bot it wrote to), and the key that opens sealed reply addresses (SealText).
  std::optional<WhatsAppConfig> whatsapp;
  std::map<std::string, TelegramChannelConfig> source_bots;
  std::string reply_key;
};

// Which alerts a route takes (config `alerts.route`, `match:`). Every given matcher must hold.
struct RouteMatch {
  std::vector<AreaCode> areas;          // the alert's area lies within one of them (empty = any)
  std::vector<std::string> categories;  // the alert has one of them (empty = any)
  std::optional<Severity> min_severity;
  std::optional<Severity> max_severity;
  std::vector<std::string> kinds;       // "event" | "signal" (empty = any)
};

// Escalation of unacknowledged alert groups (config `escalation:` of a route).
struct EscalationConfig {
  std::int64_t after_ms = 0;                // 0 = no escalation; not acknowledged within -> next
  int max_steps = 1;                        // how many times (N)
  Severity min_severity = Severity::kHigh;  // only groups at or above
  // Explicit recipients per step (contact ids); empty: step k = the contacts of the k-th
  // ancestor area above the alert's area that has any (with `roles` when given).
  std::vector<std::vector<std::string>> steps;
  std::vector<std::string> roles;
};

// One node of the route tree (config `alerts.route`), in the spirit of Alertmanager: children
// are tried in order, the first that matches takes the alert unless it says `continue: true`;
// a node no child takes handles the alert itself. Unset values are inherited from the parent.
struct RouteConfig {
  std::string id;  // "root", "root.0", "root.0.1" ... (assigned at load)
  RouteMatch match;
  bool continue_matching = false;  // `continue`
  // Labels whose values make the group key: event, area, category, severity, subject, kind.
  std::optional<std::vector<std::string>> group_by;
  std::optional<std::int64_t> group_wait_ms;       // first notification of a new group
  std::optional<std::int64_t> group_interval_ms;   // between notifications of a changed group
  std::optional<std::int64_t> repeat_interval_ms;  // re-notify an unchanged, unacknowledged group
  // Minimum severity for contacts of ancestor areas: [i] applies i+1 levels above the alert's
  // area (the last entry further up); empty = ancestors hear everything their own settings allow.
  std::optional<std::vector<Severity>> parent_min_severity;
  std::optional<EscalationConfig> escalation;
  std::vector<std::string> contacts;  // explicit recipients (ids); empty = contacts of the area
  std::vector<std::string> roles;     // only contacts with one of these roles (empty = any)
  std::vector<RouteConfig> routes;
  std::string origin;  // "file:line"
};

// Per-recipient rate limit: beyond `max` notifications in `per_ms`, further ones (below
// critical) are held and sent as one digest when the window ends. max 0 = no limit.
struct RateLimitConfig {
  int max = 0;
  std::int64_t per_ms = 3'600'000;
};

struct AlertsConfig {
  Severity min_severity = Severity::kHigh;  // events at or above raise alerts
  std::int64_t timeout_ms = 5000;           // per delivery attempt
  std::int64_t backoff_initial_ms = 1000;
  std::int64_t backoff_max_ms = 300000;
  std::int64_t give_up_after_ms = 24LL * 3600 * 1000;  // then the alert is marked failed
  int max_in_flight = 64;
  ChannelsConfig channels;
  // Root of the route tree. Unset values default to: group_by [event], group_wait 0,
  // group_interval 5 min, repeat_interval 4 h, parent_min_severity [high, critical], no
  // escalation (applied by the alerts module).
  RouteConfig route;
  RateLimitConfig rate_limit;
  std::int64_t resolve_after_ms = 24LL * 3600 * 1000;  // a group with no new input closes
  // Open alert groups kept at most (~1 KB each): past this the groups with the oldest input close
  // early, those that have notified first (a flood of alerts must not exhaust memory).
  std::size_t max_open_groups = 50'000;
  // Contacts told when a notification cannot be delivered (dead letter, failed on every
  // channel); empty: contacts with role analyst_on_duty covering the alert's area.
  std::vector<std::string> duty_contacts;
  // Internal addresses (CIDR: "127.0.0.1/32") webhooks may still reach: a deployment with a local
  // receiver. Every other loopback, private, link-local, multicast, unspecified or metadata
  // address is refused (core/address_filter.h), in the config, in the contacts API and again at
  // connect time.
  std::vector<std::string> allow_private_targets;
};

struct ContactChannel {
  std::string type;     // "sms" | "telegram" | "email" | "webhook"
  // sms: E.164 number "+996..." (key `to`); telegram: chat id, e.g. "123456" or "-100..." or
  // "@channel" (key `chat_id`); email: an address (key `to`); webhook: http(s) URL (key `url`).
  std::string address;
  std::string secret;   // webhook: HMAC key (resolved from secret_env when given)
  std::string secret_env;  // webhook: the environment variable holding it ("" for a literal)
  std::string origin;   // "file:line" where it was defined, for later error messages
};

// Quiet hours of a contact in Asia/Bishkek time (UTC+6 all year): from `start_minute` to
// `end_minute` (minutes after midnight, end exclusive; end < start spans midnight). Alerts below
// critical wait until they end; critical ones go through.
struct QuietHours {
  int start_minute = 0;
  int end_minute = 0;
};

struct Contact {
  std::string id;
  std::string name;
  std::string role;
  std::string language = "ru";  // ky | ru | uz | en
  std::vector<AreaCode> areas;  // subscribed areas; an area covers its descendants
  Severity min_severity = Severity::kInfo;
  std::vector<ContactChannel> channels;  // in order of preference
  std::vector<std::string> categories;   // categories of interest; empty = every category
  std::optional<QuietHours> quiet_hours;
  std::string origin;  // "file:line" where it was defined (or "api"), for later error messages
};

// The problem with a contact channel's address for its type, or "" when it is well-formed:
// sms "+" and 7..15 digits; telegram a numeric chat id or @username; email name@example.org;
// webhook an http(s) URL with a host. An unknown type is a problem too.
std::string ChannelAddressProblem(std::string_view type, const std::string& address);
// A webhook URL's problem as ChannelAddressProblem, or, when its host is an IP literal or a
// localhost name, an internal address `targets` does not allow (names are checked again once
// resolved, at each delivery). "" when fine.
std::string WebhookTargetProblem(const std::string& url, const AddressFilter& targets);
// Webhook signing keys come only from environment variables with this prefix, so a contact
// cannot make the service sign with another secret it holds (e.g. Kannel's).
inline constexpr std::string_view kWebhookSecretEnvPrefix = "SAKCHY_WEBHOOK_";
bool IsWebhookSecretEnv(std::string_view name);
// The problem text for a name without the prefix (never says whether the variable exists).
std::string WebhookSecretEnvProblem();
// "HH:MM" (00:00..23:59) as minutes after midnight; std::nullopt when malformed.
std::optional<int> ParseClockMinutes(std::string_view text);

// monitor: submit reports; analyst: read everything; admin: everything; official: read like an
// analyst, but only the data of the areas its token covers (and everything below them).
enum class Role { kMonitor, kAnalyst, kAdmin, kOfficial };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);

struct TokenConfig {
  std::string name;
  Role role = Role::kMonitor;
  std::string sha256;  // lower-case hex SHA-256 of the bearer token
  std::vector<AreaCode> areas;  // official: the areas it covers (non-empty); other roles: empty
  std::string origin;           // "file:line" or "SAKCHY_TOKENS entry N", for later messages
};

struct LoggingConfig {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text | json
};

// One pull source (config `sources:`). Tokens are resolved from the environment at load time and
// must never be logged.
struct SourceConfig {
  std::string id;    // unique; prefixes RSS/Atom/Mastodon source_refs and names metrics
  std::string type;  // "telegram" | "rss" (RSS 2.0 or Atom, sniffed) | "atom" | "mastodon" | "vk"
  std::string url;   // feed URL; Telegram/Mastodon: API base URL (telegram: https://api.telegram.org)
  std::string token_env;  // environment variable holding the bot token / access token
  std::string token;      // resolved from token_env; empty when none
  std::string timeline = "public";  // mastodon: "public" | "tag:NAME" | "account:ID"
  // vk: the wall to read: a community's owner id ("-123456") or its short name ("osh_news");
  // the API version, pinned (VK changes fields between versions); the newest posts whose comments
  // are read too (wall.getComments) on each poll, 0 = none.
  std::string vk_owner;
  std::string api_version = "5.199";
  int comments_posts = 0;
  std::int64_t interval_ms = 60000;        // between polls, +/-10% jitter
  std::int64_t timeout_ms = 10000;         // total per fetch, redirects included
  std::size_t max_body_bytes = 8 << 20;    // larger responses are refused
  std::int64_t backoff_max_ms = 300000;    // cap of the exponential backoff on errors
  // telegram: getUpdates long polling: the server holds a poll up to this long until an update
  // arrives, and the next poll follows at once (interval_ms is not used); the HTTP timeout is
  // this plus timeout_ms. 0 = short polls every interval_ms. At most 50 (Telegram's limit).
  int long_poll_timeout_s = 25;
  bool enabled = true;
  std::optional<AreaCode> area;  // default area of its reports
  // Internal addresses (CIDR) this source and its redirects may reach (an intranet feed); every
  // other loopback, private, link-local or metadata address is refused at connect time.
  std::vector<std::string> allow_private_targets;
  std::string origin;            // "file:line" where it was defined
};

struct PrivacyConfig {
  std::string pseudonym_key_env;  // environment variable holding the HMAC key for author pseudonyms
  std::string pseudonym_key;      // resolved; empty -> a random per-process key (with a warning)
};

// SMS intake (config `sms:`). Only Kannel for now: `sms: {kannel: {enabled, secret_env,
// allowed_ips, keep_raw_numbers}}`. The secret is resolved from the environment at load time and
// must never be logged. Sender numbers are pseudonymised with privacy.pseudonym_key.
struct SmsConfig {
  bool kannel_enabled = false;
  std::string kannel_secret_env;  // environment variable holding the shared secret
  std::string kannel_secret;      // resolved when enabled; at least 16 characters
  std::vector<std::string> kannel_allowed_ips;  // addresses or CIDR ranges; empty = any
  bool keep_raw_numbers = false;  // store raw sender numbers (to reply) instead of pseudonyms
  // An SMS from the same sender within this time of their last report is attached to it as a
  // follow-up (sms.kannel.follow_up_window_ms; 0 = off).
  std::int64_t follow_up_window_ms = 600000;
  std::string origin;             // "file:line" of the sms.kannel section
};

// Rumour clusters (config `clusters:`); see docs/CLUSTERS.md. Spread thresholds say when a
// cluster raises a cluster-level signal.
struct ClusterSpreadConfig {
  std::uint32_t min_sources = 5;             // N distinct sources ...
  std::int64_t sources_window_ms = 3600000;  // ... within T
  bool new_area = true;                      // a member from an area not alerted before
  std::uint32_t accel_min_recent = 5;        // >= this many members in the last 10 minutes ...
  double accel_factor = 3.0;  // ... and >= factor x the mean per 10 minutes of the 50 before
  // A signal is raised at least at people_floor when >= min_sources distinct people (monitors,
  // SMS senders, private chats) reported the cluster within the window, else at public_floor
  // when >= min_sources sources did; never below the members' max severity.
  Severity people_floor = Severity::kHigh;
  Severity public_floor = Severity::kMedium;  // <= people_floor
};

struct ClustersConfig {
  bool enabled = true;
  std::int64_t window_ms = 6 * 3600 * 1000;  // a cluster not seen for this long is not joined
  int min_matching_hashes = 9;               // of 16 MinHash values (estimated Jaccard 9/16)
  int min_tokens = 3;                        // fewer informative words: a singleton
  std::size_t cache_clusters = 20000;        // cluster states kept in memory
  // Reports indexed at most (~90 B each): the oldest leave the index first, so memory stays
  // bounded at any rate (1,000,000 is 4.6 days at 150,000 reports a day).
  std::size_t max_index_reports = 1000000;
  ClusterSpreadConfig spread;
  std::string origin;  // "file:line" of the section
};

struct Config {
  std::string source;  // file path the config came from, or "embedded:sakchy.yaml"
  ServerConfig server;
  StorageConfig storage;
  PipelineConfig pipeline;
  ClassifierConfig classifier;
  AlertsConfig alerts;
  std::vector<Contact> contacts;
  std::vector<TokenConfig> tokens;
  LoggingConfig logging;
  std::vector<SourceConfig> sources;
  PrivacyConfig privacy;
  SmsConfig sms;
  WhatsAppConfig whatsapp;
  RepliesConfig replies;
  ClustersConfig clusters;
  AnalyticsConfig analytics;  // tension weights, baselines, spikes (config/analytics.h)
  RetentionConfig retention;  // raw text expiry
};

// Loads and validates a config file. Relative paths inside (rules, areas, data_dir) are resolved
// against the directory of the file. Unknown keys are errors. On failure, Error::message holds
// one "file:line: field: problem" line per issue.
[[nodiscard]] Result<Config> LoadConfigFile(const std::string& path);
// The bundled default config (compiled into the binary); its rules and areas are embedded too.
[[nodiscard]] Result<Config> LoadDefaultConfig();
// Parses tokens given as "role:TOKEN,role:TOKEN" (the SAKCHY_TOKENS environment variable) and
// appends them, hashed, to `config`. Names are "env-<role>-<n>", n counting from 1 per role.
// Officials name their areas: "official@KG-O+KG-GO:TOKEN" (area codes joined by '+'); the codes
// are checked against the area tree by ValidateAreas.
// Tokens must be at least 16 characters. On error nothing is appended, and the message never
// contains a token.
[[nodiscard]] Status AddTokensFromEnv(std::string_view spec, Config& config);
// Checks that every area a contact subscribes to, every source's default area and every area of
// an official's token exists in `areas`; one "<origin>: contacts[i].areas: unknown area code 'X'"
// (or sources[i].area, tokens[i].areas) line per problem.
[[nodiscard]] Status ValidateAreas(const Config& config, const AreaTree& areas);

}  // namespace sakchy::config
