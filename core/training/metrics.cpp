#include "core/training/metrics.h"

#include <cmath>

#include "core/image_io.h"

namespace hz::training {
namespace {

cv::Mat asFloat255(const cv::Mat& image) {
    cv::Mat out;
    switch (image.depth()) {
        case CV_8U: image.convertTo(out, CV_32F); break;
        case CV_16U: image.convertTo(out, CV_32F, 255.0 / 65535.0); break;
        case CV_32F: out = image; break;
        default: throw hz::Error("metrics: unsupported image depth (expected 8-bit, 16-bit or float)");
    }
    return out;
}

// Foreground = mask at or above half of its full scale.
cv::Mat foreground(const cv::Mat& mask) {
    switch (mask.type()) {
        case CV_8UC1: return mask >= 128;
        case CV_16UC1: return mask >= 32768;
        case CV_32FC1: return mask >= 0.5f;
        default: throw hz::Error("metrics: mask must be one channel, 8-bit, 16-bit or float");
    }
}

}  // namespace

double psnrFromMse(double mse) {
    if (mse <= 0) return kPsnrCap;
    return std::min(kPsnrCap, 10.0 * std::log10(255.0 * 255.0 / mse));
}

ImageMetrics computeMetrics(const cv::Mat& result, const cv::Mat& reference, const cv::Mat& mask) {
    if (result.size() != reference.size() || result.size() != mask.size())
        throw hz::Error("metrics: result, reference and mask differ in size");
    if (result.channels() != 3 || reference.channels() != 3) throw hz::Error("metrics: images must have 3 channels");
    const cv::Mat a = asFloat255(result), b = asFloat255(reference);
    const cv::Mat fg = foreground(mask);
    ImageMetrics metrics;
    double total = 0, foregroundTotal = 0;
    for (int y = 0; y < a.rows; ++y) {
        const cv::Vec3f* pa = a.ptr<cv::Vec3f>(y);
        const cv::Vec3f* pb = b.ptr<cv::Vec3f>(y);
        const std::uint8_t* pm = fg.ptr<std::uint8_t>(y);
        for (int x = 0; x < a.cols; ++x) {
            double pixel = 0;
            for (int c = 0; c < 3; ++c) {
                const double d = double(pa[x][c]) - double(pb[x][c]);
                pixel += d * d;
            }
            total += pixel;
            if (pm[x]) {
                foregroundTotal += pixel;
                ++metrics.foregroundPixels;
            }
        }
    }
    const double count = double(a.total()) * 3.0;
    metrics.mse = count > 0 ? total / count : 0.0;
    metrics.fmse = metrics.foregroundPixels > 0 ? foregroundTotal / (3.0 * double(metrics.foregroundPixels)) : 0.0;
    metrics.psnr = psnrFromMse(metrics.mse);
    return metrics;
}

std::vector<double> columnR2(const torch::Tensor& predicted, const torch::Tensor& truth) {
    const auto t = truth.to(torch::kFloat64);
    const auto residual = (predicted.to(torch::kFloat64) - t).pow(2).sum(0);
    const auto total = (t - t.mean(0, true)).pow(2).sum(0);
    std::vector<double> r2;
    for (std::int64_t i = 0; i < t.size(1); ++i) {
        const double spread = total[i].item<double>();
        r2.push_back(spread > 0 ? 1.0 - residual[i].item<double>() / spread : 0.0);
    }
    return r2;
}

}  // namespace hz::training
