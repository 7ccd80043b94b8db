// core: time, ids, UTF-8, crypto, metrics.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "core/id.h"
#include "core/key_id.h"
#include "core/metrics.h"
#include "core/periodic_worker.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/utf8_encode.h"
#include "testutil/testutil.h"

namespace sakchy::core_test {
namespace {

TEST(TimeTest, ParsesRfc3339) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2024-06-01T12:00:00Z"), 1717243200000);
  EXPECT_EQ(ParseRfc3339("2024-06-01T18:00:00+06:00"), 1717243200000);
  EXPECT_EQ(ParseRfc3339("2024-06-01T12:00:00.25Z"), 1717243200250);
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z"), 1709164800000);
  for (const char* bad : {"", "2024-06-01", "2024-06-01T12:00:00", "2024-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2024-06-01T24:00:00Z", "2024-06-01T12:00:00+6",
                          "2024-06-01T12:00:00Zjunk", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(TimeTest, FormatRoundTrips) {
  for (TimeMs t : {0LL, 1717243200250LL, 4102444800000LL, 951782400000LL}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t) << FormatRfc3339(t);
  }
  EXPECT_EQ(FormatRfc3339(1717243200250), "2024-06-01T12:00:00.250Z");
}

TEST(IdTest, MonotonicUniqueAndTimeEncoded) {
  ManualClock clock(1717243200250);
  IdGenerator gen(clock);
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = gen.Next();
    ASSERT_TRUE(IsValidId(id)) << id;
    ASSERT_GT(id, prev);
    prev = id;
    seen.insert(id);
    if (i % 1000 == 0) clock.Advance(1);
  }
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_EQ(IdTime(prev), clock.NowMs());
  EXPECT_FALSE(IsValidId("not-an-id"));
  EXPECT_FALSE(IsValidId("01ARZ3NDEKTSV4RRFFQ69G5FAu"));
}

TEST(IdTest, IdFromKeyIsTheSameForTheSameTimeAndKey) {
  const TimeMs t = 1717243200250;
  const std::string id = IdFromKey(t, "abc");
  // Time in the first 10 characters, the first 80 bits of SHA-256("abc") in the last 16
  // (computed independently: ba7816bf8f01cfea4141 in Crockford base32).
  EXPECT_EQ(id, "01HZ9TQGQTQ9W1DFWF077YMGA1");
  EXPECT_TRUE(IsValidId(id));
  EXPECT_EQ(IdTime(id), t);
  EXPECT_EQ(IdFromKey(t, "abc"), id);
  EXPECT_NE(IdFromKey(t, "abd"), id);
  EXPECT_NE(IdFromKey(t + 1, "abc"), id);
  EXPECT_EQ(IdTime(IdFromKey(-5, "abc")), 0);
}

TEST(IdTest, ConcurrentIdsAreUnique) {
  IdGenerator gen(SystemClock::Instance());
  std::vector<std::vector<std::string>> out(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) out[t].push_back(gen.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 20000u);
}

TEST(Utf8Test, FindsInvalidSequences) {
  EXPECT_FALSE(FindInvalidUtf8("hello Кыргызстан ү ө ң 😀").has_value());
  EXPECT_EQ(FindInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);          // overlong
  EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1u);     // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // > U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xD0"), 0u);              // truncated
  EXPECT_EQ(Utf8Length("Ош"), 2u);
}

TEST(CryptoTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_EQ(RandomHex(16).size(), 32u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
}

// Counters are counters (TYPE counter, "_total"), also when read from elsewhere; the process
// metrics and the build info of Prometheus clients are there and plausible.
TEST(MetricsTest, ProcessMetricsBuildInfoAndCallbackCounters) {
  MetricsRegistry m;
  RegisterStandardProcessMetrics(m);
  double total = 0;
  m.AddCallbackCounter("sakchy_things_total", "Things", {{"kind", "a"}}, [&total] { return total; });
  total = 3;
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE sakchy_things_total counter\nsakchy_things_total{kind=\"a\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("sakchy_build_info{version=\"" + std::string(SakchyVersion()) + "\""),
            std::string::npos)
      << text;
  EXPECT_EQ(SakchyVersion(), "0.1.0");
  auto value = [&text](const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + name.size() + 2));
  };
  EXPECT_GT(value("process_resident_memory_bytes"), 1e6);
  EXPECT_GE(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  EXPECT_GE(value("process_open_fds"), 3);
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GE(value("process_cpu_seconds_total"), 0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(value("process_start_time_seconds"), now - 24 * 3600);  // this test started it
  EXPECT_LE(value("process_start_time_seconds"), now + 1);
}

TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry m;
  m.GetCounter("x_total", "Xs", {{"route", "/a"}}).Inc(3);
  m.GetGauge("y", "Y").Set(1.5);
  m.AddCallbackGauge("z", "Z", {}, [] { return 7.0; });
  auto& h = m.GetHistogram("lat_seconds", "Latency", {}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  auto text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE x_total counter\nx_total{route=\"/a\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("y 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("z 7\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count 3\n"), std::string::npos);
  // Same name and labels -> same object.
  EXPECT_EQ(&m.GetCounter("x_total", "Xs", {{"route", "/a"}}), &m.GetCounter("x_total", "Xs", {{"route", "/a"}}));
}

}  // namespace
}  // namespace sakchy::core_test

