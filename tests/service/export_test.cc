// Export building blocks: phone numbers never leave, RFC 4180 fields and rows, id bounds of a
// time, the export filter, and the bundled area polygons.

#include <cstdlib>

#include "config/areas.h"
#include "core/id.h"  // IdLowerBound
#include "service/area_shapes.h"
#include "service/export.h"
#include "service/report_json.h"
#include "testutil/testutil.h"

namespace sakchy::service::export_test {
namespace {

TEST(RedactPhoneNumbersTest, NumbersGoDatesAndAmountsStay) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto c : {Case{"звоните +996 700 123 456 срочно", "звоните [phone] срочно"},
                 Case{"тел. 0555123456.", "тел. [phone]."},
                 Case{"(0312) 62-45-78 или +996(555)12-34-56", "[phone] или [phone]"},
                 Case{"+996700123456", "[phone]"},
                 Case{"996 555 12 34 56,", "[phone],"},
                 Case{"2026-11-25 в 14:00, 1 000 000 сом", "2026-11-25 в 14:00, 1 000 000 сом"},
                 Case{"id A1234567890 and x1234567890", "id A1234567890 and x1234567890"},
                 Case{"12345678", "12345678"},
                 Case{"1234567890123456789", "1234567890123456789"},
                 Case{"", ""}}) {
    EXPECT_EQ(RedactPhoneNumbers(c.in), c.out) << c.in;
  }
}

// Digits of any script, split by any dash, slash, underscore or space, in the +996, +7 and +998
// forms (our own matcher: libphonenumber does not read these digits or separators).
TEST(RedactPhoneNumbersTest, UnicodeDigitsAndSeparators) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto c : {Case{"звоните ０５５５ １２３ ４５６!", "звоните [phone]!"},
                 Case{"＋９９６７００１２３４５６", "[phone]"},
                 Case{"номер ٠٥٥٥١٢٣٤٥٦", "номер [phone]"},
                 Case{"+996/555/123/456", "[phone]"},
                 Case{"0555_123_456", "[phone]"},
                 Case{"+7 701 123–45–67 и +7 (701) 123—45—67", "[phone] и [phone]"},
                 Case{"+998 90 123 45 67", "[phone]"},
                 Case{"8\u2011701\u2011123\u201145\u201167", "[phone]"},
                 Case{"+996\u00a0700\u202f123\u2009456", "[phone]"},
                 Case{"0555\u200b123\u200b456", "[phone]"},
                 Case{"𝟎𝟓𝟓𝟓𝟏𝟐𝟑𝟒𝟓𝟔", "[phone]"},
                 Case{"2026/11/25 и 2026–11–25", "2026/11/25 и 2026–11–25"},
                 Case{"код A０５５５１２３４５６", "код A０５５５１２３４５６"},
                 Case{"сумма 1 000 сом", "сумма 1 000 сом"}}) {
    EXPECT_EQ(RedactPhoneNumbers(c.in), c.out) << c.in;
  }
}

// libphonenumber's matcher (KG, RU, UZ, KZ numbering plans) adds extensions to the number, which
// our matcher ends at the last digit of the number; text around stays.
TEST(RedactPhoneNumbersTest, LibphonenumberTakesExtensions) {
  if (!RedactsWithLibphonenumber()) GTEST_SKIP() << "built without libphonenumber";
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto c : {Case{"звоните 0555 123 456 доб. 12, спросите Айбека",
                      "звоните [phone], спросите Айбека"},
                 Case{"call +996 700 123 456 ext. 5 now", "call [phone] now"},
                 Case{"8 800 555 35 35 бесплатно", "[phone] бесплатно"},
                 Case{"Тел.: 0-555-123-456 и 2026-11-25", "Тел.: [phone] и 2026-11-25"},
                 Case{"1 000 000 сом, 12345678, A1234567890", "1 000 000 сом, 12345678, A1234567890"}}) {
    EXPECT_EQ(RedactPhoneNumbers(c.in), c.out) << c.in;
  }
}

