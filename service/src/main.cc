#include <cstdio>
#include <exception>

#include "service/service.h"

// jemalloc's start-up options (read only when the binary links jemalloc; see core/allocator.h):
// a background thread returns freed pages to the system, instead of whichever request thread
// happens to free or allocate at the moment a purge is due.
extern "C" {
__attribute__((used)) const char* malloc_conf = "background_thread:true";
}

int main(int argc, char** argv) {
  try {
    return sakchy::service::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sakchy: fatal: %s\n", e.what());
    return 1;
  }
}
