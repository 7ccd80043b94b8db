// Classifier micro-benchmarks (issue 3 targets: one thread, 280-character mixed ru/ky texts,
// 5,000 rules + the gazetteer: >= 100,000 texts/s; compile <= 1 s; memory <= 64 MB).
//
// The 5,000 rules are synthetic but built from real vocabulary: the terms of the default lists
// (config/defaults/rules/00-settings.yaml), the Russian lexicons in
// /work/shared/data (when present; not the stopword lists), and a hand-written list of ordinary Russian and Kyrgyz news
// words. Each rule has 2-6 `any` items (whole words, prefixes, two-word phrases, sometimes a list),
// a third have an `all` item and a fifth a `none` item. Generation is deterministic (fixed seed).
// Commands and figures: bench/micro/README.md.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../../classifier/src/normalizer.h"
#include "classifier/classifier.h"
#include "classifier/language.h"
#include "core/allocator.h"

namespace {

namespace fs = std::filesystem;
using sakchy::classifier::Classifier;

std::string SourcePath(const std::string& relative) {
  return std::string(SAKCHY_SOURCE_DIR) + "/" + relative;
}

// Cuts `s` to at most `n` code points.
std::string CutChars(const std::string& s, std::size_t n) {
  std::size_t pos = 0;
  std::size_t chars = 0;
  while (pos < s.size() && chars < n) {
    ++pos;
    while (pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) ++pos;
    ++chars;
  }
  return s.substr(0, pos);
}

// Ordinary Russian and Kyrgyz news and chat wording, plus a few rumours and Latin translit.
const std::vector<std::string>& Sentences() {
  static const std::vector<std::string> kSentences = {
      "В Оше прошло заседание городского кенеша, обсудили бюджет и ремонт дорог. ",
      "Говорят, в Араванском районе начались беспорядки, передайте всем! ",
      "Жалал-Абадда жаңы мектеп ачылды, ата-энелер ыраазы. ",
      "Шашылыш! Базарда мушташ болуп жатат деп айтышат, аянтка чыккыла. ",
      "Бишкекте аба ырайы жылуу болот, жаан күтүлбөйт. ",
      "Srochno: govoryat, v Bishkeke perekryli dorogi. ",
      "Узбеки и кыргызы вместе отметили Нооруз в Караколе. ",
      "Мэрия сообщила о плановом отключении воды на следующей неделе. ",
      "Нарын облусунда жол курулушу уланып жатат, айыл тургундары ыраазы. ",
      "На границе с Таджикистаном обстановка спокойная, сообщили пограничники. ",
      "Эртең мектептерде ата-энелер жыйыны болот, баарына жибергиле. ",
      "Цены на хлеб и муку на рынке Дордой выросли, продавцы объясняют это курсом. ",
      "Токмоктогу ооруканага жаңы жабдуулар келди, дарыгерлер кубанып жатышат. ",
      "Мне сказали, что завтра закроют все школы, это не фейк! ",
      "Талас шаарында футбол боюнча мелдеш өттү, жеңүүчүлөр сыйланды. ",
  };
  return kSentences;
}

// Sentences without rumour wording: ordinary news, as most of a monitoring stream is.
std::vector<std::string> NewsSentences() {
  std::vector<std::string> out;
  for (const std::string& s : Sentences()) {
    if (s.find("Говорят") == std::string::npos && s.find("Шашылыш") == std::string::npos &&
        s.find("Srochno") == std::string::npos && s.find("Мне сказали") == std::string::npos &&
        s.find("жибергиле") == std::string::npos) {
      out.push_back(s);
    }
  }
  return out;
}

// 64 texts of 280 characters: `news_only` picks only NewsSentences(), else all sentences (about
// one in three is a rumour with several rule terms).
std::vector<std::string> Texts(bool news_only = false) {
  const std::vector<std::string> parts = news_only ? NewsSentences() : Sentences();
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 64; ++i) {
    std::string t;
    for (std::size_t k = 0; t.size() < 1200; ++k) t += parts[(i * 7 + k * 3) % parts.size()];
    texts.push_back(CutChars(t, 280));
  }
  return texts;
}

// Words of a text file: one term per line, or the first CSV field; lower-case Cyrillic/Latin.
void ReadWords(const std::string& path, std::set<std::string>& out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (const std::size_t comma = line.find(','); comma != std::string::npos) line.resize(comma);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.size() < 6 || line.find_first_of("\"*:#0123456789") != std::string::npos) continue;
    out.insert(line);
  }
}

