#include "label_export_client.h"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli_http.h"

namespace sakchy::service {

Result<std::size_t> DownloadLabels(const std::string& url, const std::string& token,
                                   const std::string& task, const std::string& out) {
  const auto to = cli::ParseUrl(url);
  if (!to) {
    return MakeError(ErrorCode::kInvalidArgument, "--url must be http://HOST:PORT, not '" + url + "'");
  }
  std::string target = "/v1/export/labels.ndjson";
  if (!task.empty()) target += "?task=" + boost::urls::encode(task, boost::urls::unreserved_chars);
  // The file is opened at the first byte of a 200 answer: a refusal leaves it untouched.
  std::ofstream file;
  bool opened = out.empty();
  auto open = [&] {
    if (opened) return;
    opened = true;
    file.open(out, std::ios::binary | std::ios::trunc);
  };
  std::ostream& sink = out.empty() ? std::cout : file;
  std::size_t lines = 0;
  auto write = [&](std::string_view piece) {
    open();
    sink.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    for (char c : piece) lines += c == '\n' ? 1 : 0;
  };
  const cli::Reply r = cli::Exchange(*to, token, {.target = target, .on_chunk = write});
  if (r.status == 0) return MakeError(ErrorCode::kUnavailable, url + ": " + r.error);
  if (r.status != 200) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the service answered " + std::to_string(r.status) + ": " + r.body);
  }
  open();
  sink.flush();
  if (!sink) return MakeError(ErrorCode::kIo, (out.empty() ? "standard output" : out) + ": write failed");
  return lines;
}

}  // namespace sakchy::service
