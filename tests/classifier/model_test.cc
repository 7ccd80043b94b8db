// The learned scorer: model text, loading and refusing model directories, our own inference
// against libfasttext's, training and cross-validation.

#include "classifier/model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../../classifier/src/model_fasttext.h"
#include "../../classifier/src/model_text.h"
#include "classifier/model_fixture.h"
#include "classifier/model_training.h"
#include "classifier/with_models.h"
#include "config/areas.h"
#include "core/crypto.h"
#include "testutil/testutil.h"

namespace sakchy::classifier::model_test {
namespace {

using sakchy::testing::TempDir;

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void WriteAll(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
}

// Replaces the first `from` in the card with `to`.
void EditCard(const std::filesystem::path& dir, const std::string& from, const std::string& to) {
  std::string card = ReadAll(dir / "card.json");
  const auto at = card.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  card.replace(at, from.size(), to);
  WriteAll(dir / "card.json", card);
}

TEST(ModelText, CutsFoldsAndReplacesUrlsAndMentions) {
  EXPECT_EQ(internal::ModelText("BREAKING: Police CONFIRM 2 gunmen in #Sydney café!!! "
                                "http://t.co/xyz @abc_1 Is it true??"),
            "breaking police confirm 2 gunmen in sydney café ! url @user is it true ?");
  EXPECT_EQ(internal::ModelText("Говорят, ВОДА отравлена... Суу ичпегиле!"),
            "говорят вода отравлена суу ичпегиле !");
  EXPECT_EQ(internal::ModelText("see www.example.com/x?y=1, or HTTPS://A.B"), "see url or url");
  EXPECT_EQ(internal::ModelText("bad \xff\xfe bytes\tand\nlines"), "bad bytes and lines");
  EXPECT_EQ(internal::ModelText(""), "");
  EXPECT_EQ(internal::ModelText("  ...  "), "");
}

TEST(FastTextHash, MatchesFnv1aWithSignExtendedBytes) {
  EXPECT_EQ(internal::FastTextHash(""), 2166136261u);
  EXPECT_EQ(internal::FastTextHash("a"), 0xe40c292cu);  // FNV-1a of "a": ASCII is not extended
  // A byte >= 0x80 is sign-extended before the xor (fastText's int8_t cast), so the hash differs
  // from plain FNV-1a (0x1d0c25e0 for "\xd0").
  EXPECT_NE(internal::FastTextHash("\xd0"), 0x1d0c25e0u);
}

class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto card = sakchy::testing::TrainTinyModel((dir_->path() / "m").string());
    ASSERT_OK(card);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // A copy of the trained model directory that a test may damage.
  std::filesystem::path Copy() {
    const auto to = scratch_.path() / "copy";
    std::filesystem::copy(dir_->path() / "m", to);
    return to;
  }
  static std::filesystem::path ModelDir() { return dir_->path() / "m"; }

