#pragma once
// A fake WhatsApp Business Cloud API (Graph API) on loopback, both directions of the wire format:
// - POST /<version>/<phone-number-id>/messages with "Authorization: Bearer <token>": checks the
//   token (401 {"error":{"code":190,...}}), the phone-number id (400 code 100), the body
//   (messaging_product "whatsapp", a "to", type "text" with text.body, or "template" with a
//   name); records it and answers {"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],
//   "messages":[{"id":"wamid.fake.N"}]}.
// - The webhook side, as Meta sends it to the service: TextWebhook / MediaWebhook /
//   StatusWebhook build notification bodies and Sign() their X-Hub-Signature-256.
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/scripted_http_server.h"

namespace sakchy::testing {

struct SentWhatsAppMessage {
  std::string to;
  std::string type;        // "text" | "template"
  std::string text;        // text.body, or the template's first body parameter
  std::string template_name;
  std::string callback;    // biz_opaque_callback_data
  std::string id;          // the wamid answered
};

class WhatsAppFake {
 public:
  WhatsAppFake(std::string token, std::string phone_number_id);

  // "http://127.0.0.1:<port>/v21.0" (whatsapp.api_base)
  std::string api_base() const { return server_.url("/v21.0"); }
  std::vector<SentWhatsAppMessage> sent() const;
  // The next `n` sends answer 500 (a Graph API outage).
  void FailNext(int n);

  // Webhook bodies (object whatsapp_business_account, one entry, field messages). `timestamp`
  // (Unix seconds) 0: now, as WhatsApp sends it.
  static std::string TextWebhook(const std::string& from, const std::string& id,
                                 const std::string& text, std::int64_t timestamp = 0);
  static std::string MediaWebhook(const std::string& from, const std::string& id,
                                  const std::string& type, std::int64_t timestamp = 0);
  static std::string StatusWebhook(const std::string& wamid, const std::string& status,
                                   const std::string& callback, const std::string& recipient);
  // "sha256=<hex HMAC-SHA256(app_secret, body)>"
  static std::string Sign(const std::string& app_secret, const std::string& body);

 private:
  ScriptedResponse Handle(const RecordedRequest& req);

  std::string token_;
  std::string phone_number_id_;
  mutable std::mutex mu_;
  int fail_ = 0;
  std::vector<SentWhatsAppMessage> sent_;
  ScriptedHttpServer server_;  // last: stops before the members its handler uses
};

}  // namespace sakchy::testing
