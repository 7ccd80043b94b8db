// CAP 1.2 renderings of alerts (service/cap.h), checked against the CAP 1.2 structure
// (testutil/cap_schema.h): namespace, required elements, order, values; and the Atom feed.

#include "service/cap.h"

#include <gmock/gmock.h>

#include "config/areas.h"
#include "service/area_shapes.h"
#include "testutil/cap_schema.h"
#include "testutil/testutil.h"

namespace sakchy::service::cap_test {
namespace {

using ::sakchy::testing::AtomCapFeedProblems;
using ::sakchy::testing::CapProblems;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr TimeMs kT0 = 1795600000000;  // November 2026, a whole second

Alert OshAlert() {
  Alert a;
  a.id = "01JBZ8AAAAAAAAAAAAAAAAAAAB";
  a.event_id = "01JBZ7ZZZZZZZZZZZZZZZZZZZZ";
  a.event_ids = {a.event_id, "01JBZ7ZZZZZZZZZZZZZZZZZZZY"};
  a.area = "KG-GO";
  a.severity = Severity::kHigh;
  a.categories = {"violence", "call_to_action"};
  a.kind = AlertKind::kEvent;
  a.group_key = "root/event=01JBZ7ZZZZZZZZZZZZZZZZZZZZ";
  a.created_at = kT0 + 250;
  a.contact_id = "osh-duty";
  a.channel = "sms";
  a.target = "+996700123456";
  return a;
}

class CapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tree = config::AreaTree::Load("embedded:areas.yaml");
    ASSERT_OK(tree);
    tree_ = std::move(*tree);
    auto shapes = AreaShapes::Load("embedded:areas.geojson");
    ASSERT_OK(shapes);
    shapes_ = std::move(*shapes);
  }
  CapInput Input(const Alert& a, std::string_view first_id = {}, TimeMs first_at = 0) {
    CapInput in;
    in.alert = &a;
    in.first_id = first_id;
    in.first_created_at = first_at;
    in.area = tree_.Find(a.area);
    in.geometry = in.area ? shapes_.Geometry(in.area->code) : nullptr;
    return in;
  }
  config::AreaTree tree_;
  AreaShapes shapes_;
  CapContext ctx_ = CapContextFor("alerts.example.kg", "https");
};

TEST_F(CapTest, FirstNotificationIsAValidCapAlert) {
  const Alert a = OshAlert();
  const std::string xml = RenderCapAlert(Input(a, a.id, a.created_at), ctx_);
  EXPECT_THAT(CapProblems(xml), IsEmpty()) << xml;
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">", 0), 0u);
  EXPECT_THAT(xml, HasSubstr("<identifier>01JBZ8AAAAAAAAAAAAAAAAAAAB</identifier>"));
  EXPECT_THAT(xml, HasSubstr("<sender>sakchy@alerts.example.kg</sender>"));
  EXPECT_THAT(xml, HasSubstr("<sent>" + CapTime(kT0) + "</sent>"));
  EXPECT_THAT(xml, HasSubstr("<msgType>Alert</msgType>"));
  EXPECT_THAT(xml, Not(HasSubstr("<references>")));
  EXPECT_THAT(xml, HasSubstr("<scope>Restricted</scope>"));
  EXPECT_THAT(xml, HasSubstr("<severity>Severe</severity>"));
  EXPECT_THAT(xml, HasSubstr("<urgency>Immediate</urgency>"));
  EXPECT_THAT(xml, HasSubstr("<certainty>Possible</certainty>"));
  EXPECT_THAT(xml, HasSubstr("<web>https://alerts.example.kg/v1/alerts/01JBZ8AAAAAAAAAAAAAAAAAAAB</web>"));
  EXPECT_THAT(xml, HasSubstr("<areaDesc>Osh (Ош)</areaDesc>"));
  EXPECT_THAT(xml, HasSubstr("<polygon>"));  // Osh city has a polygon now
  EXPECT_THAT(xml, HasSubstr("<value>KG21000000000</value>"));  // pcode geocode
  EXPECT_THAT(xml, HasSubstr("from 2 reports; categories: violence, call_to_action"));
  // Contact addresses never leave.
  EXPECT_THAT(xml, Not(HasSubstr("996700123456")));
  EXPECT_THAT(xml, Not(HasSubstr("osh-duty")));
}

