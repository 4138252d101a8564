// Shared Catch2 main: libsodium must be initialised before any test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "fieldcase/crypto/secret.h"

int main(int argc, char* argv[]) {
  if (!fieldcase::crypto::Init()) return 1;
  return Catch::Session().run(argc, argv);
}
