#include "classifier/language.h"

#include <array>
#include <string>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/utf8.h"
#include "language_scorer.h"

namespace sakchy::classifier {
namespace {

using internal::kCyrillicChar;
using internal::kKyrgyzChar;
using internal::kLangTableEnd;
using internal::kLatinChar;
using internal::kLongVowelChar;
using internal::kRussianChar;
using internal::kUzbekChar;
using internal::LangCharClass;

// Function words. Kyrgyz: the spaCy list in shared/data/kg-uz-stopwords without the words that
// are also Russian ("да", "же") or names and content words common in Russian texts too ("бишкек",
// "кыргыз"). Uzbek: the most frequent words of the Latin list there. Russian and English: written
// here (the most frequent function words).
const std::vector<std::string_view>& KyWords() {
  static const std::vector<std::string_view> words = {
      "ага",    "адам",    "айтты",  "айтымында", "айтып",  "ал",      "алар",     "алардын",
      "алган",  "алып",    "анда",   "андан",     "аны",    "анын",    "ар",       "бар",
      "башка",  "башкы",   "башчысы", "берген",   "биз",    "билдирген", "билдирди", "бир",
      "биринчи", "бирок",  "болгон", "болот",     "болсо",  "болуп",   "боюнча",   "буга",
      "бул",    "гана",    "дагы",   "деген",     "деди",   "деп",     "жана",     "жатат",
      "жаткан", "жаңы",    "жок",    "керек",     "кийин",  "кандай",  "карата",   "катары",
      "келген", "күнү",    "көп",    "менен",     "мен",    "мүмкүн",  "ошол",     "ошондой",
      "тарабынан", "турган", "тууралуу", "учурда", "чейин", "экенин",  "эки",      "эл",
      "эле",    "эмес",    "эми",    "эч",        "үч",     "үчүн",    "өз",       "экен",
      "жатышат", "айтышат", "деле",  "болду",     "эмне",   "кантип",  "качан",    "бүгүн",
      "эртең",  "кечээ",   "азыр",   "баары",     "бардык", "биздин",  "силер",    "сен"};
  return words;
}

const std::vector<std::string_view>& RuWords() {
  static const std::vector<std::string_view> words = {
      "и",     "в",      "во",    "не",     "на",    "что",   "с",      "со",     "по",
      "это",   "как",    "а",     "то",     "все",   "всё",   "он",     "она",    "так",
      "его",   "но",     "ты",    "к",      "у",     "вы",    "за",     "бы",     "только",
      "ее",    "её",     "мне",   "было",   "вот",   "от",    "меня",   "еще",    "ещё",
      "нет",   "о",      "об",    "из",     "ему",   "когда", "даже",   "ну",     "ли",
      "если",  "уже",    "или",   "ни",     "быть",  "был",   "была",   "были",   "до",
      "там",   "потом",  "себя",  "может",  "они",   "тут",   "где",    "есть",   "надо",
      "для",   "мы",     "их",    "чем",    "без",   "под",   "будет",  "тогда",  "кто",
      "этот",  "того",   "потому", "этого", "какой", "здесь", "этом",   "при",    "после",
      "над",   "больше", "через", "эти",    "нас",   "про",   "всех",   "сейчас", "говорят",
      "завтра", "сегодня", "вчера", "который", "которые", "также", "года", "году", "чтобы"};
  return words;
}

const std::vector<std::string_view>& UzWords() {
  static const std::vector<std::string_view> words = {
      "va",     "bu",     "bilan",   "uchun",  "ham",    "bir",     "deb",    "edi",
      "emas",   "ekan",   "endi",    "eng",    "esa",    "faqat",   "hamma",  "haqda",
      "biz",    "siz",    "men",     "u",      "ular",   "bor",     "yo'q",   "yoki",
      "lekin",  "ammo",   "chunki",  "agar",   "kerak",  "bo'lgan", "bo'ldi", "bo'yicha",
      "qilib",  "qildi",  "qilish",  "etdi",   "etib",   "keyin",   "oldin",  "hozir",
      "bugun",  "ertaga", "kecha",   "shu",    "o'sha",  "nima",    "qanday", "qachon",
      "barcha", "boshqa", "birinchi", "yana",  "juda",   "ko'p",    "dan",    "gacha",
      "ва",     "бу",     "билан",   "учун",   "ҳам",    "эди",     "эмас",   "экан",
      "керак",  "бўлган", "бўйича",  "қилиб",  "ҳамма",  "шу",      "ёки",    "лекин"};
  return words;
}

const std::vector<std::string_view>& EnWords() {
  static const std::vector<std::string_view> words = {
      "the",  "and",  "is",   "are",  "was",   "were", "of",    "to",   "in",    "that",
      "for",  "on",   "with", "this", "it",    "at",   "by",    "from", "be",    "have",
      "has",  "had",  "not",  "but",  "they",  "you",  "we",    "he",   "she",   "his",
      "her",  "their", "an",  "a",    "or",    "as",   "will",  "would", "there", "what",
      "about", "who", "been", "more", "after", "than", "just",  "now",  "our",   "can",
      "all",  "no",   "so",   "if",   "out",   "up",   "do",    "did",  "said",  "says"};
  return words;
}

// Lower case for Latin and Cyrillic (the scripts this function tells apart); others unchanged.
char32_t Lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0x460 && c <= 0x4BF && c % 2 == 0 && c != 0x482 && (c < 0x483 || c > 0x489)) {
    return c + 1;
  }
  if (c >= 0x4C1 && c <= 0x4CE && c % 2 == 1) return c + 1;
  if (c >= 0x4D0 && c <= 0x4FF && c % 2 == 0) return c + 1;
  return c;
}