struct Vocabulary {
  std::vector<std::string> specific;  // default list terms and lexicon words
  std::vector<std::string> common;     // ordinary news words (the benchmark texts contain them)
};

// Vocabulary: default list terms (lines "    - term"), data-set words, and news words.
Vocabulary MakeVocabulary() {
  std::set<std::string> words;
  std::ifstream settings(SourcePath("config/defaults/rules/00-settings.yaml"));
  std::string line;
  while (std::getline(settings, line)) {
    if (line.rfind("    - ", 0) != 0) continue;
    std::string term = line.substr(6);
    if (!term.empty() && term.back() == '*') term.pop_back();
    if (term.find_first_of("\"'#") == std::string::npos && term.size() >= 4) words.insert(term);
  }
  ReadWords("/work/shared/data/ru-offensive-lexicons/sariellee_offensive_words.csv", words);
  ReadWords("/work/shared/data/ru-offensive-lexicons/alla-g_bad_wordlist.txt", words);
  Vocabulary v;
  v.specific.assign(words.begin(), words.end());
  words.clear();
  for (const char* w :
       {"заседание", "бюджет", "ремонт", "дорог", "мэрия", "отключение", "граница", "обстановка",
        "пограничники", "цены", "рынок", "продавцы", "курсом", "больница", "школа", "учитель",
        "студенты", "правительство", "министерство", "парламент", "депутаты", "выборы",
        "полиция", "милиция", "задержали", "прокуратура", "суд", "приговор", "митинг",
        "протест", "забастовка", "бензин", "электричество", "отопление", "авария", "пожар",
        "наводнение", "землетрясение", "сель", "вода", "газ", "мост", "тоннель", "перевал",
        "кеңеш", "сессия", "мектеп", "ооруку", "оорукана", "дарыгер", "мугалим", "окуучу",
        "өкмөт", "министрлик", "жогорку кеңеш", "шайлоо", "милиция", "кармалды", "сот",
        "прокуратура", "митинг", "нааразычылык", "баа", "базар", "нан", "ун", "бензин",
        "электр", "жылуулук", "кырсык", "өрт", "суу каптоо", "жер титирөө", "сел", "көпүрө",
        "ашуу", "жол", "айыл", "шаар", "облус", "район", "аким", "мэр", "тургундар",
        "жыйын", "мелдеш", "футбол", "жеңүүчү", "ата-энелер", "жабдуулар", "кубаныч",
        "курулуш", "чек ара", "тажикстан", "өзбекстан", "казакстан", "орусия", "кытай"}) {
    words.insert(w);
  }
  v.common.assign(words.begin(), words.end());
  return v;
}

// Writes 5,000 rules in 5 files (plus one file of 20 lists) under `dir`.
// "morphology: stems\n" when $SAKCHY_BENCH_MORPHOLOGY is "stems": the generated sets are then
// matched by stem (docs/RULES.md "Morphology").
std::string MorphologySetting() {
  const char* m = std::getenv("SAKCHY_BENCH_MORPHOLOGY");
  return m != nullptr && std::string(m) == "stems" ? "morphology: stems\n" : "";
}

