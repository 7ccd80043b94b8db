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
