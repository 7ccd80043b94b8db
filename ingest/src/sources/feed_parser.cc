#include "ingest/sources/feed_parser.h"

#include <expat.h>
#include <unicode/ucnv.h>
#include <unicode/utf16.h>

#include <climits>
#include <memory>
#include <string>
#include <utility>

#include "core/crypto.h"
#include "core/time.h"
#include "ingest/sources/html_text.h"

namespace sakchy::ingest::sources {
namespace {

constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
constexpr std::string_view kContentNs = "http://purl.org/rss/1.0/modules/content/";
constexpr std::string_view kDcNs = "http://purl.org/dc/elements/1.1/";
constexpr std::string_view kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr std::string_view kRss1Ns = "http://purl.org/rss/1.0/";
constexpr char kNsSep = ' ';

// Splits an expat name "uri local" into {uri, local}; {"", name} without a namespace.
std::pair<std::string_view, std::string_view> SplitName(const XML_Char* name) {
  std::string_view n(name);
  const auto sep = n.find(kNsSep);
  if (sep == std::string_view::npos) return {std::string_view(), n};
  return {n.substr(0, sep), n.substr(sep + 1)};
}

std::string_view Attr(const XML_Char** attrs, std::string_view want) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (want == attrs[i]) return attrs[i + 1];
  }
  return {};
}

// What an item field becomes once captured.
enum class Field {
  kNone, kTitle, kLink, kGuid, kDescription, kContentEncoded, kPubDate, kDcDate, kAuthor,
  kAtomId, kAtomTitle, kAtomContent, kAtomSummary, kAtomPublished, kAtomUpdated, kAtomAuthorName,
  kFeedTitle
};

struct RawItem {
  std::string title, link, guid, description, content, author, atom_id;
  std::string pub_date, dc_date, published, updated;
};

class FeedBuilder {
 public:
  explicit FeedBuilder(XML_Parser parser) : parser_(parser) {}

