#include "fakes/whatsapp_fake.h"

#include <ctime>

#include <boost/json.hpp>

#include "core/crypto.h"

namespace sakchy::testing {
namespace {

namespace json = boost::json;

ScriptedResponse Json(int status, const json::value& body) {
  return {status, {{"Content-Type", "application/json"}}, json::serialize(body), {}};
}

ScriptedResponse GraphError(int status, int code, const std::string& message) {
  return Json(status, json::object{{"error", json::object{{"message", message},
                                                          {"type", "OAuthException"},
                                                          {"code", code}}}});
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Envelope(const json::object& value) {
  json::object v = value;
  v["messaging_product"] = "whatsapp";
  v["metadata"] = json::object{{"display_phone_number", "996312000000"},
                               {"phone_number_id", "106540352242922"}};
  return json::serialize(json::object{
      {"object", "whatsapp_business_account"},
      {"entry", json::array{json::object{
                    {"id", "102290129340398"},
                    {"changes", json::array{json::object{{"field", "messages"},
                                                         {"value", std::move(v)}}}}}}}});
}

}  // namespace

WhatsAppFake::WhatsAppFake(std::string token, std::string phone_number_id)
    : token_(std::move(token)),
      phone_number_id_(std::move(phone_number_id)),
      server_([this](const RecordedRequest& req) { return Handle(req); }) {}

std::vector<SentWhatsAppMessage> WhatsAppFake::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

void WhatsAppFake::FailNext(int n) {
  std::lock_guard lock(mu_);
  fail_ = n;
}

ScriptedResponse WhatsAppFake::Handle(const RecordedRequest& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (req.method != "POST" || !path.starts_with("/v21.0/") || !path.ends_with("/messages")) {
    return GraphError(404, 100, "Unknown path components");
  }
  auto auth = req.headers.find("authorization");
  if (auth == req.headers.end() || auth->second != "Bearer " + token_) {
    return GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token");
  }
  const std::string id = path.substr(7, path.size() - 7 - 9);
  if (id != phone_number_id_) {
    return GraphError(400, 100, "Unsupported post request. Object with ID '" + id +
                                    "' does not exist");
  }
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object()) return GraphError(400, 100, "Invalid JSON");
  const auto& o = body.as_object();
  if (Str(o, "messaging_product") != "whatsapp") {
    return GraphError(400, 100, "The parameter messaging_product is required.");
  }
  SentWhatsAppMessage m;
  m.to = Str(o, "to");
  m.type = Str(o, "type");
  m.callback = Str(o, "biz_opaque_callback_data");
  if (m.to.empty()) return GraphError(400, 100, "The parameter to is required.");
  if (m.type == "text") {
    const auto* t = o.if_contains("text");
    if (t == nullptr || !t->is_object() || Str(t->as_object(), "body").empty()) {
      return GraphError(400, 100, "The parameter text['body'] is required.");
    }
    m.text = Str(t->as_object(), "body");
  } else if (m.type == "template") {
    const auto* t = o.if_contains("template");
    if (t == nullptr || !t->is_object() || Str(t->as_object(), "name").empty()) {
      return GraphError(400, 100, "The parameter template['name'] is required.");
    }
    m.template_name = Str(t->as_object(), "name");
    try {
      m.text = Str(t->as_object().at("components").as_array().at(0).as_object().at("parameters")
                       .as_array().at(0).as_object(),
                   "text");
    } catch (const std::exception&) {
      m.text.clear();
    }
  } else {
    return GraphError(400, 100, "Unsupported message type '" + m.type + "'");
  }
  std::lock_guard lock(mu_);
  if (fail_ > 0) {
    --fail_;
    return GraphError(500, 2, "Service temporarily unavailable");
  }
  m.id = "wamid.fake." + std::to_string(sent_.size() + 1);
  sent_.push_back(m);
  return Json(200, json::object{{"messaging_product", "whatsapp"},
                                {"contacts", json::array{json::object{{"input", m.to},
                                                                      {"wa_id", m.to}}}},
                                {"messages", json::array{json::object{{"id", m.id}}}}});
}

std::string WhatsAppFake::TextWebhook(const std::string& from, const std::string& id,
                                      const std::string& text, std::int64_t timestamp) {
  if (timestamp == 0) timestamp = static_cast<std::int64_t>(std::time(nullptr));
  return Envelope(json::object{
      {"contacts", json::array{json::object{{"profile", json::object{{"name", "Айгүл"}}},
                                            {"wa_id", from}}}},
      {"messages", json::array{json::object{{"from", from},
                                            {"id", id},
                                            {"timestamp", std::to_string(timestamp)},
                                            {"type", "text"},
                                            {"text", json::object{{"body", text}}}}}}});
}

std::string WhatsAppFake::MediaWebhook(const std::string& from, const std::string& id,
                                       const std::string& type, std::int64_t timestamp) {
  if (timestamp == 0) timestamp = static_cast<std::int64_t>(std::time(nullptr));
  json::object media{{"mime_type", "image/jpeg"}, {"sha256", "abc"}, {"id", "1234567890"}};
  json::object message{{"from", from}, {"id", id}, {"timestamp", std::to_string(timestamp)},
                       {"type", type}};
  if (type == "location") {
    message["location"] = json::object{{"latitude", 40.5}, {"longitude", 72.8}};
  } else {
    message[type] = std::move(media);
  }
  return Envelope(json::object{
      {"contacts", json::array{json::object{{"profile", json::object{{"name", "Айгүл"}}},
                                            {"wa_id", from}}}},
      {"messages", json::array{std::move(message)}}});
}

std::string WhatsAppFake::StatusWebhook(const std::string& wamid, const std::string& status,
                                        const std::string& callback,
                                        const std::string& recipient) {
  json::object s{{"id", wamid},
                 {"status", status},
                 {"timestamp", "1717243260"},
                 {"recipient_id", recipient},
                 {"biz_opaque_callback_data", callback}};
  if (status == "failed") {
    s["errors"] = json::array{json::object{{"code", 131047}, {"title", "Re-engagement message"}}};
  }
  return Envelope(json::object{{"statuses", json::array{std::move(s)}}});
}

std::string WhatsAppFake::Sign(const std::string& app_secret, const std::string& body) {
  return "sha256=" + HmacSha256Hex(app_secret, body);
}

}  // namespace sakchy::testing
