#pragma once
// The filters' ceiling on a composite with ground truth: the six values that bring the
// foreground closest to the real photo, found by gradient descent on the differentiable
// filters (`hz::torchfilters`). What no network restricted to these six filters can beat;
// `eval --oracle` reports it beside the model so that a family's target can be read
// against what the filters allow at all.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <vector>

#include "core/params.h"

namespace hz::training {

struct OracleOptions {
    int fitSide = 128;          // fit on a copy whose longer side is at most this (area downscale)
    int iterations = 150;       // Adam steps per start
    double learningRate = 0.03;
};

// `composite` and `real`: BGR, 8- or 16-bit, same size; `mask`: 8- or 16-bit single channel.
// Minimises the foreground MSE (mask >= 0.5, as fMSE counts) of M * F(composite; x) +
// (1 - M) * composite against `real`, from each start in turn, and returns the values with
// the lowest loss seen (clamped to [-1, 1]). With no start, starts from zero.
FilterParams fitFilterValues(const cv::Mat& composite, const cv::Mat& mask, const cv::Mat& real,
                             const std::vector<FilterParams>& starts = {}, const OracleOptions& options = {});

// The same fit for a batch at once, on tensors: image, real [N,3,H,W] RGB in [0, 1], mask
// [N,1,H,W] in [0, 1] (any floating dtype, used as given: shrink them first). Each sample's
// loss is its own foreground MSE and Adam works per value, so the samples do not interact.
// Starts from zero (or `start`, [N,6]) and returns [N,6] float, restore order: each sample's
// values with the lowest loss seen (that loss, [N], into `lowestLoss` when given).
// Deterministic (no random numbers).
torch::Tensor fitFilterValuesBatch(const torch::Tensor& image, const torch::Tensor& mask, const torch::Tensor& real,
                                   int iterations, double learningRate, const torch::Tensor& start = {},
                                   torch::Tensor* lowestLoss = nullptr);

}  // namespace hz::training
