#include "service/export.h"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api_util.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/local_time.h"
#include "analytics/area_tension.h"

namespace sakchy::service {

namespace net = boost::asio;

namespace {

constexpr std::size_t kEventsPerPage = 4096;
constexpr std::size_t kChunkBytes = 256 << 10;  // a piece of the CSV body; a few pages at most
// Events read per task on the pool: a filter that matches little yields the pool between steps
// (to other exports) instead of holding a thread for the whole scan.
constexpr std::size_t kMaxScannedPerStep = 4 * kEventsPerPage;

// ---- Phone numbers ----
//
// A code point of the text with its byte range.
struct CodePoint {
  char32_t cp = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Decodes one code point at `i` (an invalid byte stands for itself, as U+FFFD).
CodePoint DecodeAt(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return {0xFFFD, i, i + 1};
  char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) return {0xFFFD, i, i + 1};
    cp = (cp << 6) | (c & 0x3F);
  }
  return {cp, i, i + static_cast<std::size_t>(len)};
}

// The value of a decimal digit in any script (Unicode Nd: ASCII, Arabic-Indic, Devanagari,
// full-width, mathematical ...), of a superscript, subscript or circled digit; -1 otherwise.
int DigitValue(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c < 0x660) return c == 0xB2 ? 2 : c == 0xB3 ? 3 : c == 0xB9 ? 1 : -1;
  static constexpr char32_t kZeros[] = {
      0x660,   0x6F0,   0x7C0,   0x966,   0x9E6,   0xA66,   0xAE6,   0xB66,   0xBE6,   0xC66,
      0xCE6,   0xD66,   0xDE6,   0xE50,   0xED0,   0xF20,   0x1040,  0x1090,  0x17E0,  0x1810,
      0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0x2080,  0xA620,
      0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x11066, 0x110F0,
      0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11C50,
      0x11D50, 0x16A60, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0,
      0x1E950, 0x1FBF0};
  for (char32_t zero : kZeros) {
    if (c >= zero && c < zero + 10) return static_cast<int>(c - zero);
  }
  if (c == 0x2070) return 0;                                              // superscript 0
  if (c >= 0x2074 && c <= 0x2079) return static_cast<int>(c - 0x2070);  // superscript 4..9
  if (c >= 0x2460 && c <= 0x2468) return static_cast<int>(c - 0x245F);  // circled 1..9
  if (c == 0x24EA) return 0;                                              // circled 0
  return -1;
}

bool IsPlus(char32_t c) { return c == '+' || c == 0xFF0B; }
bool IsOpenParen(char32_t c) { return c == '(' || c == 0xFF08; }

// What may split the digits of one number: spaces (also no-break, thin, ideographic), dots,
// brackets, slashes, underscores, hyphens and dashes of every kind, and invisible characters.
bool IsPhoneSeparator(char32_t c) {
  switch (c) {
    case ' ': case '-': case '.': case '(': case ')': case '/': case '_':
    case 0xA0: case 0xAD: case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x200B:
    case 0x200C: case 0x200D: case 0x2060: case 0x202F: case 0x3000: case 0x2212: case 0xFE63:
    case 0xFF08: case 0xFF09: case 0xFF0D: case 0xFF0E: case 0xFF0F: case 0xFF3F:
      return true;
    default:
      return c >= 0x2010 && c <= 0x2015;  // hyphen, non-breaking hyphen, figure dash .. bar
  }
}

// Letters and digits glued to a run make it part of a word (an id), not a phone number.
bool IsWordChar(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || DigitValue(c) >= 0;
}

