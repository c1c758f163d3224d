// make_random_subject_model OUT.hzm [SEED] [INPUT_SIZE]: writes an untrained subject model, the
// fixture of the Select Subject CLI and editor tests (they check plumbing, not mask quality).
#include <cstdio>
#include <exception>
#include <string>

#include "tests/subject/random_subject_model.h"

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) {
        std::fprintf(stderr, "usage: make_random_subject_model OUT.hzm [SEED] [INPUT_SIZE]\n");
        return 2;
    }
    try {
        torch::set_num_threads(1);
        hz::test::writeRandomSubjectModel(argv[1], argc > 2 ? std::stoull(argv[2]) : 1, argc > 3 ? std::stoi(argv[3]) : 320);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_random_subject_model: %s\n", e.what());
        return 1;
    }
    return 0;
}
