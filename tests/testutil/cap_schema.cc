#include "testutil/cap_schema.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

namespace sakchy::testing {
namespace {

constexpr std::string_view kCapNs = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
constexpr int kMany = 1 << 30;

enum class Kind { kText, kDateTime, kEnum, kComplex };

// One element of a sequence: name, cardinality, and how its content is checked.
struct Particle {
  const char* name;
  int min;
  int max;
  Kind kind = Kind::kText;
  std::set<std::string> values = {};  // kEnum
};

// The CAP 1.2 content models (alert, info, resource, area, and the valueName/value pairs).
const std::map<std::string, std::vector<Particle>>& Models() {
  static const auto* models = new std::map<std::string, std::vector<Particle>>{
      {"alert",
       {{"identifier", 1, 1},
        {"sender", 1, 1},
        {"sent", 1, 1, Kind::kDateTime},
        {"status", 1, 1, Kind::kEnum, {"Actual", "Exercise", "System", "Test", "Draft"}},
        {"msgType", 1, 1, Kind::kEnum, {"Alert", "Update", "Cancel", "Ack", "Error"}},
        {"source", 0, 1},
        {"scope", 1, 1, Kind::kEnum, {"Public", "Restricted", "Private"}},
        {"restriction", 0, 1},
        {"addresses", 0, 1},
        {"code", 0, kMany},
        {"note", 0, 1},
        {"references", 0, 1},
        {"incidents", 0, 1},
        {"info", 0, kMany, Kind::kComplex}}},
      {"info",
       {{"language", 0, 1},
        {"category", 1, kMany, Kind::kEnum,
         {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport",
          "Infra", "CBRNE", "Other"}},
        {"event", 1, 1},
        {"responseType", 0, kMany, Kind::kEnum,
         {"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear",
          "None"}},
        {"urgency", 1, 1, Kind::kEnum, {"Immediate", "Expected", "Future", "Past", "Unknown"}},
        {"severity", 1, 1, Kind::kEnum, {"Extreme", "Severe", "Moderate", "Minor", "Unknown"}},
        {"certainty", 1, 1, Kind::kEnum, {"Observed", "Likely", "Possible", "Unlikely", "Unknown"}},
        {"audience", 0, 1},
        {"eventCode", 0, kMany, Kind::kComplex},
        {"effective", 0, 1, Kind::kDateTime},
        {"onset", 0, 1, Kind::kDateTime},
        {"expires", 0, 1, Kind::kDateTime},
        {"senderName", 0, 1},
        {"headline", 0, 1},
        {"description", 0, 1},
        {"instruction", 0, 1},
        {"web", 0, 1},
        {"contact", 0, 1},
        {"parameter", 0, kMany, Kind::kComplex},
        {"resource", 0, kMany, Kind::kComplex},
        {"area", 0, kMany, Kind::kComplex}}},
      {"resource",
       {{"resourceDesc", 1, 1},
        {"mimeType", 1, 1},
        {"size", 0, 1},
        {"uri", 0, 1},
        {"derefUri", 0, 1},
        {"digest", 0, 1}}},
      {"area",
       {{"areaDesc", 1, 1},
        {"polygon", 0, kMany},
        {"circle", 0, kMany},
        {"geocode", 0, kMany, Kind::kComplex},
        {"altitude", 0, 1},
        {"ceiling", 0, 1}}},
      {"eventCode", {{"valueName", 1, 1}, {"value", 1, 1}}},
      {"parameter", {{"valueName", 1, 1}, {"value", 1, 1}}},
      {"geocode", {{"valueName", 1, 1}, {"value", 1, 1}}},
  };
  return *models;
}

std::string Name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }
std::string_view Ns(const xmlNode* n) {
  return n->ns && n->ns->href ? std::string_view(reinterpret_cast<const char*>(n->ns->href))
                              : std::string_view();
}
std::string Text(const xmlNode* n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return s;
}
bool Blank(const xmlNode* n) {
  if (n->type != XML_TEXT_NODE) return false;
  for (const xmlChar* c = n->content; c && *c; ++c) {
    if (*c != ' ' && *c != '\n' && *c != '\t' && *c != '\r') return false;
  }
  return true;
}

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

Doc Parse(std::string_view xml, std::vector<std::string>& problems) {
  xmlDoc* d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document.xml", nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (d == nullptr) {
    const xmlError* e = xmlGetLastError();
    problems.push_back(std::string("not well-formed XML: ") + (e && e->message ? e->message : "?"));
  }
  return Doc(d, xmlFreeDoc);
}

