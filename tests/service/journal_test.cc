// JSON log records become systemd journal fields (service/journal.h).

#include "service/journal.h"

#include <gmock/gmock.h>

#include <cstdlib>

#include "testutil/testutil.h"

namespace sakchy::service::journal_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(JournalTest, JsonRecordFieldsAreJournalFields) {
  EXPECT_THAT(
      JournalFields(R"({"time":"2026-11-25T10:00:00.000Z","level":"warn","msg":"queue \"full\"",)"
                    R"("request_id":"r-1","alert-id":"01J","n":3})",
                    4),
      ElementsAre("MESSAGE=queue \"full\"", "PRIORITY=4", "SYSLOG_IDENTIFIER=sakchy",
                  "SAKCHY_LEVEL=warn", "SAKCHY_REQUEST_ID=r-1", "SAKCHY_ALERT_ID=01J",
                  "SAKCHY_N=3"));
  EXPECT_THAT(JournalFields("not json", 6), IsEmpty());
  EXPECT_THAT(JournalFields("[1]", 6), IsEmpty());
}

TEST(JournalTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  ::setenv("JOURNAL_STREAM", "1:2", 1);
  EXPECT_FALSE(StderrIsJournal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsJournal());
  ::unsetenv("JOURNAL_STREAM");
}

TEST(MessageFieldsTest, IdsAndKeyValuesBecomeFields) {
  using Fields = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(MessageFields("alerts: 01JDA7Q0000000000000000000 delivered to contact osh-duty "
                          "(attempt 1)"),
            (Fields{{"component", "alerts"},
                    {"alert_id", "01JDA7Q0000000000000000000"},
                    {"contact_id", "osh-duty"}}));
  EXPECT_EQ(MessageFields("http: request 9f3c2a1b00000000 GET /v1/alerts answered 503"),
            (Fields{{"component", "http"}, {"request_id", "9f3c2a1b00000000"}}));
  EXPECT_EQ(MessageFields("pipeline: report 01JDA7Q0000000000000000001 scored; event "
                          "01JDA7Q0000000000000000002 stored, source=tg-osh took_ms=3"),
            (Fields{{"component", "pipeline"},
                    {"report_id", "01JDA7Q0000000000000000001"},
                    {"event_id", "01JDA7Q0000000000000000002"},
                    {"source", "tg-osh"},
                    {"took_ms", "3"}}));
  // Words after the nouns that are no ids stay text.
  EXPECT_EQ(MessageFields("alerts: an SMS acknowledgement matched no alert of a known contact"),
            (Fields{{"component", "alerts"}}));
  EXPECT_EQ(MessageFields("stored contact 'aravan-ao' is shadowed"),
            (Fields{{"contact_id", "aravan-ao"}}));
  EXPECT_TRUE(MessageFields("").empty());
}

}  // namespace
}  // namespace sakchy::service::journal_test
