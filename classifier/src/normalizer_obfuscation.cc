// Normalisation, the obfuscations: the rebus 3.14, spaced-out letters, Latin look-alikes,
// digits and '@' inside Cyrillic words, repeated letters, separator runs, words with masked
// letters; and FoldCollapseEncode(), which does the last four and the scan encoding of the
// matcher's text in one pass.
#include "normalizer_internal.h"

namespace sakchy::classifier::internal::norm {
namespace {

// Characters that mask a letter inside a word ("х*й", "б%ять", "с)ка").
bool IsMaskChar(char32_t c) {
  return c == '*' || c == '%' || c == '#' || c == ')' || c == '.' || c == '@';
}

// Latin letters that look like Cyrillic ones (after case folding).
char32_t LatinLookAlike(char32_t c) {
  switch (c) {
    case 'a': return U'а';
    case 'b': return U'в';
    case 'c': return U'с';
    case 'e': return U'е';
    case 'h': return U'н';
    case 'k': return U'к';
    case 'm': return U'м';
    case 'n': return U'п';
    case 'o': return U'о';
    case 'p': return U'р';
    case 'r': return U'г';
    case 't': return U'т';
    case 'u': return U'и';
    case 'x': return U'х';
    case 'y': return U'у';
    // Letters without a Cyrillic look-alike, read by sound (пиzдец, пiдор, бlядь).
    case 'd': return U'д';
    case 'f': return U'ф';
    case 'g': return U'г';
    case 'i': return U'и';
    case 'l': return U'л';
    case 's': return U'с';
    case 'v': return U'в';
    case 'z': return U'з';
    default: return 0;
  }
}

// Digits and symbols used for letters inside Cyrillic words.
char32_t SymbolLookAlike(char32_t c) {
  switch (c) {
    case '0': return U'о';
    case '3': return U'з';
    case '4': return U'ч';
    case '6': return U'б';
    case '8': return U'в';
    case '@': return U'а';
    default: return 0;
  }
}

bool IsSingle(const std::vector<Unit>& u, std::size_t k) {
  return IsWord(u[k]) && (k == 0 || !IsWord(u[k - 1])) &&
         (k + 1 == u.size() || !IsWord(u[k + 1]));
}

bool IsWordPart(const std::vector<Unit>& u, std::size_t k) {
  if (IsWord(u[k])) return true;
  return u[k].cp == '@' && k > 0 && k + 1 < u.size() && IsWord(u[k - 1]) &&
         IsWord(u[k + 1]);
}

// Adds u[begin, end) (word characters and masking characters) to out.masked when it qualifies
// (MatchText::masked).
void RecordMasked(const Unit* u, std::size_t begin, std::size_t end, MatchText& out) {
  const std::size_t length = end - begin;
  std::size_t masks = 0;
  bool dot = false;
  for (std::size_t k = begin; k < end; ++k) {
    if (IsWord(u[k])) continue;
    ++masks;
    dot = dot || u[k].cp == '.';
  }
  const std::size_t letters = length - masks;
  if (length < 3 || letters < 2 || masks == 0 || masks >= letters || (dot && length < 5)) {
    return;
  }
  if (dot) {  // initials ("Д.А.А.") are no mask: every run of letters needs 2+
    std::size_t run = 0;
    for (std::size_t k = begin; k <= end; ++k) {
      if (k < end && IsWord(u[k])) {
        ++run;
      } else {
        if (run < 2) return;
        run = 0;
      }
    }
  }
  const auto offset = static_cast<std::uint32_t>(out.masked_chars.size());
  for (std::size_t k = begin; k < end; ++k) {
    out.masked_chars.push_back(IsWord(u[k]) ? u[k].cp : MatchText::kMasked);
  }
  out.masked.push_back(MatchText::Masked{u[begin].ob, u[end - 1].oe, offset,
                                         static_cast<std::uint32_t>(length)});
}

}  // namespace

bool MayHavePi(std::string_view text) {
  return text.find("3.14") != std::string_view::npos ||
         text.find("3,14") != std::string_view::npos;
}

std::size_t ReplacePi(Unit* u, std::size_t n) {
  std::size_t w = 0;
  std::size_t i = 0;
  while (i < n) {
    const bool pi = i + 3 < n && u[i].cp == '3' && (u[i + 1].cp == '.' || u[i + 1].cp == ',') &&
                    u[i + 2].cp == '1' && u[i + 3].cp == '4';
    const bool before = i > 0 && IsCyrillicLetter(u[i - 1]);
    const bool after = i + 4 < n && IsCyrillicLetter(u[i + 4]);
    const bool clean_before = i == 0 || !IsWord(u[i - 1]) || before;
    const bool clean_after = i + 4 >= n || !IsWord(u[i + 4]) || after;
    if (pi && (before || after) && clean_before && clean_after) {
      const Unit three = u[i];
      const Unit four = u[i + 3];
      const std::uint32_t dot_end = u[i + 1].oe;
      const std::uint32_t one_begin = u[i + 2].ob;
      u[w++] = Unit{U'п', three.ob, dot_end};
      u[w++] = Unit{U'и', one_begin, four.oe};
      i += 4;
      continue;
    }
    u[w++] = u[i++];
  }
  return w;
}

bool JoinSpacedLetters(const std::vector<Unit>& in, std::vector<Unit>& out) {
  bool joined = false;
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    if (IsSingle(in, i)) {
      thread_local std::vector<std::size_t> singles;
      singles.assign(1, i);
      std::u32string first_separator;  // every gap of a run must use the same separator
      bool all_separators_marked = false;
      std::size_t j = i + 1;
      while (j < n) {
        std::size_t k = j;
        std::u32string separator;
        bool marked = false;
        while (k < n && k - j < 3 && !IsWord(in[k]) && in[k].cp != '\n') {
          if ((in[k].f & kSpace) == 0) marked = true;
          separator.push_back(in[k].cp);
          ++k;
        }
        if (k == j || k >= n || !IsSingle(in, k)) break;
        if (singles.size() == 1) {
          first_separator = separator;
          all_separators_marked = marked;
        } else if (separator != first_separator) {
          break;
        }
        singles.push_back(k);
        j = k + 1;
      }
      std::size_t letters = 0;
      for (std::size_t s : singles) letters += IsAlphaUnit(in[s]) ? 1 : 0;
      const bool join = letters >= 3 && ((all_separators_marked && singles.size() >= 4) ||
                                         singles.size() >= 5);
      if (join) {
        if (!joined) {
          joined = true;
          out.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(i));
        }
        for (std::size_t s : singles) out.push_back(in[s]);
        i = singles.back() + 1;
        continue;
      }
    }
    if (joined) out.push_back(in[i]);
    ++i;
  }
  return joined;
}

