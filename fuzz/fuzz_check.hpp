#pragma once
// What every fuzz target shares: an invariant that fails aborts (libFuzzer saves the input),
// and a refused input (posemb::Error) is printed when POSEMB_FUZZ_VERBOSE is set, to see
// why a seed is refused: POSEMB_FUZZ_VERBOSE=1 build/fuzz/fuzz/npy_fuzz fuzz/corpus/npy/*
#include <cstdio>
#include <cstdlib>

#include "posemb/core/error.hpp"

namespace posemb::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

inline void refused(const Error& e) {
  static const bool verbose = std::getenv("POSEMB_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
}

}  // namespace posemb::fuzz
