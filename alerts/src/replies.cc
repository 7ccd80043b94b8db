#include "alerts/replies.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "alerts/templates.h"
#include "config/files.h"
#include "core/language.h"
#include "core/utf8.h"

namespace sakchy::alerts {
namespace {

// English first: it must hold every key (the fallback of the others).
constexpr Language kCatalogLanguages[] = {Language::kEn, Language::kKy, Language::kRu,
                                          Language::kUz};
constexpr const char* kKeys[] = {"reply.ack",        "reply.answer",      "reply.send_text",
                                 "status.confirmed", "status.false",      "status.misleading",
                                 "status.unverified", "public.answer"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Upper-cases ASCII and the Cyrillic letters of the stop words (UTF-8), drops punctuation.
std::string Fold(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (std::isalpha(c)) out += static_cast<char>(std::toupper(c));
      continue;  // apostrophes, dots, spaces
    }
    // Apostrophes of Uzbek Latin (‘ ’ ʻ) are dropped like the ASCII one.
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0x98 ||
         static_cast<unsigned char>(s[i + 2]) == 0x99)) {
      i += 2;
      continue;
    }
    if (c == 0xCA && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBB) {
      ++i;
      continue;
    }
    // Two-byte Cyrillic: lower а..п (D0 B0..BF) -> А..П (D0 90..9F); р..я (D1 80..8F) -> Р..Я
    // (D0 A0..AF); ў (D1 9E) -> Ў (D0 8E).
    if (i + 1 < s.size()) {
      const auto d = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xD0 && d >= 0xB0 && d <= 0xBF) {
        out += '\xD0';
        out += static_cast<char>(d - 0x20);
        ++i;
        continue;
      }
      if (c == 0xD1 && d >= 0x80 && d <= 0x8F) {
        out += '\xD0';
        out += static_cast<char>(d + 0x20);
        ++i;
        continue;
      }
      if (c == 0xD1 && d == 0x9E) {
        out += "\xD0\x8E";
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

Result<std::string> Unquote(std::string_view line, std::string_view name, int line_no) {
  line = Trim(line);
  if (line.size() < 2 || line.front() != '"' || line.back() != '"') {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + ":" + std::to_string(line_no) + ": expected a quoted string");
  }
  std::string out;
  for (std::size_t i = 1; i + 1 < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 2 < line.size()) {
      const char n = line[++i];
      c = n == 'n' ? '\n' : n == 't' ? '\t' : n;
    }
    out += c;
  }
  return out;
}

}  // namespace

bool IsStopWord(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 32) return false;
  const std::string f = Fold(text);
  return f == "STOP" || f == "STOPP" || f == "TOKTOT" || f == "TOXTAT" ||
         f == "\xD0\xA1\xD0\xA2\xD0\x9E\xD0\x9F" ||                          // СТОП
         f == "\xD0\xA2\xD0\x9E\xD0\x9A\xD0\xA2\xD0\x9E\xD0\xA2" ||          // ТОКТОТ
         f == "\xD0\xA2\xD0\x8E\xD0\xA5\xD0\xA2\xD0\x90\xD0\xA2";            // ТЎХТАТ
}

std::string ReportReference(std::string_view report_id) { return AlertCode(report_id); }

Result<std::map<std::string, std::string>> ReplyCatalog::ParsePo(std::string_view text,
                                                                 std::string_view name) {
  std::map<std::string, std::string> out;
  std::string ctx, id, id_plural, str;
  std::vector<std::string> forms;  // msgstr[0], msgstr[1], ... of a plural entry
  std::string* current = nullptr;
  auto flush = [&] {
    if (!ctx.empty()) {
      if (forms.empty()) {
        out[ctx] = str.empty() ? id : str;
      } else {
        for (std::size_t i = 0; i < forms.size(); ++i) {
          const std::string& fallback = i == 0 ? id : id_plural;
          out[i == 0 ? ctx : ctx + "#" + std::to_string(i)] = forms[i].empty() ? fallback : forms[i];
        }
      }
    }
    ctx.clear();
    id.clear();
    id_plural.clear();
    str.clear();
    forms.clear();
    current = nullptr;
  };
  const auto fail = [&name](int line_no, std::string_view what) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + ":" + std::to_string(line_no) + ": " + std::string(what));
  };
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    std::string_view rest;
    if (line.starts_with("msgctxt ")) {
      flush();
      current = &ctx;
      rest = line.substr(8);
    } else if (line.starts_with("msgid_plural ")) {
      current = &id_plural;
      rest = line.substr(13);
    } else if (line.starts_with("msgid ")) {
      current = &id;
      rest = line.substr(6);
    } else if (line.starts_with("msgstr[")) {
      // msgstr[N] with N the next form: 0, 1, 2, ... in order.
      const auto close = line.find("] ");
      if (close != 8 || line[7] < '0' || line[7] > '9' ||
          static_cast<std::size_t>(line[7] - '0') != forms.size()) {
        return fail(line_no, "expected msgstr[" + std::to_string(forms.size()) + "]");
      }
      forms.emplace_back();
      current = &forms.back();
      rest = line.substr(close + 2);
    } else if (line.starts_with("msgstr ")) {
      current = &str;
      rest = line.substr(7);
    } else if (line.front() == '"' && current != nullptr) {
      rest = line;
    } else {
      return fail(line_no, "expected msgctxt, msgid or msgstr");
    }
    auto value = Unquote(rest, name, line_no);
    if (!value) return tl::unexpected(value.error());
    if (!IsValidUtf8(*value)) return fail(line_no, "not valid UTF-8");
    *current += *value;
  }
  flush();
  return out;
}