class CapChecker {
 public:
  explicit CapChecker(std::vector<std::string>& problems) : problems_(problems) {}

  void Alert(const xmlNode* alert) {
    if (Name(alert) != "alert" || Ns(alert) != kCapNs) {
      Fail("/", "the root is not <alert> in namespace " + std::string(kCapNs));
      return;
    }
    Complex(alert, "alert", "/alert");
    // Rules the content model does not express.
    const std::string scope = ChildText(alert, "scope");
    if (scope == "Restricted" && !HasChild(alert, "restriction")) {
      Fail("/alert", "scope Restricted needs <restriction>");
    }
    if (scope == "Private" && !HasChild(alert, "addresses")) {
      Fail("/alert", "scope Private needs <addresses>");
    }
    for (const char* id : {"identifier", "sender"}) {
      const std::string v = ChildText(alert, id);
      if (v.empty() || v.find_first_of(" ,<&\t\n") != std::string::npos) {
        Fail(std::string("/alert/") + id, "must be non-empty without spaces, commas, < or &");
      }
    }
    if (HasChild(alert, "references")) References(ChildText(alert, "references"));
    const std::string type = ChildText(alert, "msgType");
    if ((type == "Update" || type == "Cancel") && !HasChild(alert, "references")) {
      Fail("/alert", "msgType " + type + " without <references> to the message it updates");
    }
  }

 private:
  void Fail(const std::string& where, const std::string& what) {
    problems_.push_back(where + ": " + what);
  }

  static bool HasChild(const xmlNode* n, const std::string& name) {
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && Name(c) == name) return true;
    }
    return false;
  }
  static std::string ChildText(const xmlNode* n, const std::string& name) {
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && Name(c) == name) return Text(c);
    }
    return "";
  }

  // The children of `n` against the sequence of `model`: order, cardinality, content.
  void Complex(const xmlNode* n, const std::string& model, const std::string& path) {
    const auto& seq = Models().at(model);
    std::size_t at = 0;
    int count = 0;
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (c->type == XML_COMMENT_NODE || Blank(c)) continue;
      if (c->type != XML_ELEMENT_NODE) {
        Fail(path, "text outside the child elements");
        continue;
      }
      const std::string name = Name(c);
      const std::string where = path + "/" + name;
      if (Ns(c) != kCapNs) {
        Fail(where, "not in the CAP 1.2 namespace");
        continue;
      }
      std::size_t i = at;
      while (i < seq.size() && seq[i].name != name) ++i;
      if (i == seq.size()) {
        bool known = false;
        for (const auto& p : seq) known = known || p.name == name;
        Fail(where, known ? "out of order (the CAP 1.2 sequence is fixed)" : "not allowed here");
        continue;
      }
      if (i != at) {
        if (count < seq[at].min) Fail(path + "/" + seq[at].name, "missing (required)");
        for (std::size_t k = at + 1; k < i; ++k) {
          if (seq[k].min > 0) Fail(path + "/" + seq[k].name, "missing (required)");
        }
        at = i;
        count = 0;
      }
      if (++count > seq[at].max) Fail(where, "occurs more often than allowed");
      Content(c, seq[at], where);
    }
    if (at < seq.size() && count < seq[at].min) {
      Fail(path + "/" + seq[at].name, "missing (required)");
    }
    for (std::size_t k = at + 1; k < seq.size(); ++k) {
      if (seq[k].min > 0) Fail(path + "/" + seq[k].name, "missing (required)");
    }
  }

  void Content(const xmlNode* c, const Particle& p, const std::string& where) {
    if (p.kind == Kind::kComplex) {
      Complex(c, p.name, where);
      if (std::string(p.name) == "area") Polygons(c, where);
      return;
    }
    for (const xmlNode* k = c->children; k; k = k->next) {
      if (k->type == XML_ELEMENT_NODE) {
        Fail(where, "a simple element has child elements");
        return;
      }
    }
    const std::string v = Text(c);
    if (p.kind == Kind::kEnum && !p.values.count(v)) Fail(where, "'" + v + "' is not a CAP value");
    if (p.kind == Kind::kDateTime) {
      static const std::regex kDateTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d)");
      if (!std::regex_match(v, kDateTime)) {
        Fail(where, "'" + v + "' is not a CAP dateTime (YYYY-MM-DDThh:mm:ss+hh:mm, no Z)");
      }
    }
  }

  void Polygons(const xmlNode* area, const std::string& where) {
    for (const xmlNode* c = area->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || Name(c) != "polygon") continue;
      std::istringstream in(Text(c));
      std::vector<std::pair<double, double>> pairs;
      std::string pair;
      while (in >> pair) {
        double lat = 0, lon = 0;
        char comma = 0;
        std::istringstream p(pair);
        if (!(p >> lat >> comma >> lon) || comma != ',' || lat < -90 || lat > 90 || lon < -180 ||
            lon > 180) {
          Fail(where + "/polygon", "'" + pair + "' is not a lat,lon pair");
          return;
        }
        pairs.emplace_back(lat, lon);
      }
      if (pairs.size() < 4) Fail(where + "/polygon", "fewer than 4 coordinate pairs");
      if (!pairs.empty() && pairs.front() != pairs.back()) Fail(where + "/polygon", "not closed");
    }
  }

  void References(const std::string& refs) {
    std::istringstream in(refs);
    std::string triple;
    static const std::regex kTriple(
        R"([^,\s<&]+,[^,\s<&]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d)");
    while (in >> triple) {
      if (!std::regex_match(triple, kTriple)) {
        Fail("/alert/references", "'" + triple + "' is not sender,identifier,sent");
      }
    }
  }

  std::vector<std::string>& problems_;
};