  static TempDir* dir_;
  TempDir scratch_;
};
TempDir* TrainedModel::dir_ = nullptr;

// Texts the model has and has not seen: fixture texts, their variants, unknown words, other
// scripts, emoji, empty.
std::vector<std::string> ProbeTexts() {
  std::vector<std::string> texts;
  for (const auto& e : sakchy::testing::ModelFixtureExamples()) texts.push_back(e.text);
  const std::vector<std::string> extra = {
      "",
      "!!!",
      "зимой вода замерзла в трубах, жители ждут ремонта",
      "BREAKING the bank is closed people say, share!!",
      "Банктар жабылат деп угуп калдым, чынбы?",
      "ǅemal said 🙂 the école is fine",
      "xyzzy qwertyuiop unknownword anotherone",
      "мектеп мектепте мектептен мектептерге",
      "the border post the border post the border post",
      "http://example.com @someone #tag",
  };
  texts.insert(texts.end(), extra.begin(), extra.end());
  const std::size_t base = texts.size();
  for (std::size_t stride : {7, 13}) {  // recombined halves: new word bigrams
    for (std::size_t i = 0; i < base; ++i) {
      const std::string& a = texts[i];
      const std::string& b = texts[(i * stride + 3) % base];
      texts.push_back(a.substr(0, a.size() / 2) + " " + b.substr(b.size() / 2));
    }
  }
  return texts;
}

TEST_F(TrainedModel, PredictEqualsLibfasttextWithin1e4) {
  auto model = Model::Load(ModelDir().string(), "rumour");
  ASSERT_OK(model);
  const auto& labels = (*model)->card().labels;
  ASSERT_EQ(labels, (std::vector<std::string>{"other", "rumour"}));
  const auto texts = ProbeTexts();
  ASSERT_GE(texts.size(), 200u);
  std::vector<float> ours(labels.size());
  double max_diff = 0;
  for (const auto& text : texts) {
    auto theirs = internal::FastTextPredict((ModelDir() / "model.bin").string(),
                                            internal::ModelText(text), labels);
    ASSERT_OK(theirs);
    (*model)->Predict(text, ours);
    for (std::size_t l = 0; l < labels.size(); ++l) {
      max_diff = std::max(max_diff, static_cast<double>(std::abs(ours[l] - (*theirs)[l])));
      ASSERT_NEAR(ours[l], (*theirs)[l], 1e-4) << "label " << labels[l] << " text: " << text;
    }
    EXPECT_NEAR((*model)->PositiveProbability(text), ours[1], 1e-7);
  }
  RecordProperty("max_abs_difference", std::to_string(max_diff));
}

TEST_F(TrainedModel, LearnsTheFixture) {
  auto model = Model::Load(ModelDir().string());
  ASSERT_OK(model);
  auto figures = EvaluateModel(**model, sakchy::testing::ModelFixtureExamples());
  ASSERT_OK(figures);
  EXPECT_GT(figures->macro_f1, 0.9);
}

TEST_F(TrainedModel, PredictIsThreadSafe) {
  auto model = Model::Load(ModelDir().string());
  ASSERT_OK(model);
  const auto texts = ProbeTexts();
  std::vector<double> expected;
  for (const auto& t : texts) expected.push_back((*model)->PositiveProbability(t));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          if ((*model)->PositiveProbability(texts[i]) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(TrainedModel, CardRecordsDataLabelsAndHash) {
  auto model = Model::Load(ModelDir().string());
  ASSERT_OK(model);
  const ModelCard& c = (*model)->card();
  EXPECT_EQ(c.format_version, kModelFormatVersion);
  EXPECT_EQ(c.name, "rumour-test");
  EXPECT_EQ(c.positive, "rumour");
  EXPECT_EQ(c.text_version, "sakchy-text-1");
  EXPECT_EQ(c.model_sha256, Sha256Hex(ReadAll(ModelDir() / "model.bin")));
  EXPECT_EQ((*model)->version(), c.model_sha256.substr(0, 16));
  EXPECT_EQ(c.trained_at, "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(c.training_data.examples, sakchy::testing::ModelFixtureExamples().size());
  EXPECT_EQ(c.hyperparameters.dim, 8);
  EXPECT_EQ(c.cross_validation.scheme, "none");
  // The card round-trips.
  auto again = ParseModelCard(ModelCardToJson(c), "card");
  ASSERT_OK(again);
  EXPECT_EQ(ModelCardToJson(*again), ModelCardToJson(c));
}

TEST_F(TrainedModel, RefusesAMissingDirectoryOrFile) {
  auto missing = Model::Load((scratch_.path() / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("nope: not found"), std::string::npos);

  const auto dir = Copy();
  std::filesystem::remove(dir / "model.bin");
  auto no_bin = Model::Load(dir.string());
  ASSERT_FALSE(no_bin);
  EXPECT_NE(no_bin.error().message.find("model.bin"), std::string::npos) << no_bin.error().message;

  std::filesystem::remove(dir / "card.json");
  auto no_card = Model::Load(dir.string());
  ASSERT_FALSE(no_card);
  EXPECT_NE(no_card.error().message.find("card.json"), std::string::npos);
}

TEST_F(TrainedModel, RefusesATruncatedModelFile) {
  const auto dir = Copy();
  std::string bin = ReadAll(dir / "model.bin");
  WriteAll(dir / "model.bin", bin.substr(0, bin.size() / 2));
  auto m = Model::Load(dir.string());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kCorruption);
  EXPECT_NE(m.error().message.find("differs from the card's"), std::string::npos)
      << m.error().message;
}

TEST_F(TrainedModel, RefusesAFileFastTextCannotReadEvenWithAMatchingHash) {
  const auto dir = Copy();
  for (const std::string& bytes :
       {std::string("not a model at all"), ReadAll(dir / "model.bin").substr(0, 4000)}) {
    WriteAll(dir / "model.bin", bytes);
    const std::string old_sha = Sha256Hex(ReadAll(ModelDir() / "model.bin"));
    std::string card = ReadAll(ModelDir() / "card.json");
    card.replace(card.find(old_sha), old_sha.size(), Sha256Hex(bytes));
    WriteAll(dir / "card.json", card);
    auto m = Model::Load(dir.string());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::kCorruption);
    EXPECT_NE(m.error().message.find("model.bin: "), std::string::npos) << m.error().message;
  }
}

TEST_F(TrainedModel, RefusesACardThatIsNotJsonOrOfAnotherVersion) {
  const auto dir = Copy();
  WriteAll(dir / "card.json", "{\"format_version\": 1, \"name\": ");
  auto broken = Model::Load(dir.string());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("card.json: not valid JSON"), std::string::npos)
      << broken.error().message;

  std::filesystem::copy_file(ModelDir() / "card.json", dir / "card.json",
                             std::filesystem::copy_options::overwrite_existing);
  EditCard(dir, "\"format_version\": 1", "\"format_version\": 2");
  auto v2 = Model::Load(dir.string());
  ASSERT_FALSE(v2);
  EXPECT_NE(v2.error().message.find(
                "card.json: format_version: version 2 is not supported (this build reads "
                "version 1)"),
            std::string::npos)
      << v2.error().message;

  std::filesystem::copy_file(ModelDir() / "card.json", dir / "card.json",
                             std::filesystem::copy_options::overwrite_existing);
  EditCard(dir, "\"sakchy-text-1\"", "\"sakchy-text-9\"");
  auto text = Model::Load(dir.string());
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("text_version: 'sakchy-text-9' is not known"),
            std::string::npos);

  std::filesystem::copy_file(ModelDir() / "card.json", dir / "card.json",
                             std::filesystem::copy_options::overwrite_existing);
  EditCard(dir, "\"task\": \"rumour\",", "");
  auto missing = Model::Load(dir.string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("card.json: task: missing"), std::string::npos)
      << missing.error().message;
}

TEST_F(TrainedModel, RefusesOtherLabelsThanExpected) {
  auto wrong = Model::Load(ModelDir().string(), "hate");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("trained for 'rumour' (labels other, rumour), the "
                                       "config expects 'hate'"),
            std::string::npos)
      << wrong.error().message;

