// Classifies 280-character mixed Russian/Kyrgyz texts with the bundled default rules and areas.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "classifier/classifier.h"

namespace {

std::string SourcePath(const std::string& relative) {
  return std::string(SAKCHY_SOURCE_DIR) + "/" + relative;
}

// Cuts `s` to at most `n` bytes on a UTF-8 boundary.
std::string Cut(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::vector<std::string> Texts() {
  const std::vector<std::string> parts = {
      "В Оше прошло заседание городского кенеша, обсудили бюджет и ремонт дорог. ",
      "Говорят, в Араванском районе начались беспорядки, передайте всем! ",
      "Жалал-Абадда жаңы мектеп ачылды, ата-энелер ыраазы. ",
      "Шашылыш! Базарда мушташ болуп жатат деп айтышат, аянтка чыккыла. ",
      "Бишкекте аба ырайы жылуу болот, жаан күтүлбөйт. ",
      "Srochno: govoryat, v Bishkeke perekryli dorogi. ",
      "Узбеки и кыргызы вместе отметили Нооруз в Караколе. ",
  };
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string t;
    for (std::size_t k = 0; t.size() < 600; ++k) t += parts[(i + k) % parts.size()];
    texts.push_back(Cut(t, 280 * 2));  // 280 characters, mostly 2-byte Cyrillic
  }
  return texts;
}

void BM_ClassifyDefaultRules(benchmark::State& state) {
  auto areas = sakchy::config::AreaTree::Load(SourcePath("config/defaults/areas.yaml"));
  if (!areas) {
    state.SkipWithError(areas.error().message.c_str());
    return;
  }
  auto classifier = sakchy::classifier::Classifier::Load(SourcePath("config/defaults/rules"),
                                                         *areas, 0);
  if (!classifier) {
    state.SkipWithError(classifier.error().message.c_str());
    return;
  }
  const std::vector<std::string> texts = Texts();
  std::size_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string& text = texts[i++ % texts.size()];
    benchmark::DoNotOptimize((*classifier)->Classify(text));
    bytes += text.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ClassifyDefaultRules)->ThreadRange(1, 2);

void BM_LoadDefaultRules(benchmark::State& state) {
  auto areas = sakchy::config::AreaTree::Load(SourcePath("config/defaults/areas.yaml"));
  if (!areas) {
    state.SkipWithError(areas.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(sakchy::classifier::Classifier::Load(
        SourcePath("config/defaults/rules"), *areas, 0));
  }
}
BENCHMARK(BM_LoadDefaultRules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