const xmlNode* OnlyChild(const xmlNode* n, std::string_view ns, const std::string& name,
                         std::vector<std::string>& problems, const std::string& path) {
  const xmlNode* found = nullptr;
  int count = 0;
  for (const xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && Ns(c) == ns && Name(c) == name) {
      found = c;
      ++count;
    }
  }
  if (count != 1) problems.push_back(path + "/" + name + ": must occur exactly once");
  return found;
}

}  // namespace

std::vector<std::string> CapProblems(std::string_view xml) {
  std::vector<std::string> problems;
  Doc doc = Parse(xml, problems);
  if (!doc) return problems;
  CapChecker(problems).Alert(xmlDocGetRootElement(doc.get()));
  return problems;
}

std::vector<std::string> AtomCapFeedProblems(std::string_view xml, std::size_t* entries) {
  std::vector<std::string> problems;
  Doc doc = Parse(xml, problems);
  if (!doc) return problems;
  const xmlNode* feed = xmlDocGetRootElement(doc.get());
  if (Name(feed) != "feed" || Ns(feed) != kAtomNs) {
    problems.push_back("/: the root is not an Atom <feed>");
    return problems;
  }
  for (const char* name : {"id", "title", "updated"}) {
    OnlyChild(feed, kAtomNs, name, problems, "/feed");
  }
  bool feed_author = false;
  std::size_t n = 0;
  for (const xmlNode* c = feed->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && Name(c) == "author") feed_author = true;
  }
  for (const xmlNode* e = feed->children; e; e = e->next) {
    if (e->type != XML_ELEMENT_NODE || Name(e) != "entry") continue;
    const std::string path = "/feed/entry[" + std::to_string(n++) + "]";
    for (const char* name : {"id", "title", "updated"}) {
      OnlyChild(e, kAtomNs, name, problems, path);
    }
    bool author = feed_author;
    for (const xmlNode* c = e->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && Name(c) == "author") author = true;
    }
    if (!author) problems.push_back(path + ": no author (neither the feed's nor its own)");
    const xmlNode* content = OnlyChild(e, kAtomNs, "content", problems, path);
    if (content == nullptr) continue;
    xmlChar* type = xmlGetProp(content, reinterpret_cast<const xmlChar*>("type"));
    const std::string t = type ? reinterpret_cast<const char*>(type) : "";
    xmlFree(type);
    if (t != "application/cap+xml") {
      problems.push_back(path + "/content: type is '" + t + "', not application/cap+xml");
    }
    const xmlNode* alert = nullptr;
    int elements = 0;
    for (const xmlNode* c = content->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) {
        alert = c;
        ++elements;
      }
    }
    if (elements != 1) {
      problems.push_back(path + "/content: must hold exactly one element (the CAP alert)");
      continue;
    }
    std::vector<std::string> cap;
    CapChecker(cap).Alert(alert);
    for (auto& p : cap) problems.push_back(path + "/content" + p);
  }
  if (entries != nullptr) *entries = n;
  return problems;
}

}  // namespace sakchy::testing
