// Learned scorers through the real binary: `sakchy model train | eval | check`, `classify
// --model`, a configured model in the event's scoring, hot reload refusing a broken model, and
// analysts' labels exported as training data.

#include <signal.h>

#include <boost/json.hpp>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "classifier/model_fixture.h"
#include "integration/harness.h"

namespace sakchy::testing::models_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The fixture texts as NDJSON with a "topic" group.
std::string WriteFixtureNdjson(const TempDir& dir) {
  const std::string path = dir.str() + "/train.ndjson";
  std::ofstream f(path);
  for (const auto& e : ModelFixtureExamples()) {
    f << json::serialize(json::object{{"text", e.text}, {"label", e.label}, {"topic", e.group}})
      << "\n";
  }
  return path;
}

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

const std::vector<std::string> kTinyFlags = {"--dim", "8", "--bucket", "4096", "--minn", "2",
                                             "--maxn", "4", "--epoch", "30", "--lr", "0.5",
                                             "--quiet"};

std::vector<std::string> TrainArgs(const std::string& data, const std::string& out,
                                   std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"model", "train", "--data", data, "--out", out,
                                   "--positive", "rumour"};
  args.insert(args.end(), kTinyFlags.begin(), kTinyFlags.end());
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string RumourText() {
  for (const auto& e : ModelFixtureExamples()) {
    if (e.label == "rumour") return e.text;
  }
  return {};
}

TEST(ModelCliTest, TrainCheckEvalAndClassify) {
  TempDir dir;
  const std::string data = WriteFixtureNdjson(dir);
  const std::string model = dir.str() + "/model";
  auto [code, out] = RunSakchy(TrainArgs(data, model, {"--cv-group", "topic"}), dir.str());
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("leave-one-group-out, 4 folds"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(model + "/model.bin"));
  auto card = json::parse(RunShell("cat " + model + "/card.json").second);
  EXPECT_EQ(card.at("cross_validation").at("scheme"), "leave-one-group-out");
  EXPECT_EQ(card.at("training_data").at("group_field"), "topic");
  EXPECT_EQ(card.at("training_data").at("file"), "train.ndjson");

  auto [check_code, check_out] = RunSakchy({"model", "check", model}, dir.str());
  EXPECT_EQ(check_code, 0) << check_out;
  EXPECT_NE(check_out.find(": OK (model, task rumour, positive rumour"), std::string::npos)
      << check_out;
  auto [wrong_code, wrong_out] = RunSakchy({"model", "check", model, "--label", "hate"}, dir.str());
  EXPECT_EQ(wrong_code, 1);
  EXPECT_NE(wrong_out.find("the config expects 'hate'"), std::string::npos) << wrong_out;
  auto [none_code, none_out] = RunSakchy({"model", "check", dir.str() + "/none"}, dir.str());
  EXPECT_EQ(none_code, 1);
  EXPECT_NE(none_out.find("none: not found"), std::string::npos) << none_out;

  const std::string eval_json = dir.str() + "/eval.json";
  const int rc = std::system((std::string(SAKCHY_BINARY) + " model eval --model " + model +
                              " --data " + data + " --group-field topic --json > " + eval_json)
                                 .c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0);
  auto eval = json::parse(RunShell("cat " + eval_json).second);
  EXPECT_GT(eval.at("overall").at("macro_f1").to_number<double>(), 0.9);
  EXPECT_EQ(eval.at("overall").at("labels").at("rumour").at("support").to_number<int>() +
                eval.at("overall").at("labels").at("other").at("support").to_number<int>(),
            static_cast<int>(ModelFixtureExamples().size()));
  EXPECT_EQ(eval.at("groups").as_object().size(), 4u);
  EXPECT_EQ(eval.at("model").at("positive"), "rumour");

  // classify --model DIR:WEIGHT: the rules' score and the model's part on every line.
  const std::string in = dir.str() + "/in.ndjson";
  std::ofstream(in) << json::serialize(json::object{{"text", RumourText()}}) << "\n";
  const std::string classified = dir.str() + "/out.ndjson";
  const int crc = std::system((std::string(SAKCHY_BINARY) + " classify --rules " +
                               SourcePath("config/defaults/rules") + " --model " + model +
                               ":10 < " + in + " > " + classified)
                                  .c_str());
  ASSERT_EQ(WEXITSTATUS(crc), 0);
  auto line = json::parse(RunShell("cat " + classified).second);
  ASSERT_EQ(line.at("models").as_array().size(), 1u) << line;
  const auto& m = line.at("models").at(0);
  EXPECT_EQ(m.at("model"), "model");
  const double p = m.at("probability").to_number<double>();
  EXPECT_GT(p, 0.5);
  EXPECT_NEAR(m.at("contribution").to_number<double>(), 10 * p, 1e-9);
  EXPECT_NEAR(line.at("score").to_number<double>(),
              line.at("rules_score").to_number<double>() + 10 * p, 1e-9);
}

