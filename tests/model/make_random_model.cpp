// make_random_model OUT.hzm [SEED] [SPREAD]: writes a randomly initialised (untrained) model,
// for the command-line tests and benchmarks until trained weights exist.
#include <cstdio>
#include <exception>
#include <string>

#include "tests/model/random_model.h"

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) {
        std::fprintf(stderr, "usage: make_random_model OUT.hzm [SEED] [SPREAD]\n");
        return 2;
    }
    try {
        // One thread: with two, OpenMP workers spinning against a parallel ctest make every pass many times slower.
        torch::set_num_threads(1);
        hz::test::writeRandomModel(argv[1], argc > 2 ? std::stoull(argv[2]) : 1, argc > 3 ? std::stod(argv[3]) : 0.5);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_random_model: %s\n", e.what());
        return 1;
    }
    return 0;
}
