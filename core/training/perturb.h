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

// The argument of each restore step that undoes a perturbation argument r, by formula.
// Brightness, Contrast and Saturation invert at -r (their factors are 1 + r against
// 1 / (1 - r)), Contrast only nearly (its floor() and its moving mean); Temperature only
// roughly (its statistics move with the image; see restoringArgsFor). Highlight and Shadow are
// gamma curves with exponents 1 + r and 1 - r, so they invert at -r / (1 + r) and -r / (1 - r):
// at r = -0.4 the Highlight that restores is +0.67, not +0.4.
std::array<double, kFilterCount> restoringArgs(const std::array<double, kFilterCount>& perturbation);
// perturbation: [N,6] in restore order -> [N,6].
torch::Tensor restoringArgs(const torch::Tensor& perturbation);

// images: [N,C,H,W] -> the same, area-averaged so that the longer side is at most maxSide
// (aspect kept; returned as is when it already fits). Area averaging, because the fits and
// searches that use it compare means, which a point-sampled shrink would alias.
torch::Tensor areaShrinkToLongSide(const torch::Tensor& images, std::int64_t maxSide);

// The truth the argument loss and the evaluation's R^2 use: for each restore step, the
// argument that best maps the image that step receives onto its target (foreground error),
// given a perturbed photo. Brightness, Saturation, Highlight and Shadow take the formulas
// above; Temperature and Contrast depend on the image's statistics (Temperature's -r leaves
// up to 9% of the range on a mid-grey photo at r = 0.24), so they are found by a
// coarse-to-fine search started at those formulas. Computed on a copy at most 64 px a side
// (statistics are means; the search is then cheap next to a training step).
// real: [N,3,H,W] RGB in [0,1]; mask: [N,1,H,W]; perturbation: [N,6] restore order -> [N,6].
torch::Tensor restoringArgsFor(const torch::Tensor& real, const torch::Tensor& mask, const torch::Tensor& perturbation);

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