TEST(ModelCliTest, TrainReportsBadLinesByNumberAndRefusesOneLabel) {
  TempDir dir;
  const std::string bad = dir.str() + "/bad.ndjson";
  std::ofstream(bad) << "{\"text\":\"ok\",\"label\":\"rumour\"}\n"
                     << "{\"text\":\"no label here\"}\n"
                     << "{\"text\":\"odd\",\"label\":\"rumor\"}\n"
                     << "{\"text\":\"   \",\"label\":\"other\"}\n"
                     << "not json\n";
  auto [code, out] = RunSakchy(
      TrainArgs(bad, dir.str() + "/m", {"--labels", "rumour,other", "--folds", "0"}), dir.str());
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("bad.ndjson: line 2: missing label"), std::string::npos) << out;
  EXPECT_NE(out.find("line 3: unknown label 'rumor' (expected one of: rumour, other)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("line 4: empty text"), std::string::npos) << out;
  EXPECT_NE(out.find("line 5: not valid JSON"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir.str() + "/m/model.bin"));

  const std::string one = dir.str() + "/one.ndjson";
  std::ofstream(one) << "{\"text\":\"a\",\"label\":\"rumour\"}\n{\"text\":\"b\",\"label\":\"rumour\"}\n";
  auto [one_code, one_out] = RunSakchy(TrainArgs(one, dir.str() + "/m", {"--folds", "0"}), dir.str());
  EXPECT_EQ(one_code, 1);
  EXPECT_NE(one_out.find("a model needs at least two"), std::string::npos) << one_out;
}

HarnessOptions WithModel(const std::string& model_dir, const std::string& label = "rumour") {
  HarnessOptions o = WithoutClusters();
  o.classifier_yaml = "  models:\n    - {dir: " + model_dir + ", label: " + label +
                      ", weight: 10, min_probability: 0.5, category: rumour_model}\n";
  return o;
}

TEST(ModelServiceTest, ModelScoresEventsAndABrokenModelIsRefusedOnReload) {
  TempDir dir;
  const std::string model = dir.str() + "/model";
  ASSERT_OK(TrainTinyModel(model));
  Harness h(WithModel(model));
  ASSERT_TRUE(h.Start());
  auto rules = h.GetJson("/v1/admin/rules", kAdminToken);
  ASSERT_EQ(rules.at("models").as_array().size(), 1u) << rules;
  const std::string v1(rules.at("models").at(0).at("version").as_string());
  EXPECT_EQ(h.Metric("sakchy_model_info{model=\"rumour-test\",version=\"" + v1 + "\"}"), 1);

  auto post = h.PostReport(json::object{{"text", RumourText()}});
  ASSERT_EQ(post.status, 202) << post.body;
  auto event = h.WaitScored(std::string(json::parse(post.body).at("id").as_string()));
  ASSERT_TRUE(event.is_object());
  ASSERT_EQ(event.at("models").as_array().size(), 1u) << event;
  const auto& part = event.at("models").at(0);
  EXPECT_EQ(part.at("model"), "rumour-test");
  EXPECT_EQ(Str(part.at("version")), v1);
  EXPECT_GT(part.at("contribution").to_number<double>(), 5.0);
  EXPECT_NEAR(event.at("score").to_number<double>(),
              event.at("rules_score").to_number<double>() +
                  part.at("contribution").to_number<double>(),
              1e-9);
  bool has_category = false;
  for (const auto& c : event.at("categories").as_array()) has_category |= c == "rumour_model";
  EXPECT_TRUE(has_category) << event;
  EXPECT_NE(event.at("severity"), "info");

  // A truncated model.bin: the reload is refused, the old model keeps scoring.
  {
    std::string bin = RunShell("cat " + model + "/model.bin").second;
    std::ofstream(model + "/model.bin", std::ios::binary | std::ios::trunc)
        << bin.substr(0, bin.size() / 2);
  }
  auto refused = h.Call("POST", "/v1/admin/rules/reload", kAdminToken);
  ASSERT_EQ(refused.status, 422) << refused.body;
  auto problem = json::parse(refused.body);
  const std::string first_error(problem.at("errors").at(0).as_string());
  EXPECT_NE(first_error.find("classifier.models: "), std::string::npos) << refused.body;
  EXPECT_NE(first_error.find("differs from the card's"), std::string::npos) << refused.body;
  EXPECT_GE(h.Metric("sakchy_model_reload_failures_total"), 1);  // the watcher may try too
  auto again = h.PostReport(json::object{{"text", RumourText() + " again"}});
  auto scored = h.WaitScored(std::string(json::parse(again.body).at("id").as_string()));
  EXPECT_EQ(Str(scored.at("models").at(0).at("version")), v1) << scored;

  // A good new model in the directory is picked up by the watcher (polls every 2 s).
  ASSERT_OK(TrainTinyModel(model, /*seed=*/2));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto now = h.GetJson("/v1/admin/rules", kAdminToken);
        return now.is_object() && Str(now.at("models").at(0).at("version")) != v1;
      },
      std::chrono::seconds(15)));
  EXPECT_EQ(h.Metric("sakchy_model_info{model=\"rumour-test\",version=\"" + v1 + "\"}"), 0);
  EXPECT_EQ(h.Stop(SIGTERM), 0);
}