TEST_F(CapTest, LaterNotificationIsAnUpdateReferencingTheIncident) {
  Alert a = OshAlert();
  a.id = "01JBZ9BBBBBBBBBBBBBBBBBBBB";
  a.severity = Severity::kCritical;
  const std::string xml = RenderCapAlert(Input(a, "01JBZ8AAAAAAAAAAAAAAAAAAAB", kT0), ctx_);
  EXPECT_THAT(CapProblems(xml), IsEmpty()) << xml;
  EXPECT_THAT(xml, HasSubstr("<msgType>Update</msgType>"));
  EXPECT_THAT(xml, HasSubstr("<references>sakchy@alerts.example.kg,01JBZ8AAAAAAAAAAAAAAAAAAAB," +
                             CapTime(kT0) + "</references>"));
  EXPECT_THAT(xml, HasSubstr("<incidents>01JBZ8AAAAAAAAAAAAAAAAAAAB</incidents>"));
  EXPECT_THAT(xml, HasSubstr("<severity>Extreme</severity>"));
}

TEST_F(CapTest, EveryKindAndSeverityAndUnknownAreasConform) {
  for (AlertKind kind : {AlertKind::kEvent, AlertKind::kSignal, AlertKind::kFollowUp,
                         AlertKind::kDigest, AlertKind::kNotice}) {
    for (int s = 0; s < kSeverityCount; ++s) {
      for (const char* area : {"KG-GO", "KG", "", "KG-ZZ"}) {
        Alert a = OshAlert();
        a.kind = kind;
        a.severity = static_cast<Severity>(s);
        a.area = area;
        a.subject_id = kind == AlertKind::kSignal ? "KG-GO" : "";
        a.categories = {"a<b&c\"d'", std::string("ctl\x01") + "x"};  // escaped / dropped
        const std::string xml = RenderCapAlert(Input(a), ctx_);
        EXPECT_THAT(CapProblems(xml), IsEmpty()) << xml;
      }
    }
  }
}

TEST_F(CapTest, TimesPolygonsAndContext) {
  EXPECT_EQ(CapTime(0), "1970-01-01T00:00:00-00:00");
  EXPECT_EQ(CapTime(1999), "1970-01-01T00:00:01-00:00");
  EXPECT_EQ(CapPolygons(R"({"type":"Polygon","coordinates":[[[74.5,42.8],[74.7,42.8],[74.7,42.9],[74.5,42.8]],[[0,0],[1,0],[1,1],[0,0]]]})"),
            std::vector<std::string>{"42.8,74.5 42.8,74.7 42.9,74.7 42.8,74.5"});
  EXPECT_THAT(CapPolygons(R"({"type":"Point","coordinates":[1,2]})"), IsEmpty());
  EXPECT_THAT(CapPolygons("not json"), IsEmpty());
  EXPECT_EQ(CapPolygons(*shapes_.Geometry("KG")).size(), 1u);
  EXPECT_EQ(CapContextFor("h.example:8443", "").base_url, "http://h.example:8443");
  EXPECT_EQ(CapContextFor("h.example:8443", "").sender, "sakchy@h.example");
  EXPECT_EQ(CapContextFor("[::1]:80", "").sender, "sakchy@[::1]");
  EXPECT_EQ(CapContextFor("evil.example/<script>", "https").base_url, "https://localhost");
  EXPECT_EQ(CapContextFor("", "").sender, "sakchy@localhost");
}

