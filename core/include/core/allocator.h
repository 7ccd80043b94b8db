#pragma once
// The process's memory allocator, seen from the code. The `sakchy` binary and the benchmarks link
// jemalloc (CMake option SAKCHY_JEMALLOC): many threads allocate and free small objects at high
// rates, where glibc's malloc both costs more CPU and fragments its per-thread arenas. Test and
// sanitizer builds run on whatever allocator they have; these functions find out at run time.

#include <cstddef>
#include <optional>
#include <string>

namespace sakchy {

struct AllocatorStats {
  std::size_t allocated = 0;   // bytes in live allocations
  std::size_t active = 0;      // bytes in pages holding live allocations
  std::size_t resident = 0;    // bytes of allocator memory resident in RAM (incl. its metadata)
  std::size_t retained = 0;    // bytes of virtual memory kept mapped for reuse, not resident
};

// The allocator's figures; std::nullopt when the process runs on an allocator without statistics
// (glibc malloc).
std::optional<AllocatorStats> ReadAllocatorStats();

// "jemalloc <version>" or "glibc malloc".
std::string AllocatorName();

// Returns memory freed by the program to the system (jemalloc: purges every arena; glibc:
// malloc_trim). For measurements and after large one-off work such as a ruleset compile.
void ReleaseFreeMemory();

}  // namespace sakchy
