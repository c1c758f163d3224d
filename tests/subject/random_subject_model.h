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
    {
        // One pass in plain training mode (every BatchNorm, the encoder's too) with momentum 1
        // sets the running statistics to this batch's.
        torch::NoGradGuard noGrad;
        net->torch::nn::Module::train(true);
        for (auto& module : net->modules(false))
            if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) bn->options.momentum(1.0);
        net->forward(torch::rand({4, 3, 64, 64}));
        for (auto& module : net->modules(false))
            if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) bn->options.momentum(0.01);
    }
    net->eval();
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
