// Normalisation, the encodings: UTF-8 with a byte map back to the original text
// (NormalizedText), and the scan encoding of the matcher (MatchText; its writer is in
// normalizer_internal.h).
#include "normalizer_internal.h"

namespace sakchy::classifier::internal {
namespace norm {

void EncodeAt(const std::vector<Unit>& units, std::size_t start, NormalizedText& out) {
  std::size_t size = start;
  for (const Unit& u : units) size += Utf8EncodedSize(u.cp);
  out.text.resize(size);
  out.orig_begin.resize(size);
  out.orig_end.resize(size);
  out.word.resize(size);
  char* text = out.text.data();
  std::uint32_t* ob = out.orig_begin.data();
  std::uint32_t* oe = out.orig_end.data();
  std::uint8_t* word = out.word.data();
  std::size_t n = start;
  for (const Unit& u : units) {
    const char32_t c = u.cp;
    const std::uint8_t w = u.f & kWord;
    if (c < 0x80) {
      text[n] = static_cast<char>(c);
      ob[n] = u.ob;
      oe[n] = u.oe;
      word[n] = w;
      n += 1;
      continue;
    }
    const std::size_t len = EncodeUtf8(c, text + n);
    for (std::size_t k = 0; k < len; ++k) {
      ob[n + k] = u.ob;
      oe[n + k] = u.oe;
      word[n + k] = w;
    }
    n += len;
  }
}

void EncodeAppend(const std::vector<Unit>& units, NormalizedText& out) {
  EncodeAt(units, out.text.size(), out);
}

void Decode(const NormalizedText& t, std::vector<Unit>& units) {
  units.clear();
  units.reserve(t.text.size());
  std::size_t pos = 0;
  while (pos < t.text.size()) {
    const std::size_t start = pos;
    const char32_t c = DecodeUtf8(t.text, pos);
    units.push_back(Unit{c, t.orig_begin[start], t.orig_end[pos - 1]});
  }
}

}  // namespace norm

using namespace norm;  // NOLINT(google-build-using-namespace): this file's own helpers

std::string ToScanEncoding(std::string_view utf8) {
  MatchText m;
  ReserveBytes(m, kMaxScanBytes * utf8.size());
  ScanWriter writer(m, 0);
  std::size_t pos = 0;
  while (pos < utf8.size()) writer.Put(DecodeUtf8(utf8, pos), 0, 0, 0);
  return std::string(m.text.data(), writer.size());
}

void AppendScanAsUtf8(std::string_view scan, std::string& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(scan.data());
  std::size_t pos = 0;
  while (pos < scan.size()) {
    const unsigned b = bytes[pos];
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++pos;
    } else if (b < kScanEscape) {
      AppendUtf8(out, kScan.cp[b - 0x80]);
      ++pos;
    } else {
      ++pos;
      AppendUtf8(out, pos < scan.size() ? DecodeUtf8(scan, pos) : kReplacement);
    }
  }
}

NormalizedText ToNormalizedText(const MatchText& m) {
  NormalizedText t;
  const auto* bytes = reinterpret_cast<const unsigned char*>(m.text.data());
  std::size_t pos = 0;
  while (pos < m.size) {
    if (pos == m.main_size) t.main_size = t.text.size();
    const std::size_t start = pos;
    const unsigned b = bytes[pos];
    char32_t c = b;
    if (b >= 0x80 && b < kScanEscape) {
      c = kScan.cp[b - 0x80];
      ++pos;
    } else if (b == kScanEscape) {
      ++pos;
      c = DecodeUtf8(std::string_view(m.text.data(), m.size), pos);
    } else {
      ++pos;
    }
    const std::size_t before = t.text.size();
    AppendUtf8(t.text, c);
    for (std::size_t k = before; k < t.text.size(); ++k) {
      t.orig_begin.push_back(m.orig_begin[start]);
      t.orig_end.push_back(m.orig_end[start]);
      t.word.push_back(m.flags[start] & MatchText::kWord);
    }
  }
  if (m.main_size >= m.size) t.main_size = t.text.size();
  t.word_starts = m.word_starts;
  return t;
}

}  // namespace sakchy::classifier::internal
