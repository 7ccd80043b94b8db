// Pure parsers of the pull sources: HTML to text, dates, RSS/Atom, Telegram, Mastodon.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iconv.h>

#include "core/time.h"
#include "ingest/sources/feed_parser.h"
#include "ingest/sources/html_text.h"
#include "ingest/sources/mastodon_parser.h"
#include "ingest/sources/redact.h"
#include "testutil/testutil.h"

namespace sakchy::ingest::sources::sources_parsers_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HtmlToTextTest, Table) {
  struct Case {
    std::string html;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"<p>Ош шаарында <b>суу</b> жок</p>", "Ош шаарында суу жок"},
      {"a&amp;b &lt;tag&gt; &quot;q&quot; &apos;s&apos;", "a&b <tag> \"q\" 's'"},
      {"&#1054;&#x448; &#X4F;", "Ош O"},
      {"one&nbsp;two\u00a0three", "one two three"},
      {"line1<br>line2<br/>line3", "line1 line2 line3"},
      {"  spaced \n\t out  ", "spaced out"},
      {"<script>alert('x')</script>visible<style>p{}</style>", "visible"},
      {"<a href=\"x>y\">link</a>", "link"},
      {"2 < 3 and &unknown; stays", "2 < 3 and &unknown; stays"},
      {"<!-- comment -->text", "text"},
      {"&laquo;Слух&raquo; &mdash; проверка&hellip;", "«Слух» — проверка…"},
      {"bad \xff byte", "bad \xEF\xBF\xBD byte"},
      {"&#0; &#xD800;", "\xEF\xBF\xBD \xEF\xBF\xBD"},
  };
  for (const auto& c : cases) EXPECT_EQ(HtmlToText(c.html), c.text) << c.html;
}

// All of HTML5's named character references, not HTML 4's few; decoded once only.
TEST(HtmlToTextTest, Html5NamedEntitiesThroughTheHtmlParser) {
  EXPECT_EQ(HtmlToText("&NotEqualTilde; &fjlig; &bne; &Dstrok;&dstrok; &CounterClockwiseContourIntegral;"),
            "\u2242\u0338 fj =\u20E5 Đđ \u2233");
  EXPECT_EQ(HtmlToText("&LT;b&GT; &AMP;lt; &amp;lt; &amp;amp;"), "<b> &lt; &lt; &amp;");
  EXPECT_EQ(HtmlToText("&Kcedil;&ycy;&rcy;&gcy;&ycy;&zcy; &laquo;&bdquo;&ldquo;&raquo; &apos;"),
            "Ķыргыз «„“» '");
  EXPECT_EQ(DecodeEntities("&NotEqualTilde;&LT;&#x41;&unknown;"), "\u2242\u0338<A&unknown;");
  // Unclosed and misnested tags as a browser reads them; table cells and list items apart.
  EXPECT_EQ(HtmlToText("<p>one<p>two<ul><li>a<li>b</ul><table><tr><td>1<td>2</table>end"),
            "one two a b 1 2 end");
  EXPECT_EQ(HtmlToText("<div>a</div>b<span>c</span>d"), "a bcd");
  EXPECT_EQ(HtmlToText("<noscript>js off</noscript><template><p>t</p></template>shown"), "shown");
  // Deep nesting neither crashes nor loses the text.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div><span>";
  deep += "core";
  EXPECT_NE(HtmlToText(deep).find("core"), std::string::npos);
}

// Found by html_text_fuzz: a control character after a space emitted the pending space, so the
// text could end in a space or hold two in a row, and collapsing again changed it.
TEST(HtmlToTextTest, ControlCharactersNeitherKeepNorDoubleSpaces) {
  EXPECT_EQ(CollapseWhitespace("bc\n\x10"), "bc");
  EXPECT_EQ(CollapseWhitespace("a \x01 b"), "a b");
  EXPECT_EQ(CollapseWhitespace("a\x01" "b"), "ab");
  EXPECT_EQ(CollapseWhitespace(std::string("  a\t\xfe" "bc\n\x10\0\0", 11)),
            "a \xEF\xBF\xBD" "bc");
  EXPECT_EQ(HtmlToText("x <br>\x7f"), "x");
  for (const std::string text : {"bc\n\x10", "a \x01 b", " \x02 \x03 "}) {
    EXPECT_EQ(CollapseWhitespace(CollapseWhitespace(text)), CollapseWhitespace(text)) << text;
  }
}

