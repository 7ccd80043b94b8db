// JSON log records become systemd journal fields (service/journal.h).

#include "service/journal.h"

#include <gmock/gmock.h>

#include <cstdlib>

#include "testutil/testutil.h"

namespace sakchy::service {
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

}  // namespace
}  // namespace sakchy::service