void WriteSyntheticRules(const fs::path& dir, std::size_t rule_count) {
  fs::create_directories(dir);
  const Vocabulary vocab = MakeVocabulary();
  std::mt19937 rng(20240601);
  auto pick = [&]() -> const std::string& {  // 1 in 100 terms is an ordinary news word
    if (rng() % 100 == 0) return vocab.common[rng() % vocab.common.size()];
    return vocab.specific[rng() % vocab.specific.size()];
  };
  auto term = [&]() {
    std::string w = pick();
    switch (rng() % 6) {
      case 0: {  // prefix of a word of 7+ letters: cut the last 2 (Cyrillic letters are 2 bytes)
        std::string stem = w;
        const std::size_t cut = 4;
        if (stem.size() >= 14 && stem.find(' ') == std::string::npos) {
          std::size_t keep = stem.size() - cut;
          while (keep > 0 && (static_cast<unsigned char>(stem[keep]) & 0xC0) == 0x80) --keep;
          std::string prefix(stem.data(), keep);  // ends on a code point boundary
          prefix.push_back('*');
          return prefix;
        }
        return w;
      }
      case 1:  // two-word phrase
        return w + " " + pick();
      default:
        return w;
    }
  };
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  // Category names are [a-z_]+: "cat_" and two letters.
  auto category = [](std::size_t i) {
    std::string c = "cat_";
    c.push_back(static_cast<char>('a' + i % 26));
    c.push_back(static_cast<char>('a' + i / 26 % 26));
    return c;
  };
  {
    std::ofstream lists(dir / "00-lists.yaml");
    lists << "version: 1\nlists:\n";
    for (int l = 0; l < 20; ++l) {
      lists << "  list" << l << ": [";
      for (int k = 0; k < 25; ++k) lists << (k ? ", " : "") << quote(term());
      lists << "]\n";
    }
  }
  const std::size_t files = 5;
  for (std::size_t f = 0; f < files; ++f) {
    std::ostringstream out;
    out << "version: 1\nrules:\n";
    for (std::size_t r = f; r < rule_count; r += files) {
      out << "  - id: r" << r << "\n    category: " << category(r % 40) << "\n    weight: "
          << (1 + r % 5) * 0.5 << "\n    any: [";
      const std::size_t n = 2 + rng() % 5;
      for (std::size_t k = 0; k < n; ++k) {
        out << (k ? ", " : "");
        if (rng() % 50 == 0) {
          out << "\"@list" << rng() % 20 << "\"";
        } else {
          out << quote(term());
        }
      }
      out << "]\n";
      if (rng() % 3 == 0) out << "    all: [" << quote(term()) << "]\n";
      if (rng() % 5 == 0) out << "    none: [" << quote(term()) << "]\n";
    }
    std::ostringstream name;
    name << "r" << f << ".yaml";
    std::ofstream(dir / name.str()) << out.str();
  }
  std::ofstream tension(dir / "90-tension.yaml");
  tension << "version: 1\ntension:\n";
  for (int t = 0; t < 20; ++t) {
    tension << "  - id: t" << t << "\n    all_categories: [" << category(t) << ", " << category((t + 7) % 40)
            << "]\n    weight: 2\n";
  }
}

// Lists of the default rules (config/defaults/rules/00-settings.yaml): name -> terms.
std::vector<std::pair<std::string, std::vector<std::string>>> DefaultLists() {
  std::vector<std::pair<std::string, std::vector<std::string>>> lists;
  std::ifstream settings(SourcePath("config/defaults/rules/00-settings.yaml"));
  std::string line;
  bool in_lists = false;
  while (std::getline(settings, line)) {
    if (line == "lists:") {
      in_lists = true;
    } else if (in_lists && line.rfind("  ", 0) == 0 && line.size() > 3 && line[2] != ' ' &&
               line[2] != '#' && line.back() == ':') {
      lists.emplace_back(line.substr(2, line.size() - 3), std::vector<std::string>{});
    } else if (in_lists && !lists.empty() && line.rfind("    - ", 0) == 0) {
      const std::string term = line.substr(6);
      if (term.find_first_of("\"#") == std::string::npos) lists.back().second.push_back(term);
    }
  }
  return lists;
}

