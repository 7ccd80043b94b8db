#include "wording.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>

namespace sakchy::alerts {
namespace {

constexpr const char* kVerdictKeys[] = {"unverified", "confirmed", "false", "misleading"};
constexpr const char* kTrendKeys[] = {"steady", "accelerating", "slowing"};
constexpr const char* kSpanKeys[] = {"seconds", "minutes", "hours"};
constexpr const char* kCategories[] = {"call_to_action", "group_attack",  "group_reference",
                                       "hate",           "insult",        "rumour_marker",
                                       "threat",         "violence",      "place",
                                       "known_false",    "known_misleading"};

using Tables = std::array<Words, kAllLanguages.size()>;  // by Language

// Looks a key up in the installed catalogue, then the bundled one; in `lang`, then in English.
class Lookup {
 public:
  Lookup(const ReplyCatalog* custom, const ReplyCatalog& bundled)
      : custom_(custom), bundled_(bundled) {}

  const std::string* Exact(std::string_view key, std::string_view lang) const {
    if (custom_ != nullptr) {
      if (const std::string* s = custom_->Find(key, lang)) return s;
    }
    return bundled_.Find(key, lang);
  }
  std::string Get(std::string_view key, std::string_view lang) const {
    if (const std::string* s = Exact(key, lang)) return *s;
    if (const std::string* s = Exact(key, "en")) return *s;
    return std::string(key);  // a catalogue without the key: visible, never empty
  }
  // Plural form `form` of `key`; a language with fewer forms uses its last one.
  std::string Plural(std::string_view key, std::string_view lang, std::size_t form) const {
    for (std::size_t f = form; f > 0; --f) {
      if (const std::string* s = Exact(std::string(key) + "#" + std::to_string(f), lang)) return *s;
    }
    return Get(key, lang);
  }

 private:
  const ReplyCatalog* custom_;
  const ReplyCatalog& bundled_;
};

Words Build(const Lookup& l, std::string_view lang) {
  Words w;
  for (std::size_t i = 0; i < kSeverityCount; ++i) {
    const std::string s(SeverityName(static_cast<Severity>(i)));
    w.severity_upper[i] = l.Get("alert.severity_upper." + s, lang);
    w.severity[i] = l.Get("alert.severity." + s, lang);
  }
  const std::pair<std::string*, const char*> fields[] = {
      {&w.brand, "brand"},           {&w.alert, "alert"},
      {&w.level, "level"},           {&w.area, "area"},
      {&w.text, "text"},             {&w.categories, "categories"},
      {&w.time, "time"},             {&w.code, "code"},
      {&w.reply, "reply"},           {&w.tz, "tz"},
      {&w.reports, "reports"},       {&w.sources, "sources"},
      {&w.digest, "digest"},         {&w.digest_why, "digest_why"},
      {&w.alerts_word, "alerts_word"}, {&w.escalated, "escalated"},
      {&w.undelivered, "undelivered"}, {&w.reach_them, "reach_them"},
      {&w.reason, "reason"},         {&w.verdict_head, "verdict_head"},
      {&w.statement, "statement"},   {&w.decided, "decided"},
      {&w.checked, "checked"},       {&w.new_area, "new_area"},
      {&w.new_areas, "new_areas"},   {&w.conj_and, "and"},
      {&w.ack_button, "ack_button"},
  };
  for (const auto& [field, key] : fields) *field = l.Get(std::string("alert.") + key, lang);
  for (std::size_t i = 0; i < 4; ++i) {
    w.verdicts[i] = l.Get(std::string("alert.verdict.") + kVerdictKeys[i], lang);
  }
  for (std::size_t i = 0; i < 3; ++i) {
    w.trends[i] = l.Get(std::string("alert.trend.") + kTrendKeys[i], lang);
    for (std::size_t f = 0; f < 3; ++f) {
      w.span[i][f] = l.Plural(std::string("alert.span.") + kSpanKeys[i], lang, f);
    }
    w.people[i] = l.Plural("alert.people", lang, i);
    w.public_posts[i] = l.Plural("alert.public", lang, i);
  }
  for (const char* c : kCategories) {
    if (const std::string* s = l.Exact(std::string("category.") + c, lang)) w.category_names[c] = *s;
  }
  return w;
}

Tables BuildTables(const ReplyCatalog* custom, const ReplyCatalog& bundled) {
  const Lookup lookup(custom, bundled);
  Tables t;
  for (const Language lang : kAllLanguages) {
    t[static_cast<std::size_t>(lang)] = Build(lookup, LanguageCode(lang));
  }
  return t;
}

const ReplyCatalog& Bundled() {
  static const ReplyCatalog catalog = [] {
    auto loaded = ReplyCatalog::Load("");
    if (!loaded) {
      // The bundled catalogues are compiled in and checked by the tests: this is a build defect.
      std::fprintf(stderr, "sakchy: the bundled message catalogues do not load: %s\n",
                   loaded.error().message.c_str());
      std::abort();
    }
    return std::move(*loaded);
  }();
  return catalog;
}

// Installed tables live until exit (one per UseWording call: a start or a reload), so a
// reference from WordsFor never dangles.
std::mutex g_installed_mu;
std::deque<std::unique_ptr<const Tables>> g_installed;  // guarded by g_installed_mu
std::atomic<const Tables*> g_current{nullptr};

const Tables& Current() {
  if (const Tables* t = g_current.load(std::memory_order_acquire)) return *t;
  static const Tables bundled = BuildTables(nullptr, Bundled());
  return bundled;
}

}  // namespace

const Words& WordsFor(Lang lang) { return Current()[static_cast<std::size_t>(lang)]; }

std::size_t PluralForm(Lang lang, std::int64_t n) {
  switch (lang) {
    case Lang::kEn:
      return n == 1 ? 0 : 1;
    case Lang::kRu: {
      const std::int64_t d = n % 10, dd = n % 100;
      if (d == 1 && dd != 11) return 0;
      if (d >= 2 && d <= 4 && (dd < 12 || dd > 14)) return 1;
      return 2;
    }
    case Lang::kKy:
    case Lang::kUz:
      break;
  }
  return 0;
}

std::string WithCount(std::string_view text, std::int64_t n) {
  std::string out(text);
  if (auto pos = out.find("{n}"); pos != std::string::npos) out.replace(pos, 3, std::to_string(n));
  return out;
}

void UseWording(const ReplyCatalog& catalog) {
  auto tables = std::make_unique<const Tables>(BuildTables(&catalog, Bundled()));
  std::lock_guard lock(g_installed_mu);
  g_current.store(tables.get(), std::memory_order_release);
  g_installed.push_back(std::move(tables));
}

}  // namespace sakchy::alerts