  static void OnStart(void* self, const XML_Char* name, const XML_Char** attrs) {
    static_cast<FeedBuilder*>(self)->Start(name, attrs);
  }
  static void OnEnd(void* self, const XML_Char* name) { static_cast<FeedBuilder*>(self)->End(name); }
  static void OnText(void* self, const XML_Char* s, int len) {
    auto* b = static_cast<FeedBuilder*>(self);
    if (b->field_ != Field::kNone) b->buffer_.append(s, static_cast<std::size_t>(len));
  }
  static void OnEntityDecl(void* self, const XML_Char*, int, const XML_Char*, int,
                           const XML_Char*, const XML_Char*, const XML_Char*, const XML_Char*) {
    static_cast<FeedBuilder*>(self)->Fail("the document declares entities (refused)");
  }

  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    XML_StopParser(parser_, XML_FALSE);
  }

  const std::string& error() const { return error_; }
  bool saw_root() const { return depth_ > 0 || root_done_; }
  Feed TakeFeed() { return std::move(feed_); }

 private:
  void Start(const XML_Char* raw_name, const XML_Char** attrs) {
    const auto [ns, name] = SplitName(raw_name);
    ++depth_;
    if (depth_ == 1) {
      if (ns.empty() && name == "rss") {
        feed_.kind = FeedKind::kRss;
      } else if (ns == kAtomNs && name == "feed") {
        feed_.kind = FeedKind::kAtom;
      } else if (ns == kRdfNs && name == "RDF") {
        feed_.kind = FeedKind::kRdf;
      } else {
        Fail("unsupported root element <" + std::string(name) +
             "> (expected RSS 2.0 <rss>, RSS 1.0 <rdf:RDF> or Atom 1.0 <feed xmlns=\"" +
             std::string(kAtomNs) + "\">)");
      }
      return;
    }
    if (field_ != Field::kNone) {
      buffer_ += ' ';  // a child element inside a captured field (Atom xhtml content)
      return;
    }
    const bool atom = feed_.kind == FeedKind::kAtom;
    // RSS 2.0 elements have no namespace; RSS 1.0 the same names in its namespace.
    const std::string_view rss_ns = feed_.kind == FeedKind::kRdf ? kRss1Ns : std::string_view();
    if (!in_item_) {
      if ((!atom && ns == rss_ns && name == "item") || (atom && ns == kAtomNs && name == "entry")) {
        in_item_ = true;
        item_depth_ = depth_;
        item_ = RawItem();
        // RSS 1.0: the item's URI is its identity.
        const std::string rdf_about = std::string(kRdfNs) + kNsSep + "about";
        item_.guid = std::string(Attr(attrs, rdf_about));
        return;
      }
      const bool feed_title = atom ? (ns == kAtomNs && depth_ == 2 && name == "title")
                                   : (ns == rss_ns && depth_ == 3 && name == "title");
      if (feed_title) Capture(Field::kFeedTitle, Attr(attrs, "type"));
      return;
    }
    if (atom && ns == kAtomNs && name == "author") {
      in_author_ = true;
      return;
    }
    if (depth_ == item_depth_ + 2 && in_author_ && ns == kAtomNs && name == "name") {
      Capture(Field::kAtomAuthorName, {});
      return;
    }
    if (depth_ != item_depth_ + 1) return;
    if (!atom) {
      if (ns == rss_ns) {
        if (name == "title") Capture(Field::kTitle, {});
        else if (name == "link") Capture(Field::kLink, {});
        else if (name == "guid") Capture(Field::kGuid, {});
        else if (name == "description") Capture(Field::kDescription, {});
        else if (name == "pubDate") Capture(Field::kPubDate, {});
        else if (name == "author") Capture(Field::kAuthor, {});
      } else if (ns == kContentNs && name == "encoded") {
        Capture(Field::kContentEncoded, {});
      } else if (ns == kDcNs && name == "date") {
        Capture(Field::kDcDate, {});
      } else if (ns == kDcNs && name == "creator") {
        Capture(Field::kAuthor, {});
      }
      return;
    }
    if (ns != kAtomNs) return;
    if (name == "id") {
      Capture(Field::kAtomId, {});
    } else if (name == "title") {
      Capture(Field::kAtomTitle, Attr(attrs, "type"));
    } else if (name == "content") {
      Capture(Field::kAtomContent, Attr(attrs, "type"));
    } else if (name == "summary") {
      Capture(Field::kAtomSummary, Attr(attrs, "type"));
    } else if (name == "published") {
      Capture(Field::kAtomPublished, {});
    } else if (name == "updated") {
      Capture(Field::kAtomUpdated, {});
    } else if (name == "link") {
      const std::string_view rel = Attr(attrs, "rel");
      if ((rel.empty() || rel == "alternate") && item_.link.empty()) {
        item_.link = std::string(Attr(attrs, "href"));
      }
    }
  }

  void End(const XML_Char* raw_name) {
    const auto [ns, name] = SplitName(raw_name);
    if (field_ != Field::kNone && depth_ == field_depth_) {
      Finish();
    } else if (field_ != Field::kNone) {
      buffer_ += ' ';
    }
    if (in_item_ && in_author_ && depth_ == item_depth_ + 1 && name == "author") {
      in_author_ = false;
    }
    if (in_item_ && depth_ == item_depth_) {
      in_item_ = false;
      EmitItem();
    }
    --depth_;
    if (depth_ == 0) root_done_ = true;
  }

  void Capture(Field f, std::string_view type) {
    field_ = f;
    field_depth_ = depth_;
    field_type_ = std::string(type);
    buffer_.clear();
  }

  // Text of an Atom text construct by its type attribute.
  std::string AtomText() const {
    if (field_type_ == "html") return HtmlToText(buffer_);
    return CollapseWhitespace(buffer_);  // "text", "xhtml" (children were flattened) or absent
  }

  void Finish() {
    std::string raw = std::move(buffer_);
    buffer_.clear();
    switch (field_) {
      case Field::kTitle: item_.title = HtmlToText(raw); break;
      case Field::kLink: item_.link = CollapseWhitespace(raw); break;
      case Field::kGuid: item_.guid = CollapseWhitespace(raw); break;
      case Field::kDescription: item_.description = HtmlToText(raw); break;
      case Field::kContentEncoded: item_.content = HtmlToText(raw); break;
      case Field::kPubDate: item_.pub_date = CollapseWhitespace(raw); break;
      case Field::kDcDate: item_.dc_date = CollapseWhitespace(raw); break;
      case Field::kAuthor: item_.author = CollapseWhitespace(raw); break;
      case Field::kAtomId: item_.atom_id = CollapseWhitespace(raw); break;
      case Field::kAtomAuthorName: item_.author = CollapseWhitespace(raw); break;
      case Field::kAtomPublished: item_.published = CollapseWhitespace(raw); break;
      case Field::kAtomUpdated: item_.updated = CollapseWhitespace(raw); break;
      case Field::kAtomTitle:
        buffer_ = std::move(raw);
        item_.title = AtomText();
        break;
      case Field::kAtomContent:
        buffer_ = std::move(raw);
        item_.content = AtomText();
        break;
      case Field::kAtomSummary:
        buffer_ = std::move(raw);
        item_.description = AtomText();
        break;
      case Field::kFeedTitle:
        buffer_ = std::move(raw);
        feed_.title = feed_.kind == FeedKind::kAtom ? AtomText() : HtmlToText(buffer_);
        break;
      case Field::kNone: break;
    }
    buffer_.clear();
    field_ = Field::kNone;
  }

  void EmitItem() {
    FeedItem item;
    item.link = std::move(item_.link);
    item.title = std::move(item_.title);
    // Prefer the full content; RSS description / Atom summary otherwise.
    item.text = !item_.content.empty() ? std::move(item_.content) : std::move(item_.description);
    item.author = std::move(item_.author);
    if (feed_.kind != FeedKind::kAtom) {
      item.id = !item_.guid.empty() ? item_.guid : item.link;
      if (!item_.pub_date.empty()) {
        item.published = ParseRfc822(item_.pub_date);
        if (!item.published) item.published = ParseRfc3339(item_.pub_date);
      }
      if (!item.published && !item_.dc_date.empty()) item.published = ParseRfc3339(item_.dc_date);
    } else {
      item.id = !item_.atom_id.empty() ? item_.atom_id : item.link;
      if (!item_.published.empty()) item.published = ParseRfc3339(item_.published);
      std::optional<TimeMs> updated;
      if (!item_.updated.empty()) updated = ParseRfc3339(item_.updated);
      if (!item.published) {
        item.published = updated;
      } else if (updated && *updated > *item.published) {
        item.updated = updated;
      }
    }
    if (item.title.empty() && item.text.empty()) return;
    if (item.id.empty()) item.id = "sha256:" + Sha256Hex(item.title + "\n" + item.text);
    feed_.items.push_back(std::move(item));
  }

  XML_Parser parser_;
  Feed feed_;
  std::string error_;
  int depth_ = 0;
  bool root_done_ = false;
  bool in_item_ = false;
  bool in_author_ = false;
  int item_depth_ = 0;
  RawItem item_;
  Field field_ = Field::kNone;
  int field_depth_ = 0;
  std::string field_type_;
  std::string buffer_;
};