  // A card whose labels are not the model's.
  const auto dir = Copy();
  EditCard(dir, "\"other\",", "\"calm\",");
  auto relabelled = Model::Load(dir.string());
  ASSERT_FALSE(relabelled);
  EXPECT_NE(relabelled.error().message.find("labels other, rumour differ from the card's calm, "
                                            "rumour"),
            std::string::npos)
      << relabelled.error().message;
}

// The rules (one rule of weight 2, thresholds 1/3/6/10, a medium minimum on another) with the
// fixture model beside them.
TEST_F(TrainedModel, WithModelsAddsTheContributionCategoryAndSeverity) {
  auto areas = config::AreaTree::Parse(
      "areas:\n  - {code: KG, parent: \"\", level: country, name_en: Kyrgyzstan}\n", "a.yaml");
  ASSERT_OK(areas);
  auto rules = Classifier::LoadFromSources(
      {{"rules.yaml",
        "version: 1\n"
        "severity_thresholds: {low: 1, medium: 3, high: 6, critical: 10}\n"
        "rules:\n"
        "  - {id: r1, category: rumour_marker, weight: 2, any: [people say]}\n"
        "  - {id: r2, category: alarm, weight: 0.1, severity: medium, any: [alarm]}\n"}},
      *areas, 1);
  ASSERT_OK(rules);
  auto model = Model::Load(ModelDir().string(), "rumour");
  ASSERT_OK(model);
  EXPECT_EQ(WithModels(*rules, {}), *rules);  // no models: the rules themselves

  const std::string text =
      "people say the city bank was poisoned last night, share this with everyone!!";
  const double p = (*model)->PositiveProbability(text);
  ASSERT_GT(p, 0.6);
  auto both = WithModels(*rules, {ModelUse{*model, 5, 0.6, "rumour_model"}});
  const Classification c = both->Classify(text);
  EXPECT_DOUBLE_EQ(c.rules_score, 2);
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].model, "rumour-test");
  EXPECT_EQ(c.models[0].version, (*model)->version());
  EXPECT_DOUBLE_EQ(c.models[0].probability, p);
  EXPECT_DOUBLE_EQ(c.models[0].contribution, 5 * p);
  EXPECT_DOUBLE_EQ(c.score, 2 + 5 * p);
  EXPECT_EQ(c.categories, (std::vector<std::string>{"rumour_marker", "rumour_model"}));
  EXPECT_EQ(c.severity, SeverityOfScore(2 + 5 * p, {1, 3, 6, 10}));
  EXPECT_GE(c.severity, Severity::kMedium);
  EXPECT_EQ(both->info().version, (*rules)->info().version);

  // Below min_probability: reported, but no contribution, no category.
  auto shy = WithModels(*rules, {ModelUse{*model, 5, 0.999, "rumour_model"}});
  const Classification s = shy->Classify(text);
  EXPECT_DOUBLE_EQ(s.score, 2);
  EXPECT_DOUBLE_EQ(s.models[0].contribution, 0);
  EXPECT_EQ(s.categories, (std::vector<std::string>{"rumour_marker"}));
  EXPECT_EQ(s.severity, Severity::kLow);

  // A rule's severity minimum is kept when the score alone would give less.
  const Classification m = shy->Classify("alarm");
  EXPECT_EQ(m.severity, Severity::kMedium);
  EXPECT_EQ(SeverityOfScore(0.5, {1, 3, 6, 10}), Severity::kInfo);
  EXPECT_EQ(SeverityOfScore(10, {1, 3, 6, 10}), Severity::kCritical);
}

