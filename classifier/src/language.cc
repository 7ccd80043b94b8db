#include "classifier/language.h"

#include <array>
#include <string>
#include <cstdint>
#include <string_view>
#include <vector>

#include "normalizer.h"

namespace sakchy::classifier {
namespace {

using internal::DecodeUtf8;

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

// Lower() and the classes of the lower-cased letter, for every code point below U+0500 (above it
// Lower() is the identity and none of the classes hold).
constexpr char32_t kCharTableEnd = 0x500;
constexpr std::uint8_t kLatinChar = 1;
constexpr std::uint8_t kCyrillicChar = 2;
constexpr std::uint8_t kKyrgyzChar = 4;
constexpr std::uint8_t kUzbekChar = 8;
constexpr std::uint8_t kRussianChar = 16;
constexpr std::uint8_t kLongVowelChar = 32;
struct CharClass {
  std::uint16_t lower = 0;
  std::uint8_t bits = 0;
};
const std::array<CharClass, kCharTableEnd>& CharClasses() {
  static const std::array<CharClass, kCharTableEnd> table = [] {
    std::array<CharClass, kCharTableEnd> t{};
    for (char32_t c = 0; c < kCharTableEnd; ++c) {
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
  return table;
}
bool IsCyrillic(char32_t c) { return c >= 0x400 && c <= 0x4FF; }
bool IsApostrophe(char32_t c) {
  return c == '\'' || c == U'\u2019' || c == U'\u2018' || c == U'\u02BC' || c == U'\u02BB' ||
         c == '`';
}

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
  // Languages of `word`; 0 when it is no function word.
  std::uint8_t Find(std::string_view word) const {
    for (std::uint32_t i = Hash(word) & kMask;; i = (i + 1) & kMask) {
      const Slot& slot = slots_[i];
      if (slot.bits == 0) return 0;
      if (slot.word == word) return slot.bits;
    }
  }

 private:
  static constexpr std::uint32_t kSize = 1024;  // > 2 x the words, a power of two
  static constexpr std::uint32_t kMask = kSize - 1;
  struct Slot {
    std::string_view word;
    std::uint8_t bits = 0;
  };
  static std::uint32_t Hash(std::string_view word) {
    std::uint32_t h = 2166136261u;
    for (char c : word) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  void add(const std::vector<std::string_view>& words, std::uint8_t bit) {
    for (std::string_view w : words) {
      std::uint32_t i = Hash(w) & kMask;
      while (slots_[i].bits != 0 && slots_[i].word != w) i = (i + 1) & kMask;
      slots_[i].word = w;
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

struct Scores {
  int ky = 0;
  int ru = 0;
  int uz = 0;
  int en = 0;
  int cyrillic_letters = 0;
  int latin_letters = 0;
  int words = 0;
};

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

// `maybe_long_vowel`: two equal vowels of HasKyrgyzLongVowel were appended one after the other;
// `has_q`: the word has a 'q' (both necessary for the checks, which are skipped otherwise).
void ScoreWord(std::string_view word, bool latin_apostrophe, bool maybe_long_vowel, bool has_q,
               Scores& s) {
  if (word.empty()) return;
  ++s.words;
  if (maybe_long_vowel && HasKyrgyzLongVowel(word)) s.ky += 2;
  if (has_q && HasUzbekQ(word)) s.uz += 2;
  if (word.size() <= kMaxFunctionWord) {
    if (const std::uint8_t bits = FunctionWords().Find(word); bits != 0) {
      if ((bits & kKyBit) != 0) s.ky += 2;
      if ((bits & kRuBit) != 0) s.ru += 2;
      if ((bits & kUzBit) != 0) s.uz += 2;
      if ((bits & kEnBit) != 0) s.en += 2;
    }
  }
  if (latin_apostrophe) s.uz += 3;  // o', g' (and bo'ldi, ko'p ...)
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
  Scores s;
  // The current word, lower-cased (letters are Latin or Cyrillic: at most 2 bytes each). Longer
  // words than the buffer are truncated: they are neither function words nor worth more.
  char word[128];
  std::size_t len = 0;
  bool latin_apostrophe = false;
  bool maybe_long_vowel = false;
  bool has_q = false;
  char32_t last_appended = 0;  // the last letter or apostrophe put in `word`
  char32_t previous = 0;
  std::size_t pos = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::array<CharClass, kCharTableEnd>& classes = CharClasses();
  auto end_word = [&] {
    if (len > 0 && word[len - 1] == '\'') --len;
    ScoreWord(std::string_view(word, len), latin_apostrophe, maybe_long_vowel, has_q, s);
    len = 0;
    latin_apostrophe = false;
    maybe_long_vowel = false;
    has_q = false;
    last_appended = 0;
  };
  while (pos < text.size()) {
    char32_t c;
    if (bytes[pos] < 0x80) {
      c = bytes[pos++];
    } else if ((bytes[pos] & 0xE0) == 0xC0 && bytes[pos] >= 0xC2 && pos + 1 < text.size() &&
               (bytes[pos + 1] & 0xC0) == 0x80) {
      c = (static_cast<char32_t>(bytes[pos] & 0x1F) << 6) | (bytes[pos + 1] & 0x3F);
      pos += 2;
    } else {
      c = DecodeUtf8(text, pos);
    }
    std::uint8_t bits = 0;
    if (c < kCharTableEnd) {
      bits = classes[c].bits;
      c = classes[c].lower;
    }
    if ((bits & (kLatinChar | kCyrillicChar)) != 0) {
      const bool latin = (bits & kLatinChar) != 0;
      if (len + 2 <= sizeof(word)) {
        if (latin) {
          word[len++] = static_cast<char>(c);
          if (c == 'q') has_q = true;
        } else {
          word[len++] = static_cast<char>(0xC0 | (c >> 6));
          word[len++] = static_cast<char>(0x80 | (c & 0x3F));
          if (c == last_appended && (bits & kLongVowelChar) != 0) maybe_long_vowel = true;
        }
        last_appended = c;
      }
      if (latin) {
        ++s.latin_letters;
      } else {
        ++s.cyrillic_letters;
        if ((bits & kKyrgyzChar) != 0) s.ky += 3;
        if ((bits & kUzbekChar) != 0) s.uz += 3;
        if ((bits & kRussianChar) != 0) s.ru += 1;
      }
    } else if (IsApostrophe(c) && len > 0 && pos < text.size()) {
      if (previous == 'o' || previous == 'g') latin_apostrophe = true;
      if (len < sizeof(word)) {
        word[len++] = '\'';
        last_appended = '\'';
      }
    } else if (len > 0) {
      end_word();
    }
    previous = c;
  }
  end_word();

  if (s.cyrillic_letters + s.latin_letters < 3) return Language::kUnknown;
  if (s.cyrillic_letters >= s.latin_letters) {
    // Kyrgyz first on ties: Russian speakers rarely use Kyrgyz function words or letters.
    if (s.ky > 0 && s.ky >= s.ru && s.ky >= s.uz) return Language::kKy;
    if (s.uz > 0 && s.uz > s.ru) return Language::kUz;
    // Russian only with evidence: a Cyrillic text without any sign stays unknown, so that rules
    // keep matching every language's terms in it.
    if (s.ru > 0) return Language::kRu;
    return Language::kUnknown;
  }
  if (s.uz >= 2 && s.uz >= s.en) return Language::kUz;
  if (s.en >= 2) return Language::kEn;
  return Language::kUnknown;
}

}  // namespace sakchy::classifier
