#pragma once
// Exports, streamed (BodyStream) with no row cap: GET /v1/export/events.csv (RFC 4180) and
// GET /v1/export/areas.geojson (area polygons with counts and tension). Phone numbers are never
// exported: every free-text field is passed through RedactPhoneNumbers; no field can start a
// spreadsheet formula (AppendCsvField).

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/areas.h"
#include "core/types.h"
#include "service/area_shapes.h"
#include "service/auth.h"
#include "service/http.h"
#include "analytics/tension.h"
#include "service/trends.h"
#include "storage/store.h"

namespace sakchy::analytics {
class AreaTension;  // analytics/area_tension.h
}  // namespace sakchy::analytics

namespace sakchy::service {

// Replaces every phone-number-like run with "[phone]": an optional '+' (also full-width), then 9
// to 15 decimal digits of any script (ASCII, full-width, Arabic-Indic, mathematical, super- and
// subscript ...), split only by spaces (also no-break and thin), '.', brackets, '/', '_',
// hyphens, dashes or invisible characters, and not glued to a Latin letter or a digit. Dates and
// times (fewer digits) stay. When the build has libphonenumber (RedactsWithLibphonenumber()),
// the numbers its matcher finds as valid for KG, RU, UZ or KZ go too, with their extensions
// ("0555 123 456 доб. 12"). Overlapping finds become one "[phone]".
std::string RedactPhoneNumbers(std::string_view text);
// Whether this build redacts with libphonenumber as well (docs/SECURITY.md).
bool RedactsWithLibphonenumber();

// Appends `field` as one RFC 4180 field (quoted when it holds a comma, quote, CR or LF). A field
// a spreadsheet would run as a formula (it starts with = + - @, TAB, CR or a full-width = + - @)
// is quoted with a leading single quote (OWASP CSV injection).
void AppendCsvField(std::string& out, std::string_view field);

// The CSV header row (with CRLF) and the row of one event. The last eight columns describe the
// event's area (AreaCsvColumns): names, the pcodes and English names of its first- and
// second-level administrative units (adm1: oblast or city of republican significance; adm2:
// raion or city below it; empty above that level), and the area's centroid.
inline constexpr std::string_view kEventsCsvHeader =
    "id,observed_at,received_at,area,channel,severity,score,categories,text,text_expired,"
    "source_ref,submitted_by,area_name_en,area_name_ru,adm1_code,adm1_name,adm2_code,adm2_name,"
    "lat,lon\r\n";
// The HXL hashtag row (Humanitarian Exchange Language 1.1) for the columns of kEventsCsvHeader,
// sent after the header with ?hxl=1. The adm codes are pcodes (#adm1+code).
inline constexpr std::string_view kEventsCsvHxlRow =
    "#meta+id,#date,#date+received,#loc+code,#meta+channel,#severity,#severity+score+num,"
    "#indicator+category+list,#description,#status+expired,#meta+source,#meta+submitter,"
    "#loc+name+i_en,#loc+name+i_ru,#adm1+code,#adm1+name,#adm2+code,#adm2+name,#geo+lat,"
    "#geo+lon\r\n";
// The UTF-8 byte order mark that makes spreadsheets (Excel with a non-UTF-8 locale) read the
// file as UTF-8; sent first unless ?bom=0.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The area columns of each area of a tree, formatted once (leading comma, no line end).
// Immutable after construction; const methods may be called concurrently.
class AreaCsvColumns {
 public:
  explicit AreaCsvColumns(const config::AreaTree& areas);
  // The columns for `code`; empty fields for an unknown or empty code.
  std::string_view For(std::string_view code) const;

 private:
  std::unordered_map<std::string, std::string> by_code_;
  std::string unknown_;
};

// `view` decides what is shown of the submitter (officials: pseudonyms); `areas` null leaves the
// area columns empty.
void AppendEventCsvRow(std::string& out, const Event& event, const SubmitterView& view = {},
                       const AreaCsvColumns* areas = nullptr);

// Whether `event` passes `filter` and `who`'s area scope (exports; scored events only).
bool ExportIncludes(const Event& event, const EventFilter& filter, const Principal& who,
                    const config::AreaTree& areas);

struct ExportContext {
  storage::Store* store = nullptr;
  // Store reads and formatting run here, in steps of a bounded number of events: the exports'
  // own pool, so a long scan never delays the API's other reads.
  boost::asio::thread_pool* blocking = nullptr;
  const config::AreaTree* areas = nullptr;
  const analytics::AreaTension* tension = nullptr;          // may be null: no current tension
  const AreaShapes* shapes = nullptr;            // may be null: geometries are null
  const analytics::TensionModel* model = nullptr;
  std::string pseudonym_key;  // for SubmitterView
};

// What a CSV export starts with.
struct CsvOptions {
  bool bom = true;   // ?bom=0 drops the UTF-8 byte order mark
  bool hxl = false;  // ?hxl=1 adds the HXL hashtag row after the header
};

// Scored events whose observed time is in [filter.from, filter.to) and that pass the filter and
// `who`'s scope, in observed-time order (Store::VisitEventsByObserved).
std::shared_ptr<BodyStream> MakeEventsCsvStream(ExportContext ctx, EventFilter filter,
                                                Principal who, CsvOptions options = {});
// One Feature per area of `areas_out` with counts over [from, to) in whole hours.
std::shared_ptr<BodyStream> MakeAreasGeoJsonStream(ExportContext ctx, EventFilter filter,
                                                   std::vector<AreaCode> areas_out, TimeMs from,
                                                   TimeMs to);

}  // namespace sakchy::service
