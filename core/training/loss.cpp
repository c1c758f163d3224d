#include "core/training/loss.h"

#include <cmath>

#include "core/training/perturb.h"

namespace hz::training {

namespace {
constexpr double kCharbonnierEps = 1e-6;
constexpr double kAreaEps = 1e-6;
constexpr double kScaleEps = 1e-9;
}  // namespace

torch::Tensor maskedStepLoss(const torch::Tensor& prediction, const torch::Tensor& target, const torch::Tensor& mask) {
    const auto diff = prediction - target;
    const auto squared = diff * diff;
    // The constant floor sqrt(eps) is removed so that P == G is a loss of exactly zero.
    const auto perPixel = torch::sqrt(squared + kCharbonnierEps) - std::sqrt(kCharbonnierEps) + 10.0 * squared;
    const auto numerator = (mask * perPixel).sum({1, 2, 3});
    const auto area = mask.sum({1, 2, 3});
    return numerator / (area + kAreaEps);
}

DynamicLoss dynamicLoss(const std::vector<torch::Tensor>& steps, const std::vector<torch::Tensor>& targets,
                        const torch::Tensor& mask) {
    TORCH_CHECK(steps.size() == targets.size() && !steps.empty(), "dynamicLoss: steps and targets differ in count");
    std::vector<torch::Tensor> losses;
    for (std::size_t i = 0; i < steps.size(); ++i) losses.push_back(maskedStepLoss(steps[i], targets[i], mask));
    torch::Tensor scale = losses[0].detach();
    for (std::size_t i = 1; i < losses.size(); ++i) scale = scale + torch::relu(losses[i] - losses[i - 1]).detach();
    scale = scale + kScaleEps;
    torch::Tensor total = (losses[0] / scale).mean();
    for (std::size_t i = 1; i < losses.size(); ++i)
        total = total + (torch::relu(losses[i] - losses[i - 1].detach()) / scale).mean();
    DynamicLoss result;
    result.total = total;
    for (const auto& loss : losses) result.perStep.push_back(loss.detach());
    return result;
}

torch::Tensor finalStepLoss(const torch::Tensor& result, const torch::Tensor& real, const torch::Tensor& mask) {
    return maskedStepLoss(result, real, mask).mean();
}

torch::Tensor argumentLoss(const torch::Tensor& predicted, const torch::Tensor& restoring) {
    TORCH_CHECK(predicted.sizes() == restoring.sizes() && predicted.dim() == 2 && predicted.size(1) == kFilterCount,
                "argumentLoss: predicted and restoring must both be [K, 6]");
    const auto ranges = torch::tensor(std::vector<float>(kPerturbationRanges.begin(), kPerturbationRanges.end()),
                                      predicted.options());
    return ((predicted - restoring).abs() / ranges).sum(1).mean();
}

}  // namespace hz::training