// Appends `text` with phone numbers replaced: a run that starts with a digit, '+' or '(' (not
// glued to a letter or digit) and holds 9 to 15 digits of any script, split only by separators,
// becomes "[phone]". Everything else is copied byte for byte.
void AppendRedacted(std::string& out, std::string_view text) {
  std::size_t copied = 0;  // text[copied, i) is still to be copied
  bool after_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const CodePoint first = DecodeAt(text, i);
    bool starts = false;
    if (!after_word) {
      if (DigitValue(first.cp) >= 0) {
        starts = true;
      } else if ((IsPlus(first.cp) || IsOpenParen(first.cp)) && first.end < text.size()) {
        const CodePoint next = DecodeAt(text, first.end);
        starts = DigitValue(next.cp) >= 0 || (IsOpenParen(first.cp) && IsPlus(next.cp));
      }
    }
    if (!starts) {
      after_word = IsWordChar(first.cp);
      i = first.end;
      continue;
    }
    // Extend over digits and separators ('+' only right after the start); the run ends at its
    // last digit.
    std::size_t j = first.end;
    std::size_t last_digit_end = 0;
    int digits = DigitValue(first.cp) >= 0 ? 1 : 0;
    if (digits) last_digit_end = first.end;
    bool plus_allowed = IsOpenParen(first.cp);
    while (j < text.size()) {
      const CodePoint c = DecodeAt(text, j);
      if (DigitValue(c.cp) >= 0) {
        ++digits;
        last_digit_end = c.end;
      } else if (!(IsPhoneSeparator(c.cp) || (plus_allowed && IsPlus(c.cp)))) {
        break;
      }
      plus_allowed = false;
      j = c.end;
    }
    if (digits == 0) {  // "(+" without digits
      after_word = false;
      i = first.end;
      continue;
    }
    const std::size_t end = last_digit_end;
    const bool boundary = end >= text.size() || !IsWordChar(DecodeAt(text, end).cp);
    if (digits >= 9 && digits <= 15 && boundary) {
      out.append(text.substr(copied, i - copied));
      out += "[phone]";
      copied = end;
    }
    after_word = true;  // the run ended on a digit
    i = end;
  }
  out.append(text.substr(copied));
}

// ---- CSV ----

// Whether a spreadsheet would take `field` for a formula: it starts with = + - @, TAB or CR, or
// with the full-width ＝ ＋ － ＠ (OWASP, "CSV Injection").
bool LooksLikeFormula(std::string_view field) {
  if (field.empty()) return false;
  switch (field[0]) {
    case '=': case '+': case '-': case '@': case '\t': case '\r':
      return true;
    default:
      break;
  }
  if (field.size() < 3 || static_cast<unsigned char>(field[0]) != 0xEF ||
      static_cast<unsigned char>(field[1]) != 0xBC) {
    return false;
  }
  const auto third = static_cast<unsigned char>(field[2]);
  return third == 0x9D || third == 0x8B || third == 0x8D || third == 0xA0;
}

// One CSV field of free text: phone numbers redacted, then as AppendCsvField.
void AppendCsvText(std::string& out, std::string_view text) {
  AppendCsvField(out, RedactPhoneNumbers(text));
}

}  // namespace

std::string RedactPhoneNumbers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendRedacted(out, text);
  return out;
}

