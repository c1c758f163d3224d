#pragma once
// An untrained subject model for tests and benchmarks (no shared/ data): random decoder and
// encoder, BatchNorm statistics measured on one batch of noise so that eval mode is well scaled.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "core/subject/subject_model.h"

namespace hz::test {

inline hz::subject::SubjectNet randomSubjectNet(std::uint64_t seed) {
    torch::manual_seed(seed);
    hz::subject::SubjectNet net;
    hz::subject::recalibrateSubjectBatchNorm(net, torch::rand({4, 3, 64, 64}));
    return net;
}

inline void writeRandomSubjectModel(const std::string& path, std::uint64_t seed, int inputSize = 320) {
    auto net = randomSubjectNet(seed);
    hz::subject::SubjectModelInfo info;
    info.inputSize = inputSize;
    info.modelVersion = "test-random-" + std::to_string(seed);
    info.trainingNotes = "untrained: random weights for tests";
    hz::subject::saveSubjectModel(path, net, info);
}

}  // namespace hz::test
