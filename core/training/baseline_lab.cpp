#include "core/training/baseline_lab.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/image_io.h"

namespace hz::training {
namespace {

struct Stats {
    cv::Vec3d mean{0, 0, 0}, stddev{0, 0, 0};
    double weight = 0;
};

Stats weighted(const cv::Mat& lab, const cv::Mat& weights) {
    Stats s;
    cv::Vec3d sum{0, 0, 0}, sumSq{0, 0, 0};
    for (int y = 0; y < lab.rows; ++y) {
        const cv::Vec3f* px = lab.ptr<cv::Vec3f>(y);
        const float* w = weights.ptr<float>(y);
        for (int x = 0; x < lab.cols; ++x) {
            if (w[x] <= 0.f) continue;
            s.weight += w[x];
            for (int c = 0; c < 3; ++c) {
                sum[c] += w[x] * double(px[x][c]);
                sumSq[c] += w[x] * double(px[x][c]) * px[x][c];
            }
        }
    }
    if (s.weight <= 0) return s;
    for (int c = 0; c < 3; ++c) {
        s.mean[c] = sum[c] / s.weight;
        s.stddev[c] = std::sqrt(std::max(0.0, sumSq[c] / s.weight - s.mean[c] * s.mean[c]));
    }
    return s;
}

}  // namespace

cv::Mat labBaseline(const cv::Mat& image, const cv::Mat& mask16, const LabBaselineOptions& options) {
    if (image.type() != CV_8UC3 && image.type() != CV_16UC3)
        throw hz::Error("Lab baseline: image must be 8- or 16-bit BGR");
    if (mask16.type() != CV_16UC1 || mask16.size() != image.size())
        throw hz::Error("Lab baseline: mask must be 16-bit, one channel, the image's size");
    const double fullScale = image.depth() == CV_8U ? 255.0 : 65535.0;
    cv::Mat bgr, lab, fgWeight, bgWeight;
    image.convertTo(bgr, CV_32F, 1.0 / fullScale);
    cv::cvtColor(bgr, lab, cv::COLOR_BGR2Lab);
    mask16.convertTo(fgWeight, CV_32F, 1.0 / 65535.0);
    bgWeight = 1.0f - fgWeight;
    const Stats fg = weighted(lab, fgWeight), bg = weighted(lab, bgWeight);
    if (fg.weight <= 0 || bg.weight <= 0) return image.clone();

    const double s = std::clamp(options.strength, 0.0, 1.0);
    const double maxRatio = std::max(1.0, options.maxStdRatio);
    cv::Vec3f scale, shift;
    for (int c = 0; c < 3; ++c) {
        const double ratio = fg.stddev[c] > 1e-6 ? std::clamp(bg.stddev[c] / fg.stddev[c], 1.0 / maxRatio, maxRatio) : 1.0;
        // x' = x + s * ((x - mu_fg) * ratio + mu_bg - x)
        scale[c] = float(1.0 + s * (ratio - 1.0));
        shift[c] = float(s * (bg.mean[c] - fg.mean[c] * ratio));
    }
    for (int y = 0; y < lab.rows; ++y) {
        cv::Vec3f* px = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < lab.cols; ++x)
            for (int c = 0; c < 3; ++c) px[x][c] = px[x][c] * scale[c] + shift[c];
    }
    cv::Mat transferred;
    cv::cvtColor(lab, transferred, cv::COLOR_Lab2BGR);

    cv::Mat out = image.clone();
    const auto blendRows = [&](auto sample) {
        using T = decltype(sample);
        for (int y = 0; y < out.rows; ++y) {
            T* o = out.ptr<T>(y);
            const cv::Vec3f* f = transferred.ptr<cv::Vec3f>(y);
            const float* m = fgWeight.ptr<float>(y);
            for (int x = 0; x < out.cols; ++x) {
                if (m[x] <= 0.f) continue;  // background stays the input, bit for bit
                for (int c = 0; c < 3; ++c) {
                    const double filtered = std::clamp(double(f[x][c]), 0.0, 1.0) * fullScale;
                    const double blended = m[x] * filtered + (1.0 - m[x]) * double(o[x][c]);
                    o[x][c] = cv::saturate_cast<typename T::value_type>(std::lround(blended));
                }
            }
        }
    };
    if (image.depth() == CV_8U) blendRows(cv::Vec3b{});
    else blendRows(cv::Vec3w{});
    return out;
}

}  // namespace hz::training