TEST(Rfc822Test, ParsesCommonForms) {
  const TimeMs noon = *ParseRfc3339("2024-06-01T12:00:00Z");
  EXPECT_EQ(ParseRfc822("Sat, 01 Jun 2024 12:00:00 GMT"), noon);
  EXPECT_EQ(ParseRfc822("Sat, 01 Jun 2024 18:00:00 +0600"), noon);
  EXPECT_EQ(ParseRfc822("1 Jun 2024 08:00 EDT"), noon);
  EXPECT_EQ(ParseRfc822("01 Jun 24 12:00:00 Z"), noon);
  EXPECT_EQ(ParseRfc822("Sat, 01 Jun 2024 12:00:00"), noon);
  EXPECT_FALSE(ParseRfc822("yesterday"));
  EXPECT_FALSE(ParseRfc822("Sat, 32 Jun 2024 12:00:00 GMT"));
  EXPECT_FALSE(ParseRfc822("Sat, 01 Foo 2024 12:00:00 GMT"));
  EXPECT_FALSE(ParseRfc822("Sat, 01 Jun 2024 25:00:00 GMT"));
}

constexpr char kRss[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Жаңылыктар &amp; кабарлар</title>
    <link>https://news.example.kg/</link>
    <item>
      <title>В Оше &amp;laquo;нет воды&amp;raquo;</title>
      <link>https://news.example.kg/a/1</link>
      <guid isPermaLink="false">news-1</guid>
      <description><![CDATA[<p>Жители <b>Араванского</b> района&nbsp;говорят, что воды не будет 3&nbsp;дня.</p>]]></description>
      <pubDate>Sat, 01 Jun 2024 18:00:00 +0600</pubDate>
      <dc:creator>Редакция</dc:creator>
    </item>
    <item>
      <title>Второе сообщение</title>
      <link>https://news.example.kg/a/2</link>
      <description>&lt;p&gt;Escaped &amp;amp; HTML&lt;/p&gt;</description>
      <content:encoded><![CDATA[<div>Полный текст <i>статьи</i></div>]]></content:encoded>
    </item>
    <item>
      <description>Only a description, no guid or link</description>
    </item>
    <item><guid>empty-item</guid></item>
  </channel>
</rss>)";

TEST(FeedParserTest, Rss20WithCyrillicCdataAndEntities) {
  auto feed = ParseFeed(kRss);
  ASSERT_OK(feed);
  EXPECT_EQ(feed->kind, FeedKind::kRss);
  EXPECT_EQ(feed->title, "Жаңылыктар & кабарлар");
  ASSERT_EQ(feed->items.size(), 3u);
  const FeedItem& a = feed->items[0];
  EXPECT_EQ(a.id, "news-1");
  EXPECT_EQ(a.link, "https://news.example.kg/a/1");
  EXPECT_EQ(a.title, "В Оше «нет воды»");
  EXPECT_EQ(a.text, "Жители Араванского района говорят, что воды не будет 3 дня.");
  EXPECT_EQ(a.author, "Редакция");
  EXPECT_EQ(a.published, ParseRfc3339("2024-06-01T12:00:00Z"));
  const FeedItem& b = feed->items[1];
  EXPECT_EQ(b.id, "https://news.example.kg/a/2");  // no guid: the link
  EXPECT_EQ(b.text, "Полный текст статьи");         // content:encoded preferred
  EXPECT_FALSE(b.published);
  const FeedItem& c = feed->items[2];
  EXPECT_THAT(c.id, ::testing::StartsWith("sha256:"));
  EXPECT_EQ(c.text, "Only a description, no guid or link");
}

