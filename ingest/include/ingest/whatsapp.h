#pragma once
// WhatsApp tipline intake: the WhatsApp Business Cloud API webhook (Meta's wire format) turned
// into reports and delivery statuses.
//
//   GET  /v1/ingest/whatsapp?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C  -> C
//   POST /v1/ingest/whatsapp  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>
//        {"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",
//         "value":{"messages":[{"from","id","timestamp","type","text":{"body"}}],
//                  "statuses":[{"id","status","timestamp","recipient_id",
//                               "biz_opaque_callback_data","errors":[{"code","title"}]}]}}]}]}
//
// Pure functions: no I/O, no clock, no shared state; safe to call from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace sakchy::ingest {

struct WhatsAppSettings {
  std::string verify_token;    // hub.verify_token expected in the handshake
  std::string app_secret;      // X-Hub-Signature-256 key
  std::string pseudonym_key;   // HMAC key for sender numbers (required)
  std::int64_t follow_up_window_ms = 0;  // like KannelSettings::follow_up_window_ms
};

// One message of the webhook as a report ready for Pipeline::Submit: channel "whatsapp",
// source_ref "wa:<message id>" (WhatsApp redelivers until it gets a 200: idempotent),
// submitted_by "whatsapp:" + 16 hex of HMAC-SHA256(pseudonym key, "+<wa_id>") (the same digits as
// the SMS pseudonym of that number), thread_key/thread_window_ms like SMS follow-ups,
// observed_at = timestamp, reply_address = the wa_id (transient). A message that is not text
// (image, audio, video, document, location, sticker, ...) has an empty text, media_type set and
// its type at the end of the source_ref ("wa:<id>:image"); a caption is not taken (it may
// describe the picture, not the rumour).
struct WhatsAppMessage {
  Report report;
  std::string media_type;  // "" for text
};

// A delivery status of a message the service sent. alert_id is the biz_opaque_callback_data the
// service put on the message (the outbox id); empty when absent.
struct WhatsAppStatus {
  std::string message_id;  // wamid
  std::string status;      // "sent" | "delivered" | "read" | "failed" (others ignored)
  std::string alert_id;
  std::string error;       // "131047: Re-engagement message" for failed
};

struct WhatsAppWebhook {
  std::vector<WhatsAppMessage> messages;
  std::vector<WhatsAppStatus> statuses;
};

// The challenge to echo for a valid subscription handshake (hub.mode=subscribe and the verify
// token, compared in constant time). kUnauthenticated for a wrong or missing token (and no token
// configured), kInvalidArgument for a wrong mode or no challenge.
[[nodiscard]] Result<std::string> WhatsAppHandshake(
    const std::map<std::string, std::string>& query, std::string_view verify_token);

// Checks X-Hub-Signature-256 ("sha256=<64 hex>") over the raw body, in constant time.
// kUnauthenticated when missing, malformed or wrong, or when no app secret is configured.
[[nodiscard]] Status VerifyWhatsAppSignature(std::string_view header, std::string_view body,
                                             std::string_view app_secret);

// Parses a (verified) webhook body. kInvalidArgument when it is not JSON or not a
// whatsapp_business_account notification; entries of other fields are skipped; a message
// without "from" or "id" is skipped. kInternal without a pseudonym key.
[[nodiscard]] Result<WhatsAppWebhook> ParseWhatsAppWebhook(std::string_view body,
                                                           const WhatsAppSettings& settings);

// "whatsapp:" + the first 16 hex digits of HMAC-SHA256(key, "+<digits of wa_id>").
[[nodiscard]] std::string WhatsAppSenderPseudonym(std::string_view key, std::string_view wa_id);

}  // namespace sakchy::ingest
