// libFuzzer target: the HTML-to-text converter, entity decoding and whitespace collapsing on any
// bytes. On valid UTF-8 input the output is valid UTF-8, and collapsing is idempotent.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "ingest/sources/html_text.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sakchy::ingest::sources;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool valid = sakchy::IsValidUtf8(in);
  const std::string text = HtmlToText(in);
  const std::string decoded = DecodeEntities(in);
  const std::string collapsed = CollapseWhitespace(in);
  if (valid) {
    Check(sakchy::IsValidUtf8(text));
    Check(sakchy::IsValidUtf8(decoded));
    Check(sakchy::IsValidUtf8(collapsed));
  }
  Check(CollapseWhitespace(collapsed) == collapsed);
  return 0;
}