// A realistic 5,000-rule set: every single-word term is used by at most 3 rules (an analyst
// writes a term once or twice, not thirty times), the other terms are two-word phrases; a fifth of
// the rules also require a term of one of the real default lists (`all: ["@rumour_markers"]` ...),
// as topic rules combined with rumour wording are written. Same vocabulary and shape otherwise
// (2-6 `any` items, prefixes, a fifth with a `none` phrase, 40 categories, 20 tension rules).
void WriteRealisticRules(const fs::path& dir, std::size_t rule_count) {
  fs::create_directories(dir);
  const Vocabulary vocab = MakeVocabulary();
  std::mt19937 rng(20241125);
  std::vector<std::string> words = vocab.specific;
  words.insert(words.end(), vocab.common.begin(), vocab.common.end());
  std::shuffle(words.begin(), words.end(), rng);
  std::size_t next_word = 0;
  std::size_t word_uses = 0;  // rounds over `words`; at most 3
  auto any_word = [&]() -> const std::string& { return words[rng() % words.size()]; };
  auto term = [&]() {
    if (word_uses < 3 && rng() % 4 == 0) {  // a single word (or a prefix of it), used <= 3 times
      std::string w = words[next_word];
      if (++next_word == words.size()) {
        next_word = 0;
        ++word_uses;
      }
      if (rng() % 6 == 0 && w.size() >= 14 && w.find(' ') == std::string::npos) {
        std::size_t keep = w.size() - 4;
        while (keep > 0 && (static_cast<unsigned char>(w[keep]) & 0xC0) == 0x80) --keep;
        return std::string(w.data(), keep) + "*";
      }
      return w;
    }
    return any_word() + " " + any_word();
  };
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  auto category = [](std::size_t i) {
    std::string c = "cat_";
    c.push_back(static_cast<char>('a' + i % 26));
    c.push_back(static_cast<char>('a' + i / 26 % 26));
    return c;
  };
  const auto lists = DefaultLists();
  {
    std::ofstream out(dir / "00-lists.yaml");
    out << "version: 1\nlists:\n";
    for (const auto& [name, terms] : lists) {
      out << "  " << name << ":\n";
      for (const std::string& t : terms) out << "    - " << quote(t) << "\n";
    }
  }
  const std::size_t files = 5;
  for (std::size_t f = 0; f < files; ++f) {
    std::ostringstream out;
    out << "version: 1\nrules:\n";
    for (std::size_t r = f; r < rule_count; r += files) {
      out << "  - id: q" << r << "\n    category: " << category(r % 40) << "\n    weight: "
          << (1 + r % 5) * 0.5 << "\n    any: [";
      const std::size_t n = 2 + rng() % 5;
      for (std::size_t k = 0; k < n; ++k) out << (k ? ", " : "") << quote(term());
      out << "]\n";
      if (!lists.empty() && rng() % 5 == 0) {
        out << "    all: [\"@" << lists[rng() % lists.size()].first << "\"]\n";
      }
      if (rng() % 5 == 0) out << "    none: [" << quote(any_word() + " " + any_word()) << "]\n";
    }
    std::ostringstream name;
    name << "q" << f << ".yaml";
    std::ofstream(dir / name.str()) << out.str();
  }
  std::ofstream tension(dir / "90-tension.yaml");
  tension << "version: 1\n" << MorphologySetting() << "tension:\n";
  for (int t = 0; t < 20; ++t) {
    tension << "  - id: t" << t << "\n    all_categories: [" << category(t) << ", "
            << category((t + 7) % 40) << "]\n    weight: 2\n";
  }
}

// The default rules: config/defaults/rules, or $SAKCHY_BENCH_DEFAULTS_DIR (e.g. a variant with
// `morphology: stems`, to compare with the same binary).
std::string DefaultRulesDir() {
  if (const char* dir = std::getenv("SAKCHY_BENCH_DEFAULTS_DIR"); dir != nullptr && *dir != 0) {
    return dir;
  }
  return SourcePath("config/defaults/rules");
}

// The rules go to a temporary directory removed at exit, or to $SAKCHY_BENCH_RULES_DIR (kept, to
// inspect them or to load them elsewhere).
fs::path RulesDir() {
  if (const char* dir = std::getenv("SAKCHY_BENCH_RULES_DIR"); dir != nullptr && *dir != 0) {
    return dir;
  }
  std::ostringstream name;
  name << "sakchy-bench-rules-" << getpid();
  return fs::temp_directory_path() / name.str();
}

const fs::path& SyntheticDir() {
  static const fs::path dir = [] {
    fs::path d = RulesDir();
    fs::remove_all(d);
    WriteSyntheticRules(d, 5000);
    return d;
  }();
  return dir;
}

const fs::path& RealisticDir() {
  static const fs::path dir = [] {
    fs::path d = RulesDir().string() + "-realistic";
    fs::remove_all(d);
    WriteRealisticRules(d, 5000);
    return d;
  }();
  return dir;
}

struct Cleanup {
  ~Cleanup() {
    if (std::getenv("SAKCHY_BENCH_RULES_DIR") != nullptr) return;
    std::error_code ec;
    fs::remove_all(RulesDir(), ec);
    fs::remove_all(RulesDir().string() + "-realistic", ec);
  }
} g_cleanup;

const sakchy::config::AreaTree* Areas() {
  static const auto areas = sakchy::config::AreaTree::Load(SourcePath("config/defaults/areas.yaml"));
  return areas ? &*areas : nullptr;
}

std::size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::shared_ptr<const Classifier> LoadOrSkip(benchmark::State& state, const std::string& dir) {
  if (Areas() == nullptr) {
    state.SkipWithError("cannot load config/defaults/areas.yaml");
    return nullptr;
  }
  auto loaded = Classifier::Load(dir, *Areas(), 0);
  if (!loaded) {
    state.SkipWithError(loaded.error().message.substr(0, 500).c_str());
    return nullptr;
  }
  return *loaded;
}

