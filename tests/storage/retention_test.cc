// Retention: raw texts of events received before a time are removed (also from the SST files);
// scores, areas, categories, counters and records stay; the sweep resumes and waits for
// unscored events.

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store_fixture.h"

namespace sakchy::storage::testing::retention_test {
namespace {

constexpr TimeMs kDay = 86'400'000;

class RetentionTest : public StoreTest {
 protected:
  // Appends and commits a scored event with a unique text; returns its id.
  std::string Scored(const std::string& text) {
    Report r = MakeReport();
    r.text = text;
    EXPECT_OK(store_->AppendReports(std::span<const Report>(&r, 1)));
    ScoredBatchItem item;
    item.event.report = r;
    item.event.scored = true;
    item.event.area = "KG-O";
    item.event.severity = Severity::kHigh;
    item.event.score = 7.5;
    item.event.categories = {"violence"};
    item.event.matches = {Match{"r1", "violence", "term", 0, 4}};
    item.counters = {{"KG-O", "total", r.observed_at, 1}};
    EXPECT_OK(store_->CommitScored({&item, 1}));
    return r.id;
  }
  std::string Text(const std::string& id) {
    auto e = store_->GetEvent(id);
    EXPECT_TRUE(e.has_value() && e->has_value());
    return e && *e ? (**e).report.text : "<missing>";
  }
  // Whether `needle` appears in any SST file of the database.
  bool InSstFiles(const std::string& needle) {
    for (const auto& f : std::filesystem::directory_iterator(db_dir())) {
      if (f.path().extension() != ".sst") continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream buf;
      buf << in.rdbuf();
      if (buf.str().find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(RetentionTest, OldTextsGoEverythingElseStays) {
  const std::string old_text = "old-secret-text-1f3a9c77e0b24d58a6a1 rumour about the bazaar";
  const std::string old_id = Scored(old_text);
  const std::string old2_id = Scored("old-secret-text-2 second rumour");
  clock_.Advance(10 * kDay);
  const TimeMs cutoff = clock_.NowMs();
  clock_.Advance(1000);
  const std::string new_id = Scored("new text stays");
  ASSERT_OK(store_->Flush());
  ASSERT_TRUE(InSstFiles(old_text)) << "the test needs the text visible in the files first";

  auto r = store_->ExpireTexts(cutoff, 1000);
  ASSERT_OK(r);
  EXPECT_EQ(r->scanned, 2u);
  EXPECT_EQ(r->expired, 2u);
  EXPECT_TRUE(r->done);
  EXPECT_EQ(Text(old_id), "");
  EXPECT_EQ(Text(old2_id), "");
  EXPECT_EQ(Text(new_id), "new text stays");
  auto e = store_->GetEvent(old_id);
  ASSERT_OK(e);
  EXPECT_TRUE((*e)->scored);
  EXPECT_EQ((*e)->area, "KG-O");
  EXPECT_EQ((*e)->severity, Severity::kHigh);
  EXPECT_EQ((*e)->score, 7.5);
  EXPECT_EQ((*e)->categories, std::vector<std::string>{"violence"});
  EXPECT_EQ((*e)->matches.size(), 1u);
  auto counters = store_->ReadCounters("KG-O", Resolution::kDay, 0, clock_.NowMs() + kDay);
  ASSERT_OK(counters);
  std::int64_t total = 0;
  for (const auto& b : *counters) total += b.values.at("total");
  EXPECT_EQ(total, 3);
  EXPECT_FALSE(InSstFiles(old_text)) << "the old version must be compacted away";

  // Idempotent, and it resumes: nothing more before the cutoff; across a reopen too.
  auto again = store_->ExpireTexts(cutoff, 1000);
  ASSERT_OK(again);
  EXPECT_EQ(again->scanned, 0u);
  Reopen();
  again = store_->ExpireTexts(cutoff, 1000);
  ASSERT_OK(again);
  EXPECT_EQ(again->scanned, 0u);
  // A later cutoff takes the new one as well.
  auto later = store_->ExpireTexts(clock_.NowMs() + 1, 1000);
  ASSERT_OK(later);
  EXPECT_EQ(later->expired, 1u);
  EXPECT_EQ(Text(new_id), "");
}

TEST_F(RetentionTest, ResumesInPagesAndWaitsForUnscoredEvents) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Scored("text " + std::to_string(i)));
  Report pending = MakeReport();  // stored, not yet scored
  ASSERT_OK(store_->AppendReports(std::span<const Report>(&pending, 1)));
  const std::string after_pending = Scored("after pending");
  const TimeMs cutoff = clock_.NowMs() + 1;

  auto page = store_->ExpireTexts(cutoff, 3);
  ASSERT_OK(page);
  EXPECT_EQ(page->expired, 3u);
  EXPECT_FALSE(page->done);
  EXPECT_EQ(Text(ids[3]), "text 3");
  page = store_->ExpireTexts(cutoff, 3);
  ASSERT_OK(page);
  EXPECT_EQ(page->expired, 2u);
  EXPECT_FALSE(page->done) << "stops at the unscored report";
  EXPECT_EQ(Text(ids[4]), "");
  EXPECT_EQ(Text(pending.id), pending.text) << "an unscored report keeps its text for scoring";
  EXPECT_EQ(Text(after_pending), "after pending");

  ScoredBatchItem item;
  item.event.report = pending;
  item.event.scored = true;
  ASSERT_OK(store_->CommitScored({&item, 1}));
  page = store_->ExpireTexts(cutoff, 100);
  ASSERT_OK(page);
  EXPECT_EQ(page->expired, 2u);
  EXPECT_TRUE(page->done);
  EXPECT_EQ(Text(pending.id), "");
  EXPECT_EQ(Text(after_pending), "");
}

}  // namespace
}  // namespace sakchy::storage::testing::retention_test
