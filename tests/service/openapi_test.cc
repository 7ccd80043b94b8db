// The OpenAPI document lists exactly the routes the API serves, with the role each needs, so a
// route added without documentation fails here.

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "config/config.h"
#include "service/api.h"
#include "service/openapi.h"
#include "service/problems.h"
#include "testutil/testutil.h"

namespace sakchy::service::openapi_test {
namespace {

namespace json = boost::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json::object Document() {
  boost::system::error_code ec;
  auto doc = json::parse(OpenApiDocument(), ec);
  EXPECT_FALSE(ec) << "docs/openapi.json is not valid JSON: " << ec.message();
  return doc.is_object() ? doc.as_object() : json::object();
}

TEST(OpenApiTest, IsOpenApi3WithBearerAuth) {
  auto doc = Document();
  ASSERT_TRUE(doc.contains("openapi"));
  EXPECT_EQ(std::string(doc.at("openapi").as_string()).substr(0, 2), "3.");
  EXPECT_EQ(doc.at("components").at("securitySchemes").at("bearer").at("scheme"), "bearer");
}

TEST(OpenApiTest, EveryServedRouteIsDocumentedWithItsRole) {
  auto doc = Document();
  const auto& paths = doc.at("paths").as_object();
  for (const auto& e : Api::Endpoints()) {
    const std::string where = std::string(e.method) + " " + std::string(e.path);
    ASSERT_TRUE(paths.contains(e.path)) << where << " is served but not in docs/openapi.json";
    const auto& item = paths.at(e.path).as_object();
    ASSERT_TRUE(item.contains(Lower(e.method))) << where << " is served but not documented";
    const auto& op = item.at(Lower(e.method)).as_object();
    ASSERT_TRUE(op.contains("x-sakchy-role")) << where;
    // Routes every valid token may call say "any".
    EXPECT_EQ(op.at("x-sakchy-role"), e.any_role ? "any" : config::RoleName(e.role).data()) << where;
    EXPECT_FALSE(op.at("security").as_array().empty()) << where << " needs a bearer token";
    EXPECT_TRUE(op.at("responses").as_object().contains("401")) << where;
  }
  for (const auto& e : Api::OpenEndpoints()) {
    const std::string where = std::string(e.method) + " " + std::string(e.path);
    ASSERT_TRUE(paths.contains(e.path)) << where << " is served but not in docs/openapi.json";
    ASSERT_TRUE(paths.at(e.path).as_object().contains(Lower(e.method))) << where;
    EXPECT_TRUE(paths.at(e.path).at(Lower(e.method)).at("security").as_array().empty()) << where;
  }
}

TEST(OpenApiTest, EveryDocumentedRouteIsServed) {
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& e : Api::Endpoints()) served.emplace(Lower(e.method), e.path);
  for (const auto& e : Api::OpenEndpoints()) served.emplace(Lower(e.method), e.path);
  auto doc = Document();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      EXPECT_TRUE(served.count({std::string(method), std::string(path)}))
          << method << " " << path << " is documented but not served";
    }
  }
}

TEST(OpenApiTest, PathParametersAreDeclared) {
  auto doc = Document();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    std::string p(path);
    for (auto open = p.find('{'); open != std::string::npos; open = p.find('{', open + 1)) {
      const std::string name = p.substr(open + 1, p.find('}', open) - open - 1);
      for (const auto& [method, op] : item.as_object()) {
        bool declared = false;
        if (op.as_object().contains("parameters")) {
          for (const auto& param : op.at("parameters").as_array()) {
            declared = declared || (param.at("in") == "path" && param.at("name") == name.c_str());
          }
        }
        EXPECT_TRUE(declared) << method << " " << path << " does not declare {" << name << "}";
      }
    }
  }
}

TEST(OpenApiTest, EveryOperationHasAUniqueOperationId) {
  auto doc = Document();
  std::set<std::string> ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      const std::string where = std::string(method) + " " + std::string(path);
      ASSERT_TRUE(op.as_object().contains("operationId")) << where << " has no operationId";
      const std::string id(op.at("operationId").as_string());
      EXPECT_FALSE(id.empty()) << where;
      EXPECT_TRUE(ids.insert(id).second) << where << ": operationId " << id << " is not unique";
    }
  }
}

TEST(OpenApiTest, EverySuccessResponseHasASchema) {
  auto doc = Document();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      for (const auto& [code, response] : op.at("responses").as_object()) {
        if (code.empty() || code[0] != '2') continue;
        const std::string where =
            std::string(method) + " " + std::string(path) + " " + std::string(code);
        if (code == "204") {  // no content, so no schema
          EXPECT_FALSE(response.as_object().contains("content")) << where;
          continue;
        }
        ASSERT_TRUE(response.as_object().contains("content")) << where << " has no content";
        const auto& content = response.at("content").as_object();
        EXPECT_FALSE(content.empty()) << where;
        for (const auto& [media, body] : content) {
          ASSERT_TRUE(body.as_object().contains("schema")) << where << " " << media;
          EXPECT_FALSE(body.at("schema").as_object().empty()) << where << " " << media;
        }
      }
    }
  }
}

// Every `type` Problem() emits, for any status, names a problem type with a page (RFC 9457).
TEST(ProblemTypesTest, EveryEmittedTypeHasAnExplanationPage) {
  std::set<std::string> emitted;
  for (unsigned status = 400; status < 600; ++status) {
    auto r = Problem(status, "t", "d");
    const auto doc = json::parse(r.body);
    const std::string type(doc.at("type").as_string());
    ASSERT_TRUE(type.starts_with("/problems/")) << status << ": " << type;
    const std::string slug = type.substr(10);
    emitted.insert(slug);
    const ProblemType* t = FindProblemType(slug);
    ASSERT_NE(t, nullptr) << status << ": " << type << " has no explanation page";
    EXPECT_TRUE(t->status == status || t->status == 0) << status << ": " << type;
    auto page = ProblemPage(slug, "GET");
    EXPECT_EQ(page.status, 200u) << type;
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find(std::string(t->title)), std::string::npos) << type;
  }
  // And no page explains a type that is never emitted.
  for (const auto& t : ProblemTypes()) EXPECT_EQ(emitted.count(std::string(t.slug)), 1u) << t.slug;
  EXPECT_EQ(ProblemPage("no-such-type", "GET").status, 404u);
  EXPECT_EQ(ProblemPage("error", "POST").status, 405u);
}

}  // namespace
}  // namespace sakchy::service::openapi_test