bool IsLatin(char32_t c) { return c >= 'a' && c <= 'z'; }
bool IsCyrillic(char32_t c);
bool IsKyrgyzLetter(char32_t c);
bool IsUzbekCyrillicLetter(char32_t c);
bool IsRussianLetter(char32_t c);
bool IsLongVowel(char32_t c) {
  return c == U'а' || c == U'о' || c == U'у' || c == U'ы' || c == U'э';
}

bool IsCyrillic(char32_t c) { return c >= 0x400 && c <= 0x4FF; }

bool IsKyrgyzLetter(char32_t c) {
  return c == U'ң' || c == U'ө' || c == U'ү' || c == U'\u04CA' || c == U'\u04C8';
}
bool IsUzbekCyrillicLetter(char32_t c) {
  return c == U'ў' || c == U'қ' || c == U'ғ' || c == U'ҳ';
}
bool IsRussianLetter(char32_t c) { return c == U'ъ' || c == U'щ' || c == U'ё'; }

constexpr std::uint8_t kKyBit = 1;
constexpr std::uint8_t kRuBit = 2;
constexpr std::uint8_t kUzBit = 4;
constexpr std::uint8_t kEnBit = 8;

// Function word -> languages it belongs to: an open-addressing table (FNV-1a), built once.
class FunctionWordTable {
 public:
  FunctionWordTable() {
    add(KyWords(), kKyBit);
    add(RuWords(), kRuBit);
    add(UzWords(), kUzBit);
    add(EnWords(), kEnBit);
  }
  // Languages of `word`, whose Hash() is `hash`; 0 when it is no function word.
  std::uint8_t Find(std::string_view word, std::uint32_t hash) const {
    for (std::uint32_t i = hash & kMask;; i = (i + 1) & kMask) {
      const Slot& slot = slots_[i];
      if (slot.bits == 0) return 0;
      if (slot.hash == hash && slot.word == word) return slot.bits;
    }
  }
  static std::uint32_t Hash(std::string_view word) {
    std::uint32_t h = 2166136261u;
    for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }

 private:
  static constexpr std::uint32_t kSize = 1024;  // > 2 x the words, a power of two
  static constexpr std::uint32_t kMask = kSize - 1;
  struct Slot {
    std::string_view word;
    std::uint32_t hash = 0;
    std::uint8_t bits = 0;
  };
  void add(const std::vector<std::string_view>& words, std::uint8_t bit) {
    for (std::string_view w : words) {
      const std::uint32_t hash = Hash(w);
      std::uint32_t i = hash & kMask;
      while (slots_[i].bits != 0 && slots_[i].word != w) i = (i + 1) & kMask;
      slots_[i].word = w;
      slots_[i].hash = hash;
      slots_[i].bits |= bit;
    }
  }
  std::array<Slot, kSize> slots_{};
};

const FunctionWordTable& FunctionWords() {
  static const FunctionWordTable table;
  return table;
}

constexpr std::size_t kMaxFunctionWord = 24;  // bytes; longer words are not looked up