// Resident memory added by loading 5,000 rules (first, so the heap is fresh) and classifying one
// text (this thread's scratch): `rss_delta_MB` as the process sees it right after the load, and
// `rss_retained_MB` after ReleaseFreeMemory() (jemalloc: purge) hands the freed parse/compile memory back to the system —
// what the loaded classifier itself keeps.
void MeasureMemory(benchmark::State& state, const fs::path& rules) {
  const std::string dir = rules.string();
  if (Areas() == nullptr) return state.SkipWithError("no areas");
  for (auto _ : state) {
    sakchy::ReleaseFreeMemory();
    const std::size_t before = RssBytes();
    auto loaded = Classifier::Load(dir, *Areas(), 0);
    if (!loaded) return state.SkipWithError(loaded.error().message.substr(0, 500).c_str());
    (*loaded)->Classify(Texts()[0]);  // allocates this thread's scratch
    state.counters["rss_delta_MB"] = static_cast<double>(RssBytes() - before) / (1 << 20);
    sakchy::ReleaseFreeMemory();
    state.counters["rss_retained_MB"] = static_cast<double>(RssBytes() - before) / (1 << 20);
    state.counters["terms"] = static_cast<double>((*loaded)->info().term_count);
    state.counters["rules"] = static_cast<double>((*loaded)->info().rule_count);
    state.counters["place_patterns"] = static_cast<double>((*loaded)->info().place_pattern_count);
  }
}

void BM_Memory5000(benchmark::State& state) { MeasureMemory(state, SyntheticDir()); }
BENCHMARK(BM_Memory5000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_MemoryRealistic5000(benchmark::State& state) { MeasureMemory(state, RealisticDir()); }
BENCHMARK(BM_MemoryRealistic5000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Load5000(benchmark::State& state) {
  const std::string dir = SyntheticDir().string();
  for (auto _ : state) {
    auto loaded = LoadOrSkip(state, dir);
    if (!loaded) return;
    benchmark::DoNotOptimize(loaded);
  }
}
BENCHMARK(BM_Load5000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LoadRealistic5000(benchmark::State& state) {
  const std::string dir = RealisticDir().string();
  for (auto _ : state) {
    auto loaded = LoadOrSkip(state, dir);
    if (!loaded) return;
    benchmark::DoNotOptimize(loaded);
  }
}
BENCHMARK(BM_LoadRealistic5000)->Unit(benchmark::kMillisecond)->Iterations(3);

// Arg 0: mixed texts (a third are rumours); arg 1: ordinary news only.
void ClassifyTexts(benchmark::State& state, const fs::path& rules) {
  auto classifier = LoadOrSkip(state, rules.string());
  if (!classifier) return;
  const std::vector<std::string> texts = Texts(state.range(0) == 1);
  std::size_t i = 0;
  std::size_t bytes = 0;
  std::size_t matches = 0;
  for (auto _ : state) {
    const std::string& text = texts[i++ % texts.size()];
    auto c = classifier->Classify(text);
    matches += c.matches.size();
    benchmark::DoNotOptimize(c);
    bytes += text.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["matches_per_text"] =
      static_cast<double>(matches) / static_cast<double>(state.iterations());
}
// The stress case: the synthetic set whose common terms sit in dozens of rules each.
void BM_Classify5000(benchmark::State& state) { ClassifyTexts(state, SyntheticDir()); }
BENCHMARK(BM_Classify5000)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The target case: the realistic set (WriteRealisticRules).
void BM_ClassifyRealistic5000(benchmark::State& state) { ClassifyTexts(state, RealisticDir()); }
BENCHMARK(BM_ClassifyRealistic5000)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_ClassifyDefaultRules(benchmark::State& state) {
  auto classifier = LoadOrSkip(state, DefaultRulesDir());
  if (!classifier) return;
  const std::vector<std::string> texts = Texts();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(classifier->Classify(texts[i++ % texts.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClassifyDefaultRules)->Unit(benchmark::kMicrosecond);

// The normaliser alone (NFKC + folding + offsets), to split Classify time.
void BM_Normalize(benchmark::State& state) {
  const sakchy::classifier::internal::Normalizer normalizer;
  const std::vector<std::string> texts = Texts();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(normalizer.Normalize(texts[i++ % texts.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Normalize)->Unit(benchmark::kMicrosecond);

void BM_DetectLanguage(benchmark::State& state) {
  const std::vector<std::string> texts = Texts();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sakchy::classifier::DetectLanguage(texts[i++ % texts.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DetectLanguage)->Unit(benchmark::kMicrosecond);

void BM_LoadDefaultRules(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(LoadOrSkip(state, DefaultRulesDir()));
  }
}
BENCHMARK(BM_LoadDefaultRules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