TEST(ModelServiceTest, AModelTrainedForAnotherLabelIsRefusedAtStartAndByConfigCheck) {
  TempDir dir;
  const std::string model = dir.str() + "/model";
  ASSERT_OK(TrainTinyModel(model));
  Harness h(WithModel(model, "hate"));
  auto [code, out] = RunSakchy({"config", "check", h.config_path()}, dir.str(),
                               {{"SAKCHY_WEBHOOK_TEST_SECRET", kWebhookSecret}});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("classifier.models: " + model + "/card.json: positive: the model was trained "
                     "for 'rumour'"),
            std::string::npos)
      << out;
  EXPECT_FALSE(h.Start());
}

TEST(ModelLabelsTest, AnalystLabelsAndVerdictsExportAsTrainingData) {
  Harness h;
  ASSERT_TRUE(h.Start());
  const std::string rumour = "Говорят, в Оше отравили воду в арыках, передайте всем";
  auto a = h.PostReport(json::object{{"text", "Сегодня в Оше открылся новый рынок"}});
  auto b1 = h.PostReport(json::object{{"text", rumour}, {"source_ref", "m1"}});
  auto b2 = h.PostReport(json::object{{"text", rumour}, {"source_ref", "m2"}});
  const std::string id_a = Str(json::parse(a.body).at("id"));
  const std::string id_b1 = Str(json::parse(b1.body).at("id"));
  const std::string id_b2 = Str(json::parse(b2.body).at("id"));
  h.WaitScored(id_a);
  h.WaitScored(id_b1);
  auto event_b2 = h.WaitScored(id_b2);

  const std::string label = R"({"task":"rumour","label":"non_rumour"})";
  auto ok = h.Call("POST", "/v1/events/" + id_a + "/label", kAnalystToken, label);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string analyst = Str(json::parse(ok.body).at("labelled_by"));
  EXPECT_FALSE(analyst.empty());
  EXPECT_EQ(h.Call("POST", "/v1/events/" + id_a + "/label", kMonitorToken, label).status, 403);
  EXPECT_EQ(h.Call("POST", "/v1/events/01JAAAAAAAAAAAAAAAAAAAAAAA/label", kAnalystToken, label)
                .status,
            404);
  auto bad = h.Call("POST", "/v1/events/" + id_a + "/label", kAnalystToken,
                    R"({"task":"rumour","label":"not a name"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Str(json::parse(bad.body).at("field")), "label") << bad.body;
  auto extra = h.Call("POST", "/v1/events/" + id_a + "/label", kAnalystToken,
                      R"({"task":"rumour","label":"x","why":1})");
  EXPECT_EQ(extra.status, 400);
  EXPECT_EQ(h.Call("POST", "/v1/events/" + id_a + "/label", kAnalystToken, label,
                   {{"Content-Type", "text/plain"}})
                .status,
            415);
  auto audit = h.GetJson("/v1/admin/audit?action=event.label", kAdminToken);
  ASSERT_TRUE(audit.is_object());
  EXPECT_EQ(Str(audit.at("entries").at(0).at("subject")), id_a) << audit;

  // A false verdict on the rumour's cluster makes both its reports "rumour" examples.
  ASSERT_FALSE(event_b2.at("cluster_id").is_null()) << event_b2;
  const std::string cluster = Str(event_b2.at("cluster_id"));
  auto verdict = h.Call("POST", "/v1/clusters/" + cluster + "/verdict", kAnalystToken,
                        R"({"status":"false","statement":"Вода чистая."})");
  ASSERT_EQ(verdict.status, 200) << verdict.body;
  ASSERT_EQ(json::parse(verdict.body).at("events").to_number<int>(), 2) << verdict.body;

  TempDir dir;
  const std::string file = dir.str() + "/labels.ndjson";
  auto [code, out] = RunSakchy({"model", "export-labels", "--url",
                                "http://127.0.0.1:" + std::to_string(h.port()), "--out", file},
                               dir.str(), {{"SAKCHY_TOKEN", kAnalystToken}});
  ASSERT_EQ(code, 0) << out;
  std::ifstream f(file);
  std::vector<json::value> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Str(lines[0].at("event_id")), id_a);
  EXPECT_EQ(Str(lines[0].at("label")), "non_rumour");
  EXPECT_EQ(Str(lines[0].at("source")), "analyst:" + analyst);
  std::set<std::string> rumours;
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(Str(lines[i].at("label")), "rumour");
    EXPECT_EQ(Str(lines[i].at("task")), "rumour");
    EXPECT_EQ(Str(lines[i].at("text")), rumour);
    EXPECT_EQ(Str(lines[i].at("source")), "verdict:false:cluster " + cluster);
    rumours.insert(Str(lines[i].at("event_id")));
  }
  EXPECT_EQ(rumours, (std::set<std::string>{id_b1, id_b2}));

  // Ready for `model train`.
  auto [train_code, train_out] = RunSakchy(
      {"model", "train", "--data", file, "--out", dir.str() + "/m", "--positive", "rumour",
       "--folds", "0", "--bucket", "1000", "--quiet"},
      dir.str());
  EXPECT_EQ(train_code, 0) << train_out;
  auto [no_token, no_token_out] =
      RunSakchy({"model", "export-labels", "--url", "http://127.0.0.1:1"}, dir.str());
  EXPECT_EQ(no_token, 2);
  EXPECT_EQ(h.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace sakchy::testing::models_test
