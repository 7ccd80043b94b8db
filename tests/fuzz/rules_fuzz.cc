// libFuzzer target: the rules loader on any bytes as one YAML rule file, then classification of a
// few texts with whatever loaded. Load errors are expected; crashes, hangs and sanitizer reports are
// bugs. Seed corpus: config/defaults/rules/*.yaml (see run.sh).

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "classifier/classifier.h"
#include "config/areas.h"

namespace {

const sakchy::config::AreaTree& Areas() {
  static const sakchy::config::AreaTree tree = [] {
    auto t = sakchy::config::AreaTree::Parse(
        "areas:\n"
        "  - {code: KG, parent: \"\", level: country, name_en: Kyrgyzstan}\n"
        "  - {code: KG-GO, parent: KG, level: city, name_en: Osh, aliases: [Ош, Оше, Osh]}\n",
        "fuzz-areas.yaml");
    return t ? std::move(*t) : sakchy::config::AreaTree{};
  }();
  return tree;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)}};
  auto loaded = sakchy::classifier::Classifier::LoadFromSources(files, Areas(), 0);
  if (!loaded) return 0;
  for (const char* text : {"Говорят, в Оше беспорядки, передайте всем!", "", "govoryat srochno",
                           "Эртең аянтка чыккыла", "a b c d e f g"}) {
    (void)(*loaded)->Classify(text);
  }
  return 0;
}
