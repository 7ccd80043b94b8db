#pragma once
// The one seam through which config, areas and rules files are read: a real path on disk, or
// "embedded:<relative path>" for the defaults compiled into the binary (config/defaults/).

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sakchy::config {

inline constexpr std::string_view kEmbeddedPrefix = "embedded:";

// Whole file contents. kNotFound / kIo with the path in the message.
[[nodiscard]] Result<std::string> ReadTextFile(const std::string& path);
// Paths of "*.yaml" / "*.yml" files directly in `dir`, sorted by name.
[[nodiscard]] Result<std::vector<std::string>> ListYamlFiles(const std::string& dir);
// Resolves `relative` against the directory of `base_file` (both may be embedded).
std::string ResolvePath(const std::string& base_file, const std::string& relative);

}  // namespace sakchy::config
