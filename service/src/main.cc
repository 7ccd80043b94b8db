#include <cstdio>
#include <exception>

#include "service/service.h"

int main(int argc, char** argv) {
  try {
    return sakchy::service::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sakchy: fatal: %s\n", e.what());
    return 1;
  }
}
