#include "config/files.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "embedded.h"

namespace sakchy::config {
namespace {

namespace fs = std::filesystem;

bool IsEmbedded(std::string_view path) { return path.starts_with(kEmbeddedPrefix); }

// The normalised relative path inside the embedded tree: "./rules/" -> "rules", "." -> "".
std::string EmbeddedRelative(std::string_view path) {
  std::string rel = fs::path(std::string(path.substr(kEmbeddedPrefix.size())))
                        .lexically_normal()
                        .generic_string();
  while (!rel.empty() && rel.back() == '/') rel.pop_back();
  if (rel == ".") rel.clear();
  return rel;
}

bool IsYamlName(std::string_view name) { return name.ends_with(".yaml") || name.ends_with(".yml"); }

Result<std::string> ReadEmbedded(const std::string& path) {
  const std::string rel = EmbeddedRelative(path);
  for (const auto& file : internal::EmbeddedFiles()) {
    if (file.path == rel) return std::string(file.contents);
  }
  return MakeError(ErrorCode::kNotFound, "cannot open " + path + ": no such embedded file");
}

Result<std::vector<std::string>> ListEmbedded(const std::string& dir) {
  const std::string rel = EmbeddedRelative(dir);
  const std::string prefix = rel.empty() ? "" : rel + "/";
  bool dir_exists = rel.empty();
  std::vector<std::string> out;
  for (const auto& file : internal::EmbeddedFiles()) {
    if (!file.path.starts_with(prefix)) continue;
    dir_exists = true;
    std::string_view rest = file.path.substr(prefix.size());
    if (rest.find('/') != std::string_view::npos || !IsYamlName(rest)) continue;
    out.push_back(std::string(kEmbeddedPrefix) + std::string(file.path));
  }
  if (!dir_exists) {
    return MakeError(ErrorCode::kNotFound, "cannot open " + dir + ": no such embedded directory");
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  if (IsEmbedded(path)) return ReadEmbedded(path);
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "cannot open " + path + ": " + std::strerror(err));
  }
  std::string contents;
  char buffer[64 * 1024];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    contents.append(buffer, n);
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(file.get())) {
    const int err = errno;
    return MakeError(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(err));
  }
  return contents;
}

Result<std::vector<std::string>> ListYamlFiles(const std::string& dir) {
  if (IsEmbedded(dir)) return ListEmbedded(dir);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return MakeError(
        ec == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIo,
        "cannot open " + dir + ": " + ec.message());
  }
  std::vector<std::pair<std::string, std::string>> found;  // {name, path}
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!IsYamlName(name)) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    found.emplace_back(name, it->path().string());
  }
  if (ec) return MakeError(ErrorCode::kIo, "cannot list " + dir + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  out.reserve(found.size());
  for (auto& [name, path] : found) out.push_back(std::move(path));
  return out;
}

std::string ResolvePath(const std::string& base_file, const std::string& relative) {
  if (IsEmbedded(relative) || (!relative.empty() && relative.front() == '/')) return relative;
  if (IsEmbedded(base_file)) {
    const fs::path base_dir = fs::path(EmbeddedRelative(base_file)).parent_path();
    std::string joined = (base_dir / relative).lexically_normal().generic_string();
    while (!joined.empty() && joined.back() == '/') joined.pop_back();
    if (joined == ".") joined.clear();
    return std::string(kEmbeddedPrefix) + joined;
  }
  std::string_view rel = relative;
  while (rel.starts_with("./")) rel.remove_prefix(2);
  const fs::path base_dir = fs::path(base_file).parent_path();
  if (base_dir.empty()) return relative;
  if (rel.empty() || rel == ".") return base_dir.string();
  return (base_dir / std::string(rel)).string();
}

}  // namespace sakchy::config
