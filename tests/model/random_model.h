#pragma once
// A randomly initialised but well-behaved network for tests and the CLI fixture (until trained
// weights exist): BatchNorm statistics re-estimated on image-like random inputs so that
// eval-mode activations are well scaled, and each output rescaled to a spread of about
// `outputSpread`, so predictions depend visibly on the input and sometimes reach the clamp.
#include <torch/torch.h>

#include <string>

#include "core/model/model_file.h"
#include "core/model/network.h"

namespace hz::test {

// Smooth random images [N, 3, S, S] in [0, 1] and blob masks [N, 1, S, S] in {0, 1}.
inline std::pair<torch::Tensor, torch::Tensor> imageLikeBatch(int count, int size) {
    namespace F = torch::nn::functional;
    const auto upsample = [size](const torch::Tensor& t) {
        return F::interpolate(t, F::InterpolateFuncOptions()
                                     .size(std::vector<std::int64_t>{size, size})
                                     .mode(torch::kBilinear)
                                     .align_corners(false));
    };
    auto image = (upsample(torch::rand({count, 3, 6, 6})) + 0.05 * torch::randn({count, 3, size, size})).clamp(0, 1);
    auto mask = (upsample(torch::rand({count, 1, 4, 4})) > 0.55).to(torch::kFloat32);
    return {image, mask};
}

inline HarmonizerNet makeRandomNet(std::uint64_t seed, double outputSpread = 0.5) {
    torch::manual_seed(seed);
    HarmonizerNet net;
    // Calibrate at the predictor's input size: the statistics of a random network shift a lot
    // with the resolution.
    const auto [image, mask] = imageLikeBatch(4, 256);
    recalibrateBatchNorm(net, image, mask);
    net->eval();
    torch::NoGradGuard noGrad;
    const auto [testImage, testMask] = imageLikeBatch(8, 256);
    const auto raw = FoldedHarmonizerNet(net, torch::kCPU, true).forward(testImage, testMask);  // [8, 6]
    const auto mean = raw.mean(0);
    const auto spread = raw.std(0) + 1e-12;
    for (int i = 0; i < HarmonizerNetImpl::kOutputs; ++i) {
        // Centre and scale each output on images the statistics were not taken from.
        const double gain = outputSpread / spread[i].item<double>();
        net->outputs[i]->weight.mul_(gain);
        net->outputs[i]->bias.sub_(mean[i]).mul_(gain);
    }
    return net;
}

inline void writeRandomModel(const std::string& path, std::uint64_t seed, double outputSpread = 0.5) {
    auto net = makeRandomNet(seed, outputSpread);
    ModelMetadata metadata;
    metadata.modelVersion = "random-" + std::to_string(seed);
    metadata.trainingNotes = "untrained: random initialisation for tests";
    saveModel(path, net, metadata);
}

}  // namespace hz::test
