#include "core/allocator.h"

#include <malloc.h>

#include <cstdint>

// jemalloc's control interface. Weak: the symbol is there only when the binary links jemalloc
// (Debian's build has no prefix, so it also replaces malloc and free).
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace sakchy {
namespace {

bool HaveJemalloc() { return mallctl != nullptr; }

template <typename T>
bool Read(const char* name, T* out) {
  std::size_t size = sizeof(T);
  return mallctl(name, out, &size, nullptr, 0) == 0;
}

}  // namespace

std::string AllocatorName() {
  if (!HaveJemalloc()) return "glibc malloc";
  const char* version = nullptr;
  if (!Read("version", &version) || version == nullptr) return "jemalloc";
  return std::string("jemalloc ") + version;
}

std::optional<AllocatorStats> ReadAllocatorStats() {
  if (!HaveJemalloc()) return std::nullopt;
  // Statistics are cached by jemalloc; advancing the epoch refreshes them.
  std::uint64_t epoch = 1;
  std::size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  AllocatorStats s;
  if (!Read("stats.allocated", &s.allocated) || !Read("stats.active", &s.active) ||
      !Read("stats.resident", &s.resident) || !Read("stats.retained", &s.retained)) {
    return std::nullopt;  // a jemalloc built without statistics
  }
  return s;
}

void ReleaseFreeMemory() {
  if (!HaveJemalloc()) {
    malloc_trim(0);
    return;
  }
  // MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
}

}  // namespace sakchy
