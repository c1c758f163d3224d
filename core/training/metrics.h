#pragma once
// Image quality figures of spec section 7, per image on the 0-255 scale.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace hz::training {

// Reported for a perfect result (MSE = 0) instead of +infinity, so averages stay finite.
inline constexpr double kPsnrCap = 100.0;

struct ImageMetrics {
    double mse = 0;      // over all pixels and channels
    double fmse = 0;     // over foreground pixels (mask >= 0.5) and channels; 0 when the mask is empty
    double psnr = 0;     // 10 log10(255^2 / MSE), capped at kPsnrCap
    long foregroundPixels = 0;
};

// result, reference: CV_8UC3, CV_16UC3 (scaled to 0-255) or CV_32FC3 (already 0-255), same
// size; mask: CV_8UC1 (0..255), CV_16UC1 (0..65535) or CV_32FC1 (0..1), binarised at 0.5.
// Throws hz::Error on a size or type mismatch.
ImageMetrics computeMetrics(const cv::Mat& result, const cv::Mat& reference, const cv::Mat& mask);

double psnrFromMse(double mse);

// R^2 of each column of `predicted` against the same column of `truth` (both [N, K]):
// 1 - sum (p - t)^2 / sum (t - mean t)^2, in float64; 0 for a constant truth column. The
// trainer's and train-head's per-filter figures.
std::vector<double> columnR2(const torch::Tensor& predicted, const torch::Tensor& truth);

}  // namespace hz::training