// A build with libphonenumber is what CI and the README's commands produce (scripts/bootstrap.sh
// provides its headers); a build that silently lost it would redact less.
TEST(RedactPhoneNumbersTest, TheBuildHasLibphonenumber) {
  if (std::getenv("SAKCHY_ALLOW_NO_PHONENUMBER") != nullptr) GTEST_SKIP();
  EXPECT_TRUE(RedactsWithLibphonenumber());
}

// OWASP CSV injection: a field a spreadsheet would run as a formula starts with a quote.
TEST(CsvTest, FormulasAreNeutralised) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto c : {Case{"=1+1", "\"'=1+1\""}, Case{"+SUM(A1:A9)", "\"'+SUM(A1:A9)\""},
                 Case{"-2+3", "\"'-2+3\""}, Case{"@cmd", "\"'@cmd\""},
                 Case{"\tx", "\"'\tx\""}, Case{"\rx", "\"'\rx\""},
                 Case{"＝HYPERLINK(1)", "\"'＝HYPERLINK(1)\""},
                 Case{"=HYPERLINK(\"http://x\",\"y\")",
                      "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
                 Case{"a=1", "a=1"}, Case{"kannel-17", "kannel-17"}}) {
    std::string out;
    AppendCsvField(out, c.in);
    EXPECT_EQ(out, c.out) << c.in;
  }
  Event e;
  e.report.id = "01JDA7Q0000000000000000000";
  e.report.text = "=cmd|' /C calc'!A0";
  e.report.channel = "api";
  e.report.source_ref = "@ref";
  e.report.submitted_by = "-monitor";
  e.scored = true;
  std::string row;
  AppendEventCsvRow(row, e);
  EXPECT_NE(row.find(",\"'=cmd|' /C calc'!A0\",0,\"'@ref\",\"'-monitor\","), std::string::npos)
      << row;
  // A phone number at the start is redacted first, so it needs no quote.
  e.report.text = "+996 700 123 456 звонил";
  row.clear();
  AppendEventCsvRow(row, e);
  EXPECT_NE(row.find(",[phone] звонил,"), std::string::npos) << row;
}

TEST(CsvTest, FieldsAreQuotedPerRfc4180) {
  std::string out;
  AppendCsvField(out, "plain");
  out += ',';
  AppendCsvField(out, "a,b");
  out += ',';
  AppendCsvField(out, "say \"hi\"");
  out += ',';
  AppendCsvField(out, "two\r\nlines");
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"");
}

TEST(CsvTest, EventRowHasEveryColumnAndNoPhoneNumbers) {
  Event e;
  e.report.id = "01JDA7Q0000000000000000000";
  e.report.text = "Позвоните +996 700 123 456, \"срочно\"";
  e.report.channel = "sms";
  e.report.source_ref = "kannel-17";
  e.report.submitted_by = "+996700123456";
  e.report.observed_at = 1764064800000;  // 2025-11-25T10:00:00Z
  e.report.received_at = 1764064800250;
  e.scored = true;
  e.area = "KG-O";
  e.severity = Severity::kHigh;
  e.score = 7.5;
  e.categories = {"rumour_marker", "violence"};
  std::string row;
  AppendEventCsvRow(row, e);
  EXPECT_EQ(row,
            "01JDA7Q0000000000000000000,2025-11-25T16:00:00+06:00,2025-11-25T16:00:00.250+06:00,"
            "KG-O,sms,high,7.5,rumour_marker;violence,\"Позвоните [phone], \"\"срочно\"\"\",0,"
            "kannel-17,[phone],,,,,,,,\r\n");
  e.report.text.clear();  // expired by retention
  row.clear();
  AppendEventCsvRow(row, e);
  EXPECT_NE(row.find(";violence,,1,"), std::string::npos) << row;
  const std::string header(kEventsCsvHeader);
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), 19);
  const std::string hxl(kEventsCsvHxlRow);
  EXPECT_EQ(std::count(hxl.begin(), hxl.end(), ','), 19);
}