void FoldHomoglyphs(std::vector<Unit>& u) {
  std::size_t i = 0;
  while (i < u.size()) {
    if (!IsWordPart(u, i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    bool has_cyrillic = false;
    std::size_t letters = 0;
    std::size_t symbols = 0;
    while (end < u.size() && IsWordPart(u, end)) {
      const char32_t c = u[end].cp;
      if (IsAlphaUnit(u[end])) {
        ++letters;
        if ((u[end].f & kCyrillic) != 0) has_cyrillic = true;
      } else if (IsDigit(c) || c == '@') {
        ++symbols;
      }
      ++end;
    }
    if (has_cyrillic) {
      const bool fold_symbols = letters >= 2 && letters > symbols;
      for (std::size_t k = i; k < end; ++k) {
        if (char32_t m = LatinLookAlike(u[k].cp); m != 0) {
          u[k].Set(m);
        } else if (fold_symbols) {
          if (char32_t s = SymbolLookAlike(u[k].cp); s != 0) u[k].Set(s);
        }
      }
    }
    i = end;
  }
}

void CollapseRepeatsAndSeparators(std::vector<Unit>& units) {
  Unit* u = units.data();
  std::size_t w = 0;
  std::size_t i = 0;
  const std::size_t n = units.size();
  while (i < n) {
    const Unit cur = u[i];
    if (IsWord(cur)) {
      std::size_t j = i + 1;
      while (j < n && u[j].cp == cur.cp) ++j;
      if (j - i >= 3 && IsAlphaUnit(cur)) {
        u[w++] = Unit{cur.cp, cur.ob, u[j - 1].oe, cur.f};
      } else {
        for (std::size_t k = i; k < j; ++k) u[w++] = u[k];
      }
      i = j;
      continue;
    }
    if (IsApostrophe(cur.cp)) {
      u[w++] = Unit{'\'', cur.ob, cur.oe};
    } else if (w > 0 && u[w - 1].cp == ' ') {
      u[w - 1].oe = cur.oe;
    } else {
      u[w++] = Unit{' ', cur.ob, cur.oe};
    }
    ++i;
  }
  units.erase(units.begin() + static_cast<std::ptrdiff_t>(w), units.end());
}

bool FoldCollapseEncode(Unit* u, std::size_t n, bool detect_join, MatchText& out,
                        std::size_t& latin_from) {
  ReserveBytes(out, kMaxScanBytes * n + kMaxScanBytes);
  out.word_starts.clear();
  out.masked.clear();
  out.masked_chars.clear();
  constexpr std::size_t kNoMask = static_cast<std::size_t>(-1);
  std::size_t masked_begin = kNoMask;  // first unit of a word with masked letters so far
  ScanWriter writer(out, 0);
  bool last_space = false;      // the last code point written is a space
  std::size_t after_space = 0;  // bytes written up to the last space
  latin_from = kNoLatin;
  // Join detection: separators since the last word, one-letter words in a row.
  constexpr std::size_t kNoGap = 1000;
  std::size_t gap = kNoGap;
  std::size_t singles = 0;
  // A separator: an apostrophe becomes "'", a run of anything else one space.
  auto separator = [&](const Unit& cur) {
    if (IsApostrophe(cur.cp)) {
      writer.Put('\'', cur.ob, cur.oe, 0);
      last_space = false;
    } else if (last_space) {
      writer.ExtendLast(cur.oe);
    } else {
      writer.Put(' ', cur.ob, cur.oe, 0);
      last_space = true;
      after_space = writer.size();
    }
  };
  std::size_t i = 0;
  while (i < n) {
    // A run of word parts starts with a word character (an '@' needs one before it, which would
    // have continued the run before).
    if (!IsWord(u[i])) {
      gap = u[i].cp == '\n' ? kNoGap : gap + 1;
      separator(u[i]);
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    const std::uint8_t f0 = u[i].f;
    bool has_cyrillic = (f0 & (kAlpha | kCyrillic)) == (kAlpha | kCyrillic);
    std::size_t letters = (f0 & kAlpha) != 0 ? 1 : 0;
    std::size_t symbols = IsDigit(u[i].cp) ? 1 : 0;
    bool ascii = u[i].cp < 0x80;  // Latin look-alikes, digits and '@' are ASCII
    bool has_at = false;
    while (end < n) {
      const Unit& x = u[end];
      if (!IsWord(x)) {
        if (x.cp != '@' || end + 1 == n || !IsWord(u[end + 1])) break;
        has_at = true;  // u[end - 1] is a word character: the '@' is a word part
        ++symbols;
      } else if (IsAlphaUnit(x)) {
        ++letters;
        if ((x.f & kCyrillic) != 0) has_cyrillic = true;
      } else if (IsDigit(x.cp)) {
        ++symbols;
      }
      if (x.cp < 0x80) ascii = true;
      ++end;
    }
    if (detect_join) {
      if (has_at) return false;
      if (end - i == 1) {
        singles = gap >= 1 && gap <= 3 && singles > 0 ? singles + 1 : 1;
        if (singles >= 4) return false;
      } else {
        singles = 0;
      }
      gap = 0;
    }
    if (has_cyrillic && ascii) {
      const bool fold_symbols = letters >= 2 && letters > symbols;
      for (std::size_t k = i; k < end; ++k) {
        if (char32_t m = LatinLookAlike(u[k].cp); m != 0) {
          u[k].Set(m);
        } else if (fold_symbols) {
          if (char32_t sym = SymbolLookAlike(u[k].cp); sym != 0) u[k].Set(sym);
        }
      }
    }
    // Write the word, a letter repeated 3+ times once (a run of equal code points never leaves
    // the word); an '@' left as it is separates words.
    out.word_starts.push_back(u[i].ob);
    last_space = false;
    std::size_t k = i;
    while (k < end) {
      const Unit cur = u[k];
      if (!IsWord(cur)) {
        separator(cur);
        ++k;  // a word character follows
        out.word_starts.push_back(u[k].ob);
        last_space = false;
        continue;
      }
      if (cur.cp - 'a' < 26 && latin_from == kNoLatin) latin_from = after_space;
      if (k + 2 < end && u[k + 1].cp == cur.cp && u[k + 2].cp == cur.cp && IsAlphaUnit(cur)) {
        std::size_t j = k + 3;
        while (j < end && u[j].cp == cur.cp) ++j;
        writer.Put(cur.cp, cur.ob, u[j - 1].oe, MatchText::kWord);
        k = j;
      } else {
        writer.Put(cur.cp, cur.ob, cur.oe, MatchText::kWord);
        ++k;
      }
    }
    // A word with masked letters: runs joined by one or two masking characters.
    std::size_t mask_end = end;
    while (mask_end < n && mask_end - end < 3 && IsMaskChar(u[mask_end].cp)) ++mask_end;
    if (mask_end > end && mask_end - end <= 2 && mask_end < n && IsWord(u[mask_end])) {
      if (masked_begin == kNoMask) masked_begin = i;
    } else if (masked_begin != kNoMask) {
      RecordMasked(u, masked_begin, end, out);
      masked_begin = kNoMask;
    }
    i = end;
  }
  out.main_size = writer.size();
  out.size = writer.size();
  return true;
}

}  // namespace sakchy::classifier::internal::norm
