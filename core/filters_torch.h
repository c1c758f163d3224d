#pragma once
// The six filters of spec section 2 as differentiable LibTorch operations, for training
// and as the float64 reference the fast renderer is tested against.
//
// Shapes: images are [N, 3, H, W] RGB in [0, 1] (any floating dtype); arguments are [N]
// (one value per sample) or [N, 6] in restore order; masks are [N, 1, H, W] in [0, 1].
// Statistics (channel means, image mean) are taken per sample over the whole image.
#include <torch/torch.h>

#include <vector>

#include "params.h"

namespace hz::torchfilters {

torch::Tensor temperature(const torch::Tensor& image, const torch::Tensor& x);
torch::Tensor brightness(const torch::Tensor& image, const torch::Tensor& x);
// Forward value uses floor() as the spec writes it; the gradient is the continuous form's.
torch::Tensor contrast(const torch::Tensor& image, const torch::Tensor& x);
torch::Tensor saturation(const torch::Tensor& image, const torch::Tensor& x);
torch::Tensor highlight(const torch::Tensor& image, const torch::Tensor& x);
torch::Tensor shadow(const torch::Tensor& image, const torch::Tensor& x);

// One filter by its enum; x is clamped to [-1, 1] first.
torch::Tensor apply(Filter filter, const torch::Tensor& image, const torch::Tensor& x);

// Runs the whole chain in restore order on the whole image. Returns the six unblended
// intermediate images (after T, after T+B, ... after all six).
std::vector<torch::Tensor> restoreSteps(const torch::Tensor& image, const torch::Tensor& args);

// The product's output: M * F(I0; args) + (1 - M) * I0.
torch::Tensor harmonize(const torch::Tensor& image, const torch::Tensor& mask, const torch::Tensor& args);

// Blends a step result into the foreground only.
torch::Tensor blend(const torch::Tensor& filtered, const torch::Tensor& original, const torch::Tensor& mask);

// Convenience for a single image: [1,3,H,W] tensor of `params`' values as a [1, 6] tensor.
torch::Tensor argsTensor(const FilterParams& params, torch::Dtype dtype = torch::kFloat64);

}  // namespace hz::torchfilters
