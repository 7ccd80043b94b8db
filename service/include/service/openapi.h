#pragma once
// The OpenAPI 3 document of the HTTP API (docs/openapi.json, compiled into the binary), served at
// GET /openapi.json. tests/service/openapi_test.cc checks that it lists every route Api serves.

#include <string_view>

namespace sakchy::service {

std::string_view OpenApiDocument();

}  // namespace sakchy::service