TEST(CsvTest, AreaColumnsGiveNamesAdmPcodesAndCentroid) {
  auto tree = config::AreaTree::Parse(R"(areas:
  - {code: "KG", parent: "", level: country, pcode: "KG", name_en: "Kyrgyzstan", name_ru: "Кыргызстан", lat: 41.2, lon: 74.6}
  - {code: "KG-O", parent: "KG", level: oblast, pcode: "KG06000000000", name_en: "Osh", name_ru: "Ошская область", lat: 40.134881, lon: 73.22465}
  - {code: "KG-O-ARAVAN", parent: "KG-O", level: raion, pcode: "KG06207000000", name_en: "Aravan, raion", name_ru: "Араванский район", lat: 40.5, lon: 72.8}
)", "test");
  ASSERT_TRUE(tree.has_value()) << tree.error().message;
  const AreaCsvColumns cols(*tree);
  EXPECT_EQ(cols.For("KG-O-ARAVAN"),
            ",\"Aravan, raion\",Араванский район,KG06000000000,Osh,KG06207000000,\"Aravan, raion\","
            "40.50000,72.80000");
  EXPECT_EQ(cols.For("KG-O"), ",Osh,Ошская область,KG06000000000,Osh,,,40.13488,73.22465");
  EXPECT_EQ(cols.For("KG"), ",Kyrgyzstan,Кыргызстан,,,,,41.20000,74.60000");
  EXPECT_EQ(cols.For(""), ",,,,,,,,");
  EXPECT_EQ(cols.For("KG-X"), ",,,,,,,,");
  Event e;
  e.report.id = "01JDA7Q0000000000000000000";
  e.report.text = "x";
  e.area = "KG-O";
  std::string row;
  AppendEventCsvRow(row, e, {}, &cols);
  EXPECT_TRUE(row.ends_with(",0,,,Osh,Ошская область,KG06000000000,Osh,,,40.13488,73.22465\r\n"))
      << row;
}

TEST(EventJsonTest, ExpiredTextIsNullAndSaysSo) {
  Event e;
  e.report.id = "01JDA7Q0000000000000000000";
  e.scored = true;
  e.matches = {Match{"r", "violence", "term", 3, 9}};
  auto o = EventToJson(e).as_object();
  EXPECT_TRUE(o.at("text").is_null());
  EXPECT_EQ(o.at("text_expired"), true);
  EXPECT_EQ(o.at("matches").as_array()[0].at("excerpt"), "");
  e.report.text = "kept";
  o = EventToJson(e).as_object();
  EXPECT_EQ(o.at("text"), "kept");
  EXPECT_FALSE(o.contains("text_expired"));
}

TEST(IdLowerBoundTest, OrdersBeforeEveryIdOfThatTimeAndAfterEarlierOnes) {
  ManualClock clock(1764064800000);
  IdGenerator ids(clock);
  const std::string at = ids.Next();
  clock.Advance(-1);
  const std::string before = ids.Next();  // generators never go back; make a fresh one
  IdGenerator earlier_gen(clock);
  const std::string earlier = earlier_gen.Next();
  const std::string bound = IdLowerBound(1764064800000);
  EXPECT_LE(bound, at);
  EXPECT_LT(earlier, bound);
  EXPECT_TRUE(IsValidId(bound));
  EXPECT_EQ(IdTime(bound), 1764064800000);
  (void)before;
}

config::AreaTree Tree() {
  auto tree = config::AreaTree::Parse(
      "areas:\n"
      "  - {code: KG, level: country}\n"
      "  - {code: KG-O, parent: KG, level: oblast}\n"
      "  - {code: KG-O-ARAVAN, parent: KG-O, level: raion}\n"
      "  - {code: KG-N, parent: KG, level: oblast}\n",
      "areas.yaml");
  EXPECT_TRUE(tree.has_value());
  return std::move(*tree);
}