constexpr char kAtom[] = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Ош облусу</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-06-01T12:00:00Z</updated>
  <entry>
    <title type="html">&lt;b&gt;Митинг&lt;/b&gt; в центре</title>
    <link rel="alternate" href="https://example.kg/e/1"/>
    <link rel="edit" href="https://example.kg/edit/1"/>
    <id>tag:example.kg,2024:1</id>
    <published>2024-06-01T18:00:00+06:00</published>
    <updated>2024-06-02T10:00:00Z</updated>
    <author><name>Асель</name></author>
    <content type="html">&lt;p&gt;Говорят, что &lt;em&gt;завтра&lt;/em&gt; будет митинг &amp;amp; шествие.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Plain &amp; simple</title>
    <id>tag:example.kg,2024:2</id>
    <updated>2024-06-02T10:00:00Z</updated>
    <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Первый</p><p>второй</p></div></summary>
  </entry>
</feed>)";

TEST(FeedParserTest, Atom10) {
  auto feed = ParseFeed(kAtom);
  ASSERT_OK(feed);
  EXPECT_EQ(feed->kind, FeedKind::kAtom);
  EXPECT_EQ(feed->title, "Ош облусу");
  ASSERT_EQ(feed->items.size(), 2u);
  const FeedItem& a = feed->items[0];
  EXPECT_EQ(a.id, "tag:example.kg,2024:1");
  EXPECT_EQ(a.link, "https://example.kg/e/1");
  EXPECT_EQ(a.title, "Митинг в центре");
  EXPECT_EQ(a.text, "Говорят, что завтра будет митинг & шествие.");
  EXPECT_EQ(a.author, "Асель");
  EXPECT_EQ(a.published, ParseRfc3339("2024-06-01T12:00:00Z"));  // published wins over updated
  EXPECT_EQ(a.updated, ParseRfc3339("2024-06-02T10:00:00Z"));    // and the edit is kept
  const FeedItem& b = feed->items[1];
  EXPECT_EQ(b.title, "Plain & simple");
  EXPECT_EQ(b.text, "Первый второй");
  EXPECT_EQ(b.published, ParseRfc3339("2024-06-02T10:00:00Z"));
  EXPECT_FALSE(b.updated) << "only updated: that is its publication";
}

// `utf8` in `charset` (glibc iconv, independent of the ICU the parser uses).
std::string Encode(const std::string& utf8, const char* charset) {
  iconv_t cd = iconv_open(charset, "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1)) << charset;
  std::string out(utf8.size() * 4, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* o = out.data();
  std::size_t out_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &o, &out_left), static_cast<std::size_t>(-1)) << charset;
  iconv_close(cd);
  out.resize(out.size() - out_left);
  return out;
}

std::string CyrillicRss(const std::string& encoding, const std::string& title) {
  return "<?xml version=\"1.0\" encoding=\"" + encoding + "\"?>\n"
         "<rss version=\"2.0\"><channel><title>" + title + "</title>\n"
         "<item><guid>n-1</guid><title>Вода отравлена: ещё один слух</title>\n"
         "<description>&lt;p&gt;Жители Араванского района: ёлки, щи, ЪЫЬЭЮЯ.&lt;/p&gt;"
         "</description></item></channel></rss>";
}

// Russian-language feeds still come in windows-1251 and KOI8-R (and the older ISO-8859-5, CP866).
TEST(FeedParserTest, SingleByteCyrillicCharsets) {
  for (const char* charset : {"windows-1251", "KOI8-R", "koi8-r", "cp1251", "ISO-8859-5",
                              "IBM866"}) {
    const std::string xml = Encode(CyrillicRss(charset, "Новости Оша"), charset);
    ASSERT_EQ(xml.find("Новости"), std::string::npos) << charset << ": not transcoded";
    auto feed = ParseFeed(xml);
    ASSERT_TRUE(feed.has_value()) << charset << ": " << feed.error().message;
    EXPECT_EQ(feed->title, "Новости Оша") << charset;
    ASSERT_EQ(feed->items.size(), 1u) << charset;
    EXPECT_EQ(feed->items[0].title, "Вода отравлена: ещё один слух") << charset;
    EXPECT_EQ(feed->items[0].text, "Жители Араванского района: ёлки, щи, ЪЫЬЭЮЯ.") << charset;
  }
  // windows-1251's punctuation beyond the letters.
  auto feed = ParseFeed(Encode(CyrillicRss("windows-1251", "«Новости» — №1"), "windows-1251"));
  ASSERT_OK(feed);
  EXPECT_EQ(feed->title, "«Новости» — №1");
}