// Kyrgyz long vowels (аа, оо, уу, ыы, ээ) are frequent in Kyrgyz and rare in Russian ("ии" and
// "ее" are common Russian endings, so they do not count).
bool HasKyrgyzLongVowel(std::string_view word) {
  // Both letters of a pair are 2 bytes: compare each 2-byte letter with the one after it.
  for (std::size_t i = 0; i + 4 <= word.size(); i += 2) {
    if (static_cast<unsigned char>(word[i]) < 0x80) return false;  // not a Cyrillic word
    if (word[i] == word[i + 2] && word[i + 1] == word[i + 3]) {
      const std::string_view letter = word.substr(i, 2);
      if (letter == "а" || letter == "о" || letter == "у" || letter == "ы" || letter == "э") {
        return true;
      }
    }
  }
  return false;
}

// Uzbek Latin writes /q/ with "q"; in English "q" is almost always "qu".
bool HasUzbekQ(std::string_view word) {
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word[i] == 'q' && (i + 1 == word.size() || word[i + 1] != 'u')) return true;
  }
  return false;
}

}  // namespace

std::string_view LanguageName(Language language) {
  switch (language) {
    case Language::kKy: return "ky";
    case Language::kRu: return "ru";
    case Language::kUz: return "uz";
    case Language::kEn: return "en";
    case Language::kUnknown: break;
  }
  return "unknown";
}

Language DetectLanguage(std::string_view text) {
  char word[internal::kLangWordBuffer];
  internal::LanguageScorer scorer(word);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t c = DecodeUtf8(text, pos);
    scorer.Add(c, pos == text.size());
  }
  return scorer.Finish();
}

namespace internal {

const LangCharClass* LangCharClasses() {
  static const std::array<LangCharClass, kLangTableEnd> table = [] {
    std::array<LangCharClass, kLangTableEnd> t{};
    for (char32_t c = 0; c < kLangTableEnd; ++c) {
      const char32_t l = Lower(c);
      t[c].lower = static_cast<std::uint16_t>(l);
      if (IsLatin(l)) t[c].bits |= kLatinChar;
      if (IsCyrillic(l)) t[c].bits |= kCyrillicChar;
      if (IsKyrgyzLetter(l)) t[c].bits |= kKyrgyzChar;
      if (IsUzbekCyrillicLetter(l)) t[c].bits |= kUzbekChar;
      if (IsRussianLetter(l)) t[c].bits |= kRussianChar;
      if (IsLongVowel(l)) t[c].bits |= kLongVowelChar;
    }
    return t;
  }();
  return table.data();
}

std::uint32_t ScoreWord(const char* word_bytes, std::size_t len, std::uint32_t hash,
                        std::uint8_t flags) {
  const std::string_view word(word_bytes, len);
  std::uint32_t ky = 0;
  std::uint32_t ru = 0;
  std::uint32_t uz = 0;
  std::uint32_t en = 0;
  if ((flags & kWordMaybeLongVowel) != 0 && HasKyrgyzLongVowel(word)) ky += 2;
  if ((flags & kWordHasQ) != 0 && HasUzbekQ(word)) uz += 2;
  if (word.size() <= kMaxFunctionWord) {
    if (const std::uint8_t bits = FunctionWords().Find(word, hash); bits != 0) {
      if ((bits & kKyBit) != 0) ky += 2;
      if ((bits & kRuBit) != 0) ru += 2;
      if ((bits & kUzBit) != 0) uz += 2;
      if ((bits & kEnBit) != 0) en += 2;
    }
  }
  if ((flags & kWordLatinApostrophe) != 0) uz += 3;  // o', g' (and bo'ldi, ko'p ...)
  return ky | ru << 8 | uz << 16 | en << 24;
}

Language DecideLanguage(int ky, int ru, int uz, int en, int cyrillic_letters, int latin_letters) {
  if (cyrillic_letters + latin_letters < 3) return Language::kUnknown;
  if (cyrillic_letters >= latin_letters) {
    // Kyrgyz first on ties: Russian speakers rarely use Kyrgyz function words or letters.
    if (ky > 0 && ky >= ru && ky >= uz) return Language::kKy;
    if (uz > 0 && uz > ru) return Language::kUz;
    // Russian only with evidence: a Cyrillic text without any sign stays unknown, so that rules
    // keep matching every language's terms in it.
    if (ru > 0) return Language::kRu;
    return Language::kUnknown;
  }
  if (uz >= 2 && uz >= en) return Language::kUz;
  if (en >= 2) return Language::kEn;
  return Language::kUnknown;
}

}  // namespace internal

}  // namespace sakchy::classifier