namespace sakchy::core_test {
namespace {

TEST(Utf8Test, AppendUtf8EncodesAndReplacesInvalidCodePoints) {
  std::string out;
  for (std::uint32_t cp : {0x41u, 0x4A3u, 0x20ACu, 0x1F600u, 0xD800u, 0x110000u}) AppendUtf8(out, cp);
  EXPECT_EQ(out, "A\xD2\xA3\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
}

// The buffer encoder is the same encoder: the bytes and the size AppendUtf8 gives, for every
// length and for the replaced code points.
TEST(Utf8Test, EncodeUtf8WritesWhatAppendUtf8AppendsAndItsSize) {
  for (std::uint32_t cp : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x4A3u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFFu,
                           0x10000u, 0x1F600u, 0x10FFFFu, 0xD800u, 0xDFFFu, 0x110000u}) {
    std::string appended;
    AppendUtf8(appended, cp);
    char bytes[4] = {};
    const std::size_t n = EncodeUtf8(cp, bytes);
    EXPECT_EQ(std::string(bytes, n), appended) << std::hex << cp;
    EXPECT_EQ(Utf8EncodedSize(cp), n) << std::hex << cp;
  }
  char bytes[4] = {};
  ASSERT_EQ(EncodeUtf8(0xD800, bytes), 3u);
  EXPECT_EQ(std::string(bytes, 3), "\xEF\xBF\xBD");
}

// One decoder, one contract: each ill-formed byte is one U+FFFD (lenient), and the validator
// reports the first of them.
TEST(Utf8Test, DecodeUtf8ReplacesEachIllFormedByteAndAgreesWithTheValidator) {
  const std::string text =
      "a\xD0\x96\xE2\x82\xAC\xF0\x9F\x98\x80"  // 1, 2, 3 and 4 bytes
      "\xC0\xAF"                                 // overlong
      "\xED\xA0\x80"                             // surrogate
      "\xE2\x82";                                // cut off
  std::vector<char32_t> cps;
  std::vector<std::size_t> ends;
  for (std::size_t pos = 0; pos < text.size();) {
    cps.push_back(DecodeUtf8(text, pos));
    ends.push_back(pos);
  }
  const std::vector<char32_t> want = {U'a', 0x416, 0x20AC, 0x1F600, 0xFFFD, 0xFFFD,
                                      0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD};
  EXPECT_EQ(cps, want);
  EXPECT_EQ(ends[3], 10u);
  EXPECT_EQ(ends.back(), text.size());
  EXPECT_EQ(FindInvalidUtf8(text), std::optional<std::size_t>(10));
  EXPECT_EQ(FindInvalidUtf8(text.substr(0, 10)), std::nullopt);
  EXPECT_EQ(DecodeUtf8Before(text, 10), char32_t{0x1F600});
  EXPECT_EQ(DecodeUtf8Before(text, 3), char32_t{0x416});
  EXPECT_EQ(DecodeUtf8Before(text, 0), char32_t{0});
  std::string round;
  for (std::size_t i = 0; i < 4; ++i) AppendUtf8(round, cps[i]);
  EXPECT_EQ(round, text.substr(0, 10));
}

}  // namespace
}  // namespace sakchy::core_test

namespace sakchy::core_test {
namespace {

TEST(TypesTest, VerdictAndSignalNamesRoundTrip) {
  for (auto v : {VerdictStatus::kUnverified, VerdictStatus::kConfirmed, VerdictStatus::kFalse,
                 VerdictStatus::kMisleading}) {
    EXPECT_EQ(ParseVerdictStatus(VerdictStatusName(v)), v);
  }
  EXPECT_EQ(VerdictStatusName(VerdictStatus::kFalse), "false");
  EXPECT_FALSE(ParseVerdictStatus("true"));
  EXPECT_FALSE(ParseVerdictStatus(""));
  EXPECT_EQ(SignalKindName(Signal::Kind::kAreaSpike), "area_spike");
  EXPECT_EQ(SignalKindName(Signal::Kind::kClusterSpread), "cluster_spread");
}

}  // namespace
}  // namespace sakchy::core_test

namespace sakchy::core_test {
namespace {

// Counts runs; lets a test wait for a given count with a deadline.
struct RunCounter {
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  void Inc() {
    std::lock_guard lock(mu);
    ++runs;
    cv.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return runs >= n; });
  }
};

TEST(PeriodicWorkerTest, RunsAtStartAndStopsWithoutWaitingOutTheInterval) {
  RunCounter counter;
  PeriodicWorker worker;
  worker.Start("test-worker", std::chrono::hours(1), PeriodicWorker::FirstRun::kAtStart,
               [&] { counter.Inc(); });
  EXPECT_TRUE(worker.running());
  ASSERT_TRUE(counter.WaitFor(1));
  const auto before = std::chrono::steady_clock::now();
  worker.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::minutes(1));
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(counter.runs, 1);
}

TEST(PeriodicWorkerTest, AfterIntervalDoesNotRunBeforeStopAndRestarts) {
  RunCounter counter;
  PeriodicWorker worker;
  worker.Start("test-worker", std::chrono::hours(1), PeriodicWorker::FirstRun::kAfterInterval,
               [&] { counter.Inc(); });
  worker.Stop();
  EXPECT_EQ(counter.runs, 0);
  worker.Start("test-worker", std::chrono::milliseconds(1), PeriodicWorker::FirstRun::kAtStart,
               [&] { counter.Inc(); });
  ASSERT_TRUE(counter.WaitFor(3));  // repeats every interval
  worker.Stop();
}

}  // namespace
}  // namespace sakchy::core_test
