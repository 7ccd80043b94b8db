#include "ingest/sources/vk_parser.h"

#include <algorithm>
#include <map>
#include <memory>

#include "core/crypto.h"
#include "core/json_dom.h"

namespace sakchy::ingest::sources {
namespace {

using json_dom::Int;
using json_dom::Member;
using json_dom::Str;

}  // namespace

Result<VkResponse> ParseVkResponse(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(json);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS ||
      doc.type() != simdjson::dom::element_type::OBJECT) {
    return MakeError(ErrorCode::kInvalidArgument, "not a VK API response (not a JSON object)");
  }
  VkResponse out;
  if (auto error = Member(doc, "error")) {
    out.error_code = static_cast<int>(Int(*error, "error_code").value_or(0));
    out.error_msg = Str(*error, "error_msg").value_or("").substr(0, 200);
    return out;
  }
  auto response = Member(doc, "response");
  if (!response) {
    return MakeError(ErrorCode::kInvalidArgument, "not a VK API response (no response or error)");
  }
  out.count = Int(*response, "count").value_or(0);
  auto items = Member(*response, "items");
  simdjson::dom::array arr;
  if (!items || items->get_array().get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : arr) {
    VkItem item;
    item.id = Int(e, "id").value_or(0);
    if (item.id == 0) continue;
    item.owner_id = Int(e, "owner_id").value_or(0);
    item.from_id = Int(e, "from_id").value_or(item.owner_id);
    item.post_id = Int(e, "post_id").value_or(0);
    item.date = Int(e, "date").value_or(0);
    item.edited = Int(e, "edited").value_or(0);
    item.pinned = Int(e, "is_pinned").value_or(0) != 0;
    item.text = Str(e, "text").value_or("");
    out.items.push_back(std::move(item));
  }
  return out;
}

bool VkConfigurationError(int code) {
  return code == 5 || code == 15 || code == 18 || code == 30 || code == 100 || code == 113;
}

std::string CutAtWord(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  if (max_bytes <= kCutMarker.size()) return std::string(kCutMarker.substr(0, max_bytes));
  std::size_t cut = max_bytes - kCutMarker.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  // Back to the last whitespace, unless that would drop more than half of what fits.
  std::size_t space = cut;
  while (space > 0 && text[space] != ' ' && text[space] != '\n' && text[space] != '\t') --space;
  if (space > cut / 2) cut = space;
  while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == '\n')) --cut;
  text.resize(cut);
  text += kCutMarker;
  return text;
}

std::chrono::milliseconds RequestPacer::Reserve(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  auto slot = now;
  if (static_cast<int>(slots_.size()) >= per_second_) {
    // The booking per_second_ places back must be at least a second before this one.
    slot = std::max(now, slots_[slots_.size() - static_cast<std::size_t>(per_second_)] +
                             std::chrono::seconds(1));
  }
  slots_.push_back(slot);
  if (static_cast<int>(slots_.size()) > per_second_) slots_.erase(slots_.begin());
  return std::chrono::duration_cast<std::chrono::milliseconds>(slot - now);
}

RequestPacer& VkPacerFor(std::string_view token) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<RequestPacer>> pacers;
  std::lock_guard lock(mu);
  auto& p = pacers[Sha256Hex(token)];
  if (!p) p = std::make_unique<RequestPacer>(3);
  return *p;
}

}  // namespace sakchy::ingest::sources