Result<ReplyCatalog> ReplyCatalog::Load(const std::string& dir) {
  ReplyCatalog catalog;
  const std::string base = dir.empty() ? std::string("embedded:messages") : dir;
  for (const Language language : kCatalogLanguages) {
    const std::string lang(LanguageCode(language));
    const std::string path = base + "/" + lang + ".po";
    auto text = config::ReadTextFile(path);
    if (!text) return tl::unexpected(text.error());
    auto parsed = ParsePo(*text, path);
    if (!parsed) return tl::unexpected(parsed.error());
    if (language == Language::kEn) {
      for (const char* key : kKeys) {
        if (!parsed->count(key)) {
          return MakeError(ErrorCode::kInvalidArgument,
                           path + ": message '" + key + "' is missing");
        }
      }
    }
    catalog.texts_[lang] = std::move(*parsed);
  }
  return catalog;
}

const std::string* ReplyCatalog::Find(std::string_view key, std::string_view language) const {
  auto lang = texts_.find(language);
  if (lang == texts_.end()) return nullptr;
  auto it = lang->second.find(std::string(key));
  return it == lang->second.end() ? nullptr : &it->second;
}

bool ReplyCatalog::HasLanguage(std::string_view language) const {
  return texts_.find(language) != texts_.end();
}

std::string ReplyCatalog::Text(std::string_view key, std::string_view language,
                               const std::map<std::string, std::string>& values) const {
  std::string text;
  auto lang = texts_.find(language);
  if (lang != texts_.end()) {
    if (auto it = lang->second.find(std::string(key)); it != lang->second.end()) text = it->second;
  }
  if (text.empty()) {
    if (auto en = texts_.find(LanguageCode(Language::kEn)); en != texts_.end()) {
      if (auto it = en->second.find(std::string(key)); it != en->second.end()) text = it->second;
    }
  }
  for (const auto& [name, value] : values) {
    const std::string placeholder = "{" + name + "}";
    for (auto pos = text.find(placeholder); pos != std::string::npos;
         pos = text.find(placeholder, pos + value.size())) {
      text.replace(pos, placeholder.size(), value);
    }
  }
  return text;
}

std::string AnswerText(const ReplyCatalog& catalog, std::string_view language,
                       VerdictStatus status, std::string_view statement, std::string_view ref,
                       bool sms) {
  const std::string status_text =
      catalog.Text("status." + std::string(VerdictStatusName(status)), language);
  auto render = [&](std::string_view s) {
    return std::string(Trim(catalog.Text(
        "reply.answer", language,
        {{"ref", std::string(ref)}, {"status", status_text}, {"statement", std::string(s)}})));
  };
  std::string text = render(statement);
  if (!sms || Utf16Units(text) <= kSmsMaxUnits) return text;
  // Cut the statement a code point at a time until the message fits two SMS parts.
  std::u32string cps;
  for (std::size_t i = 0; i < statement.size();) {
    const auto c = static_cast<unsigned char>(statement[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    cps.push_back(static_cast<char32_t>(i));  // byte offsets of each code point
    i += n;
  }
  for (std::size_t keep = cps.size(); keep-- > 0;) {
    text = render(std::string(statement.substr(0, cps[keep])) + "…");
    if (Utf16Units(text) <= kSmsMaxUnits) return text;
  }
  return text;
}

}  // namespace sakchy::alerts
