#pragma once
// spdlog set-up: human-readable text (default) or JSON lines on stderr.

#include <string>

#include "core/result.h"

namespace sakchy::service {

[[nodiscard]] Status SetupLogging(const std::string& format, const std::string& level);

}  // namespace sakchy::service
