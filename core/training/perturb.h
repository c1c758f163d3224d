#pragma once
// The two families of synthetic composites the trainer learns from (spec section 4).
//
// Six-filter family: random filter arguments applied to a real photo in reverse restore
// order, each step blended into the foreground only; the intermediate images are the
// per-step targets of the restore chain.
//
// Transfer family (the stand-in for iHarmony4's real composites, supervised on the final
// output only): the foreground's colours are pulled toward another photo's region (Lab
// mean/std transfer), its white balance shifted (per-channel gains) and its tone curve
// changed (gamma, S-curve), in random combination.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <array>
#include <random>
#include <vector>

#include "core/params.h"

namespace hz::training {

// Spec section 4: r_i = U(-1, 1) * range_i, restore order (T, B, C, S, H, Sh).
inline constexpr std::array<double, kFilterCount> kPerturbationRanges{0.3, 0.5, 0.5, 0.6, 0.4, 0.4};

std::array<double, kFilterCount> drawSixFilterArgs(std::mt19937& rng);

struct SixFilterPair {
    torch::Tensor composite;             // [N,3,H,W]: the network's input
    std::vector<torch::Tensor> targets;  // 6 x [N,3,H,W]: targets[i] = image before perturbation i; targets[5] = real
};

// real: [N,3,H,W] RGB in [0,1]; mask: [N,1,H,W]; args: [N,6] perturbation arguments in
// restore order. Filters run on the whole running image; only the foreground takes the result.
SixFilterPair makeSixFilterPair(const torch::Tensor& real, const torch::Tensor& mask, const torch::Tensor& args);

// What a transfer-family perturbation does; drawn once per sample so a fixed seed gives a
// fixed composite.
struct TransferRecipe {
    bool labTransfer = false;
    double labStrength = 0.0;                // 0..1 of the full mean/std transfer
    bool whiteBalance = false;
    std::array<double, 3> gainsRgb{1, 1, 1};
    bool toneCurve = false;
    double gamma = 1.0;                      // y = x^gamma
    double sCurve = 0.0;                     // y = (1-a) x + a smoothstep(x), a in [-0.6, 0.8]
};

TransferRecipe drawTransferRecipe(std::mt19937& rng);

// rgb: CV_32FC3 RGB in [0,1]; mask: CV_32FC1 in [0,1]; reference / referenceMask: the
// region whose Lab statistics the foreground is pulled toward (any size). Returns the
// composite (CV_32FC3, background exactly `rgb`).
cv::Mat applyTransfer(const cv::Mat& rgb, const cv::Mat& mask, const cv::Mat& reference, const cv::Mat& referenceMask,
                      const TransferRecipe& recipe);

}  // namespace hz::training