TEST(ExportIncludesTest, FiltersAndScope) {
  auto tree = Tree();
  Event e;
  e.scored = true;
  e.area = "KG-O-ARAVAN";
  e.severity = Severity::kHigh;
  e.categories = {"violence"};
  e.report.observed_at = 1000;
  Principal analyst{"a", config::Role::kAnalyst, {}};
  Principal naryn{"n", config::Role::kOfficial, {"KG-N"}};
  EventFilter f;
  EXPECT_TRUE(ExportIncludes(e, f, analyst, tree));
  EXPECT_FALSE(ExportIncludes(e, f, naryn, tree));
  f.area = "KG-O";
  EXPECT_TRUE(ExportIncludes(e, f, analyst, tree));
  f.area = "KG-N";
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
  f = EventFilter{};
  f.from = 1000;
  f.to = 1001;
  EXPECT_TRUE(ExportIncludes(e, f, analyst, tree));
  f.from = 1001;
  f.to = 2000;
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
  f = EventFilter{};
  f.severities = {Severity::kCritical};
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
  f.severities = {Severity::kHigh, Severity::kCritical};
  f.categories = {"hate", "violence"};
  EXPECT_TRUE(ExportIncludes(e, f, analyst, tree));
  f.categories = {"hate"};
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
  // Unscored events and, for a country filter, events without an area.
  f = EventFilter{};
  e.scored = false;
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
  e.scored = true;
  e.area.clear();
  f.area = "KG";
  EXPECT_TRUE(ExportIncludes(e, f, analyst, tree));
  f.area = "KG-O";
  EXPECT_FALSE(ExportIncludes(e, f, analyst, tree));
}

TEST(AreaShapesTest, BundledPolygonsCoverTheBundledAreas) {
  auto tree = config::AreaTree::Load("embedded:areas.yaml");
  ASSERT_OK(tree);
  auto shapes = AreaShapes::Load("embedded:areas.geojson");
  ASSERT_OK(shapes);
  EXPECT_OK(shapes->CheckCodes(*tree, "areas.geojson"));
  std::size_t with_polygon = 0;
  for (const auto& a : tree->areas()) with_polygon += shapes->Geometry(a.code) != nullptr;
  EXPECT_EQ(with_polygon, tree->areas().size());  // Bishkek and Osh too (area_polygons_test.cc)
  ASSERT_NE(shapes->Geometry("KG-O-ARAVAN"), nullptr);
  EXPECT_EQ(shapes->Geometry("KG-O-ARAVAN")->rfind("{\"type\":\"MultiPolygon\"", 0), 0u);
}

TEST(AreaShapesTest, ErrorsNameTheFeature) {
  auto tree = Tree();
  EXPECT_FALSE(AreaShapes::Parse("[", "x.geojson"));
  auto no_code = AreaShapes::Parse(R"({"features":[{"geometry":null}]})", "x.geojson");
  ASSERT_FALSE(no_code);
  EXPECT_EQ(no_code.error().message,
            "x.geojson: features[0]: needs \"id\" or properties.code (an area code)");
  auto bad_geom = AreaShapes::Parse(R"({"features":[{"id":"KG","geometry":{"type":"Point"}}]})",
                                    "x.geojson");
  ASSERT_FALSE(bad_geom);
  EXPECT_NE(bad_geom.error().message.find("features[0] (KG)"), std::string::npos);
  auto unknown = AreaShapes::Parse(
      R"({"features":[{"properties":{"code":"KG-ZZ"},"geometry":{"type":"Point","coordinates":[1,2]}}]})",
      "x.geojson");
  ASSERT_OK(unknown);
  auto st = unknown->CheckCodes(tree, "x.geojson");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "x.geojson: polygons of unknown area codes: KG-ZZ (see the areas file)");
}

}  // namespace
}  // namespace sakchy::service::export_test
