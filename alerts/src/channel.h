#pragma once
// One outbound channel (private to alerts): whether a contact's address on it can be used, how a
// notification is rendered for it, how one attempt is sent, and what a delivery receipt means.
// One implementation per file (channel_<name>.cc); the dispatcher, the renderer and the contact
// checks look a channel up by name instead of comparing names.
//
// Thread safety: implementations are stateless singletons; every method may be called from any
// thread. Send/SendReply run on the dispatcher's io thread and never block it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/address_filter.h"
#include "core/channel.h"
#include "core/result.h"
#include "core/types.h"
#include "http_client.h"
#include "render.h"

namespace sakchy::alerts {

// What one attempt may use. Owned by the dispatcher; pointers outlive the attempt.
struct SendContext {
  const config::ChannelsConfig* channels = nullptr;  // required
  std::int64_t timeout_ms = 0;                       // covers the whole attempt
  boost::asio::ssl::context* tls = nullptr;          // system CA store, peer verification
  const AddressFilter* webhook_targets = nullptr;    // addresses a webhook may connect to
  TimeMs now = 0;                                    // the injected clock's time of the attempt
  std::optional<std::string> secret;                 // webhook: the contact's signing key
};

class Channel {
 public:
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  virtual ~Channel() = default;

  virtual ChannelKind kind() const = 0;

  // Validate: "" when a contact's `channel` of this kind can be used with `channels`, else why
  // not ("channel 'sms' is not configured (alerts.channels.sms)").
  virtual std::string Problem(const config::ContactChannel& channel,
                              const config::ChannelsConfig& channels) const = 0;

  // Render: the payload stored with a notification; "" when it cannot be rendered here (an event
  // kind without its event, a channel without its configuration).
  virtual std::string Render(const Alert& alert, const RenderContext& ctx) const = 0;
  // The payload of a notification written without one (an older version), from its event
  // (ctx.event is set): rendered as a plain event notification.
  virtual std::string RenderStored(const Alert& alert, const RenderContext& ctx) const;

  // A failure known before anything is rendered or sent (not configured, no signing key, a bad
  // address), or std::nullopt.
  virtual std::optional<Outcome> Precheck(const Alert& alert, const SendContext& ctx) const = 0;
  // Send: one attempt of notification `alert` with its rendered `payload`.
  virtual boost::asio::awaitable<Outcome> Send(Alert alert, std::string payload,
                                               SendContext ctx) const = 0;
  // One attempt of a reply to a reporter at the opened `address` (alert.payload: the text or the
  // JSON body without its recipient). Default: fails (the channel does not carry replies).
  virtual boost::asio::awaitable<Outcome> SendReply(Alert alert, std::string address,
                                                    SendContext ctx) const;

  // Parse receipt: true when the channel has delivery receipts (Kannel DLR types, WhatsApp
  // statuses mapped to them); then DlrTransition tells the state and ReceiptError the reason of
  // a failure.
  virtual bool HasReceipts() const { return false; }
  virtual std::string ReceiptError(int type) const;

 protected:
  Channel() = default;
};

// The channel named `name` ("sms", ...), or nullptr for an unknown name. Static instances.
const Channel* FindChannel(std::string_view name);
const Channel& ChannelFor(ChannelKind kind);

// Shared by the implementations: "channel 'sms' is not configured (alerts.channels.sms)" (a
// contact's channel) and "channel sms is not configured (alerts.channels)" (an attempt).
std::string NotConfiguredProblem(ChannelKind kind);
std::string NotConfiguredError(ChannelKind kind);
// A POST/GET request a POST/GET request of one attempt with the common headers
// (Host, User-Agent, Connection: close; Content-Type: application/json when there is a body).
boost::beast::http::request<boost::beast::http::string_body> OutboundRequest(
    boost::beast::http::verb verb, const Endpoint& endpoint, std::string body = {});

}  // namespace sakchy::alerts