// ---- Encodings beyond expat's own (UTF-8, UTF-16, ISO-8859-1, US-ASCII), through ICU ----

struct IcuEncoding {
  UConverter* converter = nullptr;
  int lengths[256] = {};  // bytes of a sequence by its first byte (2 for double-byte leads)
};

void ReleaseEncoding(void* data) {
  auto* enc = static_cast<IcuEncoding*>(data);
  ucnv_close(enc->converter);
  delete enc;
}

// A double-byte sequence to its code point; -1 when it maps to nothing.
int ConvertDoubleByte(void* data, const char* s) {
  auto* enc = static_cast<IcuEncoding*>(data);
  UErrorCode status = U_ZERO_ERROR;
  UChar out[4];
  ucnv_reset(enc->converter);
  const int32_t n = ucnv_toUChars(enc->converter, out, 4, s,
                                  enc->lengths[static_cast<unsigned char>(*s)], &status);
  if (U_FAILURE(status) || n <= 0) return -1;
  UChar32 cp = 0;
  int32_t i = 0;
  U16_NEXT(out, i, n, cp);
  return cp == 0xFFFD || cp == 0x1A ? -1 : cp;
}

// Expat's handler for an encoding it does not know: a table of what each byte means, built from
// ICU's converter. Single-byte charsets map every byte; double-byte ones (ICU MBCS with at most
// two bytes a character) mark lead bytes and convert pairs through ConvertDoubleByte.
int UnknownEncoding(void*, const XML_Char* name, XML_Encoding* info) {
  UErrorCode status = U_ZERO_ERROR;
  UConverter* cnv = ucnv_open(name, &status);
  if (U_FAILURE(status) || !cnv) return XML_STATUS_ERROR;
  const int max = ucnv_getMaxCharSize(cnv);
  UBool starters[256] = {};
  if (max == 2) ucnv_getStarters(cnv, starters, &status);
  if (max != 1 && (max != 2 || U_FAILURE(status))) {
    ucnv_close(cnv);
    return XML_STATUS_ERROR;  // stateful or longer sequences (ISO-2022, GB18030, EUC-JP)
  }
  auto enc = std::make_unique<IcuEncoding>();
  enc->converter = cnv;
  ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  for (int b = 0; b < 256; ++b) {
    if (max == 2 && starters[b]) {
      info->map[b] = -2;
      enc->lengths[b] = 2;
      continue;
    }
    const char byte = static_cast<char>(b);
    UChar out[4];
    status = U_ZERO_ERROR;
    ucnv_reset(cnv);
    const int32_t n = ucnv_toUChars(cnv, out, 4, &byte, 1, &status);
    info->map[b] = U_SUCCESS(status) && n == 1 && !U16_IS_SURROGATE(out[0]) ? out[0] : -1;
    enc->lengths[b] = 1;
  }
  info->data = enc.release();
  info->convert = max == 2 ? &ConvertDoubleByte : nullptr;
  info->release = &ReleaseEncoding;
  return XML_STATUS_OK;
}