TEST(FeedParserTest, DoubleByteCharsetsAndUnknownOnes) {
  const std::string utf8 =
      "<?xml version=\"1.0\" encoding=\"GBK\"?><rss><channel><title>新闻</title>"
      "<item><title>吉尔吉斯斯坦 比什凯克</title></item></channel></rss>";
  auto feed = ParseFeed(Encode(utf8, "GBK"));
  ASSERT_OK(feed);
  EXPECT_EQ(feed->title, "新闻");
  ASSERT_EQ(feed->items.size(), 1u);
  EXPECT_EQ(feed->items[0].title, "吉尔吉斯斯坦 比什凯克");
  auto unknown = ParseFeed("<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><rss/>");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message, HasSubstr("encoding"));
}

// RSS 1.0: items beside the channel under rdf:RDF, in the RSS 1.0 namespace; rdf:about is the id.
TEST(FeedParserTest, Rss10Rdf) {
  constexpr char kRdf[] = R"(<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel rdf:about="https://kabar.example.kg/rss">
    <title>Кабар &amp; новости</title>
    <link>https://kabar.example.kg/</link>
    <description>Лента</description>
    <items><rdf:Seq><rdf:li rdf:resource="https://kabar.example.kg/n/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://kabar.example.kg/n/1">
    <title>Митинг в Оше</title>
    <link>https://kabar.example.kg/n/1?utm=rss</link>
    <description>Говорят, что &lt;b&gt;завтра&lt;/b&gt; митинг.</description>
    <dc:date>2024-06-01T18:00:00+06:00</dc:date>
    <dc:creator>Асель</dc:creator>
  </item>
  <item>
    <title>Без about</title>
    <link>https://kabar.example.kg/n/2</link>
    <content:encoded><![CDATA[<p>Полный <i>текст</i></p>]]></content:encoded>
  </item>
</rdf:RDF>)";
  auto feed = ParseFeed(kRdf);
  ASSERT_OK(feed);
  EXPECT_EQ(feed->kind, FeedKind::kRdf);
  EXPECT_EQ(feed->title, "Кабар & новости");
  ASSERT_EQ(feed->items.size(), 2u);
  EXPECT_EQ(feed->items[0].id, "https://kabar.example.kg/n/1");
  EXPECT_EQ(feed->items[0].link, "https://kabar.example.kg/n/1?utm=rss");
  EXPECT_EQ(feed->items[0].title, "Митинг в Оше");
  EXPECT_EQ(feed->items[0].text, "Говорят, что завтра митинг.");
  EXPECT_EQ(feed->items[0].author, "Асель");
  EXPECT_EQ(feed->items[0].published, ParseRfc3339("2024-06-01T12:00:00Z"));
  EXPECT_EQ(feed->items[1].id, "https://kabar.example.kg/n/2");  // no rdf:about: the link
  EXPECT_EQ(feed->items[1].text, "Полный текст");
  // An RDF document that is not RSS 1.0 has no items.
  auto other = ParseFeed(
      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><item><title>x</title>"
      "</item></rdf:RDF>");
  ASSERT_OK(other);
  EXPECT_TRUE(other->items.empty());
}

