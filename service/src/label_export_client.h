#pragma once
// The client side of `sakchy model export-labels`: GET /v1/export/labels.ndjson from a running
// service, written to a file or standard output.

#include <cstddef>
#include <string>

#include "core/result.h"

namespace sakchy::service {

// `url` is http://HOST:PORT; `token` an analyst (or admin) token; `task` filters (may be empty);
// `out` a file path, or empty for standard output. Returns the number of lines written.
// Blocking.
[[nodiscard]] Result<std::size_t> DownloadLabels(const std::string& url, const std::string& token,
                                                 const std::string& task,
                                                 const std::string& out);

}  // namespace sakchy::service