void AppendCsvField(std::string& out, std::string_view field) {
  const bool formula = LooksLikeFormula(field);
  if (!formula && field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out += '"';
  if (formula) out += '\'';  // OWASP: a leading single quote makes it text
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendEventCsvRow(std::string& out, const Event& e, const SubmitterView& view,
                       const AreaCsvColumns* areas) {
  const Report& r = e.report;
  out.append(r.id);
  out += ',';
  AppendLocalTime(out, r.observed_at);
  out += ',';
  AppendLocalTime(out, r.received_at);
  out += ',';
  AppendCsvField(out, e.area);
  out += ',';
  AppendCsvField(out, r.channel);
  out += ',';
  out += SeverityName(e.severity);
  out += ',';
  char num[32];
  out.append(num, std::to_chars(num, num + sizeof(num), e.score).ptr);
  out += ',';
  for (std::size_t i = 0; i < e.categories.size(); ++i) {  // [a-z0-9_]: never quoted
    if (i) out += ';';
    out += e.categories[i];
  }
  out += ',';
  AppendCsvText(out, r.text);
  out += r.text.empty() ? ",1," : ",0,";  // a stored text is never empty: empty = expired
  AppendCsvText(out, view.SourceRef(r));
  out += ',';
  AppendCsvText(out, view.SubmittedBy(r));
  out.append(areas ? areas->For(e.area) : std::string_view(",,,,,,,,"));
  out += "\r\n";
}

AreaCsvColumns::AreaCsvColumns(const config::AreaTree& areas) : unknown_(",,,,,,,,") {
  for (const auto& a : areas.areas()) {
    // adm1: the ancestor right below the root; adm2: the one right below adm1.
    const std::vector<AreaCode> up = areas.Ancestors(a.code);  // a.code first, root last
    const config::Area* adm1 = up.size() >= 2 ? areas.Find(up[up.size() - 2]) : nullptr;
    const config::Area* adm2 = up.size() >= 3 ? areas.Find(up[up.size() - 3]) : nullptr;
    std::string cols;
    for (std::string_view field : {std::string_view(a.name_en), std::string_view(a.name_ru),
                                   adm1 ? std::string_view(adm1->pcode) : std::string_view(),
                                   adm1 ? std::string_view(adm1->name_en) : std::string_view(),
                                   adm2 ? std::string_view(adm2->pcode) : std::string_view(),
                                   adm2 ? std::string_view(adm2->name_en) : std::string_view()}) {
      cols += ',';
      AppendCsvField(cols, field);
    }
    char num[32];
    for (double degrees : {a.lat, a.lon}) {
      cols += ',';
      if (a.lat == 0 && a.lon == 0) continue;  // no centroid known
      cols.append(num, std::to_chars(num, num + sizeof(num), degrees, std::chars_format::fixed, 5)
                           .ptr);
    }
    by_code_.emplace(a.code, std::move(cols));
  }
}

std::string_view AreaCsvColumns::For(std::string_view code) const {
  auto it = by_code_.find(std::string(code));
  return it == by_code_.end() ? std::string_view(unknown_) : std::string_view(it->second);
}

bool ExportIncludes(const Event& e, const EventFilter& f, const Principal& who,
                    const config::AreaTree& areas) {
  if (!e.scored) return false;
  const TimeMs t = e.report.observed_at;
  if ((f.from && t < *f.from) || (f.to && t >= *f.to)) return false;
  if (f.area) {
    // Events without an area count for the country only (as in the counters).
    if (e.area.empty() ? *f.area != areas.root() : !areas.IsWithin(e.area, *f.area)) return false;
  }
  if (!who.MaySee(areas, e.area)) return false;
  if (!f.severities.empty() &&
      std::find(f.severities.begin(), f.severities.end(), e.severity) == f.severities.end()) {
    return false;
  }
  if (!f.categories.empty()) {
    bool any = false;
    for (const auto& c : e.categories) {
      any = any || std::binary_search(f.categories.begin(), f.categories.end(), c);
    }
    if (!any) return false;
  }
  return true;
}

namespace {

// Reads events page by page (in observed-time order) on the blocking pool and formats the rows
// there too, so an io thread only writes bytes. Pages that match nothing are read on within the
// same Next().
class EventsCsvStream final : public BodyStream {
 public:
  EventsCsvStream(ExportContext ctx, EventFilter filter, Principal who, CsvOptions options)
      : ctx_(ctx),
        filter_(std::move(filter)),
        who_(std::move(who)),
        options_(options),
        view_(SubmitterView::For(who_, ctx_.pseudonym_key)),
        area_columns_(*ctx_.areas) {
    if (filter_.from) scan_.from = *filter_.from;
    if (filter_.to) scan_.to = *filter_.to;
    scan_.limit = kEventsPerPage;
  }

  net::awaitable<Result<std::string>> Next() override {
    auto* self = this;
    auto work = [self]() { return self->ReadStep(); };
    for (;;) {
      if (done_) co_return std::string();
      auto piece = co_await RunBlocking<Result<std::string>>(*ctx_.blocking, work);
      if (!piece || !piece->empty() || done_) co_return piece;
      // Nothing matched in this step: the next one is queued behind other exports' steps.
    }
  }

 private:
  // Blocking: the next chunk of CSV (rows of up to kMaxScannedPerStep events; possibly none),
  // or "" at the end (done_).
  Result<std::string> ReadStep() {
    std::string out;
    if (!header_sent_) {
      if (options_.bom) out.append(kUtf8Bom);
      out.append(kEventsCsvHeader);
      if (options_.hxl) out.append(kEventsCsvHxlRow);
      header_sent_ = true;
    }
    std::size_t scanned = 0;
    while (!done_ && out.size() < kChunkBytes && scanned < kMaxScannedPerStep) {
      auto visit = [this, &out](const Event& e) {
        if (ExportIncludes(e, filter_, who_, *ctx_.areas)) AppendEventCsvRow(out, e, view_, &area_columns_);
        return true;
      };
      auto page = ctx_.store->VisitEventsByObserved(scan_, visit);
      if (!page) return tl::unexpected(page.error());
      scanned += page->visited;
      if (page->visited > 0) scan_.start_after = page->last_id;
      if (page->visited < scan_.limit) done_ = true;
    }
    return out;
  }

  ExportContext ctx_;
  EventFilter filter_;
  Principal who_;
  CsvOptions options_;
  SubmitterView view_;
  AreaCsvColumns area_columns_;
  storage::Store::ObservedScan scan_;
  bool header_sent_ = false;
  bool done_ = false;
};

class AreasGeoJsonStream final : public BodyStream {
 public:
  AreasGeoJsonStream(ExportContext ctx, EventFilter filter, std::vector<AreaCode> areas, TimeMs from,
                     TimeMs to)
      : ctx_(ctx), filter_(std::move(filter)), areas_(std::move(areas)), from_(from), to_(to) {}

  net::awaitable<Result<std::string>> Next() override {
    if (next_ > areas_.size()) co_return std::string();
    auto* self = this;
    auto work = [self]() { return self->Piece(); };
    co_return co_await RunBlocking<Result<std::string>>(*ctx_.blocking, work);
  }

 private:
  // Blocking: the opening, one feature per call, then the closing.
  Result<std::string> Piece() {
    std::string out;
    if (next_ == 0 && !opened_) {
      opened_ = true;
      out += "{\"type\":\"FeatureCollection\",\"timezone\":\"";
      out += kBishkekTimeZone;
      out += "\",\"from\":\"";
      AppendLocalTime(out, from_);
      out += "\",\"to\":\"";
      AppendLocalTime(out, to_);
      out += "\",\"features\":[";
    }
    if (next_ == areas_.size()) {
      out += "]}\n";
      ++next_;
      return out;
    }
    const AreaCode& code = areas_[next_];
    const config::Area* a = ctx_.areas->Find(code);
    auto table = ctx_.store->ReadCounterTable(code, storage::Resolution::kHour,
                                              storage::BucketStart(storage::Resolution::kHour, from_),
                                              to_);
    if (!table) return tl::unexpected(table.error());
    const FilteredCounts counts(filter_, *table->dims, *ctx_.model);
    auto sums = counts.Empty();
    for (std::size_t r = 0; r < table->rows(); ++r) counts.AddRow(*table, r, &sums);
    if (next_ > 0) out += ',';
    out += "\n{\"type\":\"Feature\",\"id\":";
    AppendJsonString(out, code);
    out += ",\"properties\":{\"code\":";
    AppendJsonString(out, code);
    out += ",\"level\":";
    AppendJsonString(out, a ? a->level : "");
    out += ",\"parent\":";
    if (a && !a->parent.empty()) {
      AppendJsonString(out, a->parent);
    } else {
      out += "null";
    }
    for (const auto& [key, value] : {std::pair{"name_en", a ? a->name_en : ""},
                                     std::pair{"name_ru", a ? a->name_ru : ""},
                                     std::pair{"name_ky", a ? a->name_ky : ""}}) {
      out += ",\"";
      out += key;
      out += "\":";
      AppendJsonString(out, value);
    }
    out += ",\"events\":" + std::to_string(sums.total) + ",\"tension\":";
    AppendJsonNumber(out, sums.tension);
    out += ",\"current\":";
    if (ctx_.tension) {
      auto p = ctx_.tension->Current(code);
      if (!p) return tl::unexpected(p.error());
      out += "{\"bucket\":\"";
      AppendLocalTime(out, p->start);
      out += "\",\"value\":";
      AppendJsonNumber(out, p->tension);
      out += ",\"baseline\":";
      AppendJsonNumber(out, p->baseline.mean);
      out += ",\"sd\":";
      AppendJsonNumber(out, p->baseline.sd);
      out += ",\"z\":";
      AppendJsonNumber(out, std::round(p->z * 100) / 100);
      out += p->spike ? ",\"spike\":true}" : ",\"spike\":false}";
    } else {
      out += "null";
    }
    out += "},\"geometry\":";
    const std::string* g = ctx_.shapes ? ctx_.shapes->Geometry(code) : nullptr;
    out += g ? *g : "null";
    out += '}';
    ++next_;
    return out;
  }

  ExportContext ctx_;
  EventFilter filter_;
  std::vector<AreaCode> areas_;
  TimeMs from_, to_;
  std::size_t next_ = 0;
  bool opened_ = false;
};

}  // namespace

std::shared_ptr<BodyStream> MakeEventsCsvStream(ExportContext ctx, EventFilter filter,
                                                Principal who, CsvOptions options) {
  return std::make_shared<EventsCsvStream>(ctx, std::move(filter), std::move(who), options);
}

std::shared_ptr<BodyStream> MakeAreasGeoJsonStream(ExportContext ctx, EventFilter filter,
                                                   std::vector<AreaCode> areas_out, TimeMs from,
                                                   TimeMs to) {
  return std::make_shared<AreasGeoJsonStream>(ctx, std::move(filter), std::move(areas_out), from,
                                              to);
}

}  // namespace sakchy::service