TEST(FeedParserTest, RejectsBrokenInputs) {
  struct Case {
    std::string xml;
    std::string message;
  };
  const std::string rss(kRss);
  const std::vector<Case> cases = {
      {"", "XML error"},
      {"this is not xml", "XML error at line 1"},
      {"{\"json\": true}", "XML error"},
      {rss.substr(0, rss.size() / 2), "XML error"},  // truncated
      {"<rss><channel><item></channel></rss>", "mismatched tag"},
      {"<html><body>Not a feed</body></html>", "unsupported root element <html>"},
      {"<feed><entry/></feed>", "unsupported root element <feed>"},  // Atom without namespace
      {"<rss><channel><title>&laquo;x&raquo;</title></channel></rss>", "undefined entity"},
      {"<!DOCTYPE rss [<!ENTITY a \"aaaa\">]><rss><channel/></rss>", "declares entities"},
  };
  for (const auto& c : cases) {
    auto feed = ParseFeed(c.xml);
    ASSERT_FALSE(feed.has_value()) << c.xml;
    EXPECT_EQ(feed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(feed.error().message, HasSubstr(c.message)) << c.xml;
  }
}

TEST(RedactSecretsTest, RemovesBotTokensAndAccessTokens) {
  const std::string url = "https://api.telegram.org/bot123456:ABC-def_ghi/getUpdates?offset=3";
  EXPECT_EQ(RedactSecrets(url), "https://api.telegram.org/bot<redacted>/getUpdates?offset=3");
  EXPECT_EQ(RedactSecrets("https://m.example/api?access_token=s3cr3t&x=1"),
            "https://m.example/api?access_token=<redacted>&x=1");
  EXPECT_EQ(RedactSecrets("https://example.org/bottles/"), "https://example.org/bot<redacted>/");
  EXPECT_EQ(RedactSecrets("no secrets here"), "no secrets here");
}

TEST(MastodonParserTest, StatusesWithHtml) {
  const std::string json = R"([
    {"id":"112233445566778899","created_at":"2024-06-01T12:00:00.000Z",
     "content":"<p>Слух: <a href=\"https://x\" class=\"mention\">@<span>user</span></a> говорит, что &quot;мост&quot; закрыт<br>завтра</p>",
     "url":"https://social.example/@a/112233445566778899","spoiler_text":"",
     "language":"ru","account":{"id":"42","acct":"a@social.example"}},
    {"id":"112233445566778900","created_at":"2024-06-01T12:01:00.000Z","content":"",
     "spoiler_text":"","reblog":{"id":"1"},"account":{"id":"43","acct":"b"}},
    {"id":"112233445566778901","created_at":"2024-06-01T12:02:00.000Z",
     "content":"<p>текст</p>","spoiler_text":"CW: слух","language":null,
     "uri":"https://remote.example/users/c/statuses/9","url":null,
     "edited_at":"2024-06-01T12:05:00.000Z","account":{"id":"44","acct":"c"}}
  ])";
  auto r = ParseMastodonStatuses(json);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 2u);  // the reblog without content is left out
  EXPECT_EQ((*r)[0].id, "112233445566778899");
  EXPECT_EQ((*r)[0].text, "Слух: @user говорит, что \"мост\" закрыт завтра");
  EXPECT_EQ((*r)[0].created_at, ParseRfc3339("2024-06-01T12:00:00Z"));
  EXPECT_EQ((*r)[0].account_id, "42");
  EXPECT_EQ((*r)[0].account_acct, "a@social.example");
  EXPECT_EQ((*r)[0].url, "https://social.example/@a/112233445566778899");
  EXPECT_FALSE((*r)[0].edited_at);
  EXPECT_EQ((*r)[1].text, "CW: слух\n\nтекст");
  EXPECT_EQ((*r)[1].url, "https://remote.example/users/c/statuses/9") << "no url: the uri";
  EXPECT_EQ((*r)[1].edited_at, ParseRfc3339("2024-06-01T12:05:00Z"));
  for (const char* bad : {"", "{\"error\":\"The access token is invalid\"}", "[{\"content\":\"x\"}]"}) {
    auto e = ParseMastodonStatuses(bad);
    ASSERT_FALSE(e.has_value()) << bad;
    EXPECT_THAT(e.error().message, HasSubstr("Mastodon timeline")) << bad;
  }
  auto e = ParseMastodonStatuses("{\"error\":\"The access token is invalid\"}");
  EXPECT_THAT(e.error().message, HasSubstr("The access token is invalid"));
  EXPECT_TRUE(MastodonIdNewer("100", "99"));
  EXPECT_TRUE(MastodonIdNewer("101", "100"));
  EXPECT_FALSE(MastodonIdNewer("100", "100"));
}

}  // namespace
}  // namespace sakchy::ingest::sources::sources_parsers_test
