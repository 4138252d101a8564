// The replay driver: runs every registered target over its corpus (fuzz/corpus/<name>/)
// and over deterministic mutations of each file (bit flips, truncations, splices, length
// fields set to extremes), so the sanitizer build exercises every decoder on every run.
//   fuzz_replay CORPUS_DIR [mutations per file]
//   fuzz_replay --write-seeds DIR   (seeds from the real encoders: fuzz/seeds.cpp)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>

#include "fieldcase/crypto/secret.h"
#include "fuzz_target.h"


namespace fieldcase::fuzz {
void WriteSeeds(const std::filesystem::path& dir);
}

int main(int argc, char** argv) {
  using namespace fieldcase;
  if (!crypto::Init()) return 1;
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
    fuzz::WriteSeeds(argv[2]);
    return 0;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_replay CORPUS_DIR [mutations per file]\n");
    return 2;
  }
  const int mutations = argc > 2 ? std::atoi(argv[2]) : 200;
  std::mt19937_64 rng(20261201);
  size_t runs = 0;
  for (const auto& [name, fn] : fuzz::Targets()) {
    const auto dir = std::filesystem::path(argv[1]) / name;
    std::vector<Bytes> seeds{Bytes{}};
    if (std::filesystem::is_directory(dir)) {
      for (const auto& f : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(f.path(), std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    }
    if (seeds.size() == 1) {
      std::fprintf(stderr, "fuzz_replay: no corpus for %s in %s\n", name.c_str(), dir.c_str());
      return 1;
    }
    for (const Bytes& seed : seeds) {
      fn(seed);
      ++runs;
      for (int m = 0; m < mutations; ++m) {
        Bytes b = seed;
        switch (rng() % 5) {
          case 0:  // flip a few bits
            for (int k = 0; k < 1 + int(rng() % 4) && !b.empty(); ++k) b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
            break;
          case 1:  // cut
            b.resize(b.empty() ? 0 : rng() % b.size());
            break;
          case 2:  // a length-like field at an extreme
            if (b.size() >= 4) {
              const size_t at = rng() % (b.size() - 3);
              const uint8_t v = rng() % 2 ? 0xFF : 0x00;
              for (size_t k = 0; k < 4; ++k) b[at + k] = v;
            }
            break;
          case 3: {  // splice another seed's tail
            const Bytes& other = seeds[rng() % seeds.size()];
            if (!other.empty() && !b.empty()) {
              b.resize(rng() % b.size());
              b.insert(b.end(), other.begin() + long(rng() % other.size()), other.end());
            }
            break;
          }
          default:  // random bytes appended
            for (int k = 0; k < 1 + int(rng() % 64); ++k) b.push_back(uint8_t(rng()));
        }
        fn(b);
        ++runs;
      }
    }
  }
  std::printf("fuzz_replay: %zu targets, %zu inputs, no crash\n", fuzz::Targets().size(), runs);
  return 0;
}