struct ParserDeleter {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

}  // namespace

Result<Feed> ParseFeed(std::string_view xml) {
  if (xml.size() > static_cast<std::size_t>(INT_MAX)) {
    return MakeError(ErrorCode::kResourceExhausted, "feed document too large to parse");
  }
  std::unique_ptr<XML_ParserStruct, ParserDeleter> parser(XML_ParserCreateNS(nullptr, kNsSep));
  if (!parser) return MakeError(ErrorCode::kInternal, "cannot create an XML parser");
  FeedBuilder builder(parser.get());
  XML_SetUserData(parser.get(), &builder);
  XML_SetElementHandler(parser.get(), &FeedBuilder::OnStart, &FeedBuilder::OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &FeedBuilder::OnText);
  XML_SetEntityDeclHandler(parser.get(), &FeedBuilder::OnEntityDecl);
  XML_SetUnknownEncodingHandler(parser.get(), &UnknownEncoding, nullptr);
  const XML_Status status =
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (!builder.error().empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "not a usable feed: " + builder.error());
  }
  if (status != XML_STATUS_OK) {
    const auto line = XML_GetCurrentLineNumber(parser.get());
    const auto column = XML_GetCurrentColumnNumber(parser.get());
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a valid feed: XML error at line " + std::to_string(line) + ", column " +
                         std::to_string(column) + ": " +
                         XML_ErrorString(XML_GetErrorCode(parser.get())));
  }
  if (!builder.saw_root()) {
    return MakeError(ErrorCode::kInvalidArgument, "not a valid feed: no root element");
  }
  return builder.TakeFeed();
}

}  // namespace sakchy::ingest::sources