TEST_F(CapTest, AtomFeedCarriesValidCapAlerts) {
  const Alert first = OshAlert();
  Alert second = OshAlert();
  second.id = "01JBZ9BBBBBBBBBBBBBBBBBBBB";
  second.area = "KG-C";
  second.kind = AlertKind::kSignal;
  second.subject_id = "42";
  const std::vector<CapInput> inputs = {Input(second, "01JBZ8AAAAAAAAAAAAAAAAAAAA", kT0 - 1000),
                                        Input(first)};
  const std::string feed = RenderCapAtomFeed(
      inputs, ctx_, second.created_at, "https://alerts.example.kg/v1/alerts.atom?limit=2&before=X");
  std::size_t entries = 0;
  EXPECT_THAT(AtomCapFeedProblems(feed, &entries), IsEmpty()) << feed;
  EXPECT_EQ(entries, 2u);
  EXPECT_THAT(feed, HasSubstr("<link rel=\"alternate\" type=\"application/cap+xml\" href=\"https://alerts.example.kg/v1/alerts/01JBZ9BBBBBBBBBBBBBBBBBBBB.cap\"/>"));
  EXPECT_THAT(feed, HasSubstr("rel=\"next\""));
  EXPECT_THAT(feed, HasSubstr("limit=2&amp;before=X"));
  EXPECT_THAT(feed, HasSubstr("<event>Rumour spreading</event>"));
  const std::string empty = RenderCapAtomFeed({}, ctx_, kT0, "");
  EXPECT_THAT(AtomCapFeedProblems(empty, &entries), IsEmpty()) << empty;
  EXPECT_EQ(entries, 0u);
}

// The checker itself: each rule of the CAP 1.2 structure is seen when broken.
TEST(CapSchemaTest, SeesBrokenStructure) {
  const std::string good = R"(<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>X1</identifier><sender>s@x</sender><sent>2026-01-01T00:00:00-00:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Security</category><event>E</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Possible</certainty>
    <area><areaDesc>A</areaDesc><polygon>1,1 1,2 2,2 1,1</polygon></area></info>
</alert>)";
  EXPECT_THAT(CapProblems(good), IsEmpty());
  const auto broken = [&good](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    std::string all;
    for (const auto& p : CapProblems(s)) all += p + "\n";
    return all.empty() ? std::string("(none)") : all;
  };
  EXPECT_THAT(broken("cap:1.2", "cap:1.1"), HasSubstr("namespace"));
  EXPECT_THAT(broken("<sender>s@x</sender>", ""), HasSubstr("/alert/sender: missing"));
  EXPECT_THAT(broken("<status>Actual</status><msgType>Alert</msgType>",
                     "<msgType>Alert</msgType><status>Actual</status>"),
              HasSubstr("out of order"));
  EXPECT_THAT(broken("-00:00</sent>", "Z</sent>"), HasSubstr("dateTime"));
  EXPECT_THAT(broken("<scope>Public</scope>", "<scope>Restricted</scope>"),
              HasSubstr("restriction"));
  EXPECT_THAT(broken("Security", "Rumour"), HasSubstr("not a CAP value"));
  EXPECT_THAT(broken("<event>E</event>", ""), HasSubstr("/alert/info/event: missing"));
  EXPECT_THAT(broken("<msgType>Alert", "<msgType>Update"), HasSubstr("references"));
  EXPECT_THAT(broken("1,1 1,2 2,2 1,1", "1,1 1,2 2,2"), HasSubstr("fewer than 4"));
  EXPECT_THAT(broken("1,1 1,2 2,2 1,1", "1,1 1,2 2,2 3,3"), HasSubstr("not closed"));
  EXPECT_THAT(broken("<identifier>X1", "<identifier>X 1"), HasSubstr("without spaces"));
  EXPECT_THAT(broken("</alert>", ""), HasSubstr("well-formed"));
}

}  // namespace
}  // namespace sakchy::service::cap_test
