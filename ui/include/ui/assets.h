#pragma once
// The web console's static files, compiled into the binary (ui/embed_assets.cmake): ui/web/**
// and the vendor files of Debian's libjs-leaflet under vendor/leaflet/.

#include <span>
#include <string_view>

namespace sakchy::ui {

struct Asset {
  std::string_view path;  // relative URL path under /ui/, e.g. "index.html", "js/app.js"
  std::string_view body;  // the file's bytes
  std::string_view gzip;  // the same, gzip-compressed (level 9)
  std::string_view etag;  // strong ETag with its quotes: a prefix of the SHA-256 of body
};

// In no particular order. Immutable; safe to read from any thread.
std::span<const Asset> Assets();

}  // namespace sakchy::ui
