// The client commands of the real binary (`sakchy report|import|export|alerts|ack`) against a
// real running service: --opt=value, conflicts, generated help, resumable idempotent import.

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "integration/harness.h"
#include "testutil/process.h"
#include "testutil/testutil.h"

namespace sakchy::testing::client_cli_test {
namespace {

namespace json = boost::json;

constexpr const char* kRumour =
    "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!";

class ClientCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    h_ = new Harness();
    ASSERT_TRUE(h_->Start());
  }
  static void TearDownTestSuite() {
    delete h_;
    h_ = nullptr;
  }
  std::pair<int, std::string> Run(std::vector<std::string> args,
                                  const std::string& token = kAnalystToken) {
    args.push_back("--url=http://127.0.0.1:" + std::to_string(h_->port()));
    return RunSakchy(args, dir_.str(), {{"SAKCHY_TOKEN", token}});
  }
  TempDir dir_;
  static Harness* h_;
};

Harness* ClientCliTest::h_ = nullptr;

TEST_F(ClientCliTest, HelpUsageErrorsAndConflicts) {
  auto [code, out] = RunSakchy({"import", "--help"}, dir_.str());
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("--restart"), std::string::npos) << out;  // generated from the options
  EXPECT_NE(out.find("--url"), std::string::npos) << out;
  std::tie(code, out) = Run({"alerts", "--unacked", "--acked"});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("excludes"), std::string::npos) << out;
  std::tie(code, out) = Run({"export", "events.csv", "--hxl", "--no-bom"});
  EXPECT_EQ(code, 2) << out;
  std::tie(code, out) = Run({"export", "trends.xlsx"});
  EXPECT_EQ(code, 2) << out;
  std::tie(code, out) = RunSakchy({"alerts", "--url=http://127.0.0.1:1"}, dir_.str());
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("SAKCHY_TOKEN"), std::string::npos) << out;
}

TEST_F(ClientCliTest, ReportImportIsIdempotentAndResumes) {
  auto [code, out] = Run({"report", "В", "Бишкеке", "заседание", "--area=KG-GB",
                          "--source-ref=cli-1"},
                         kMonitorToken);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"accepted\""), std::string::npos) << out;
  std::tie(code, out) = Run({"report", "В Бишкеке заседание", "--source-ref", "cli-1"},
                            kMonitorToken);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"duplicate\""), std::string::npos) << out;

  const std::string file = dir_.str() + "/reports.ndjson";
  {
    std::ofstream f(file);
    for (int i = 0; i < 120; ++i) {
      f << json::serialize(json::object{{"text", "Импорт номер " + std::to_string(i) +
                                                     ": в Оше нет воды"},
                                        {"area", "KG-GO"}})
        << "\n";
    }
    f << "not json\n";
  }
  // An interrupted import left its progress after line 50: the rest is sent.
  std::ofstream(file + ".progress") << 50 << "\n";
  std::tie(code, out) = Run({"import", file, "--batch=40"}, kMonitorToken);
  EXPECT_EQ(code, 1) << out;  // one line rejected
  EXPECT_NE(out.find("resuming after line 50"), std::string::npos) << out;
  EXPECT_NE(out.find(":121: rejected"), std::string::npos) << out;
  EXPECT_NE(out.find("70 accepted, 0 duplicates, 1 rejected"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(file + ".progress"));
  // From the start again: the first 50 are new, the other 70 duplicates (idempotent).
  std::tie(code, out) = Run({"import", file, "--batch", "40"}, kMonitorToken);
  EXPECT_NE(out.find("50 accepted, 70 duplicates, 1 rejected"), std::string::npos) << out;
  std::tie(code, out) = Run({"import", file}, kMonitorToken);
  EXPECT_NE(out.find("0 accepted, 120 duplicates, 1 rejected"), std::string::npos) << out;
}

TEST_F(ClientCliTest, ExportWritesTheFileWithOptions) {
  auto [code, out] = Run({"report", kRumour, "--source-ref=cli-export"}, kMonitorToken);
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(WaitFor([&] {
    auto r = h_->Call("GET", "/v1/export/events.csv?bom=0", kAnalystToken);
    return r.body.find(kRumour) != std::string::npos;
  }));
  const std::string path = dir_.str() + "/out.csv";
  std::tie(code, out) = Run({"export", "events.csv", "-o", path, "--hxl", "--area=KG"});
  ASSERT_EQ(code, 0) << out;
  std::ifstream in(path, std::ios::binary);
  const std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(csv.starts_with("\xEF\xBB\xBFid,observed_at,")) << csv.substr(0, 40);
  EXPECT_NE(csv.find("\r\n#meta+id,#date,"), std::string::npos);
  EXPECT_NE(csv.find(kRumour), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
  std::tie(code, out) = Run({"export", "events.csv", "-o", path, "--area=KG-XX"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("HTTP 4"), std::string::npos) << out;
}

TEST_F(ClientCliTest, AlertsAndAck) {
  auto [code, out] = Run({"report", kRumour, "--source-ref=cli-alert"}, kMonitorToken);
  ASSERT_EQ(code, 0) << out;
  std::string id;
  ASSERT_TRUE(WaitFor([&] {
    auto doc = h_->GetJson("/v1/alerts");
    if (!doc.is_object() || doc.at("alerts").as_array().empty()) return false;
    id = std::string(doc.at("alerts").as_array().at(0).at("id").as_string());
    return true;
  }));
  std::tie(code, out) = Run({"alerts", "--unacked"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find(id), std::string::npos) << out;
  std::tie(code, out) = Run({"ack", id, "--note=police informed"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("acknowledged " + id), std::string::npos) << out;
  std::tie(code, out) = Run({"alerts", "--unacked"});
  EXPECT_EQ(out.find(id), std::string::npos) << out;
  std::tie(code, out) = Run({"alerts", "--acked", "--json"});
  EXPECT_NE(out.find("\"id\":\"" + id + "\""), std::string::npos) << out;
  std::tie(code, out) = Run({"ack", "01NOSUCHALERT0000000000000"});
  EXPECT_EQ(code, 1) << out;
}

}  // namespace
}  // namespace sakchy::testing::client_cli_test