TEST(ModelTraining, RefusesDataWithOneLabelOrWithoutThePositiveOne) {
  TempDir dir;
  TrainingSpec spec;
  spec.positive = "rumour";
  spec.hyperparameters = sakchy::testing::TinyHyperparameters();
  std::vector<TrainingExample> one = {{"a", "rumour", ""}, {"b", "rumour", ""}};
  auto r = TrainModel(one, {}, spec, dir.str(), 0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1 label(s)"), std::string::npos);
  spec.positive = "hate";
  std::vector<TrainingExample> two = {{"a", "rumour", ""}, {"b", "other", ""}};
  auto p = TrainModel(two, {}, spec, dir.str(), 0);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("'hate' does not occur"), std::string::npos);
  spec.positive = "rumour";
  spec.cross_validation.kind = CrossValidationPlan::Kind::kLeaveOneGroupOut;
  auto g = TrainModel(two, {}, spec, dir.str(), 0);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("example 1 has no group"), std::string::npos);
}

TEST(ModelTraining, LeaveOneGroupOutAndKFoldFillTheCard) {
  TempDir dir;
  TrainingSpec spec;
  spec.name = "cv";
  spec.task = "rumour";
  spec.positive = "rumour";
  spec.group_field = "topic";
  spec.hyperparameters = sakchy::testing::TinyHyperparameters();
  spec.cross_validation.kind = CrossValidationPlan::Kind::kLeaveOneGroupOut;
  const auto examples = sakchy::testing::ModelFixtureExamples();
  std::vector<std::string> progress;
  auto card = TrainModel(examples, {}, spec, (dir.path() / "logo").string(), 0,
                         [&](const std::string& line) { progress.push_back(line); });
  ASSERT_OK(card);
  EXPECT_EQ(card->cross_validation.scheme, "leave-one-group-out");
  ASSERT_EQ(card->cross_validation.per_fold.size(), 4u);
  EXPECT_EQ(card->cross_validation.per_fold[0].first, "bank");
  EXPECT_EQ(card->cross_validation.pooled.examples, examples.size());
  EXPECT_EQ(card->training_data.groups, 4u);
  EXPECT_GT(card->cross_validation.pooled.macro_f1, 0.6);  // frames are shared across topics
  EXPECT_EQ(progress.size(), 4u);
  ASSERT_OK(Model::Load((dir.path() / "logo").string(), "rumour"));

  spec.cross_validation = {CrossValidationPlan::Kind::kKFold, 3};
  auto kfold = TrainModel(examples, {}, spec, (dir.path() / "k").string(), 0);
  ASSERT_OK(kfold);
  EXPECT_EQ(kfold->cross_validation.scheme, "k-fold");
  EXPECT_EQ(kfold->cross_validation.per_fold.size(), 3u);
  EXPECT_EQ(kfold->cross_validation.pooled.examples, examples.size());
}

TEST(ModelTraining, ComputesPrecisionRecallAndMacroF1) {
  // gold/predicted over labels {a, b}: a->a, a->b, b->b, b->b
  auto f = ComputeFigures({"a", "b"}, {{0, 0}, {0, 1}, {1, 1}, {1, 1}});
  EXPECT_DOUBLE_EQ(f.labels[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(f.labels[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(f.labels[1].precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(f.labels[1].recall, 1.0);
  EXPECT_DOUBLE_EQ(f.macro_f1, (2.0 / 3.0 + 0.8) / 2);
  EXPECT_DOUBLE_EQ(f.accuracy, 0.75);
}

}  // namespace
}  // namespace sakchy::classifier::model_test
