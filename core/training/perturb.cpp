#include "core/training/perturb.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/filters_torch.h"

namespace hz::training {
namespace {

struct ChannelStats {
    cv::Vec3d mean{0, 0, 0}, stddev{1, 1, 1};
    double weight = 0;
};

// Mask-weighted per-channel mean and standard deviation of a CV_32FC3 image.
ChannelStats weightedStats(const cv::Mat& image, const cv::Mat& weights) {
    ChannelStats stats;
    cv::Vec3d sum{0, 0, 0}, sumSq{0, 0, 0};
    for (int y = 0; y < image.rows; ++y) {
        const cv::Vec3f* px = image.ptr<cv::Vec3f>(y);
        const float* w = weights.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
            if (w[x] <= 0.f) continue;
            stats.weight += w[x];
            for (int c = 0; c < 3; ++c) {
                sum[c] += w[x] * px[x][c];
                sumSq[c] += w[x] * double(px[x][c]) * px[x][c];
            }
        }
    }
    if (stats.weight <= 0) return stats;
    for (int c = 0; c < 3; ++c) {
        stats.mean[c] = sum[c] / stats.weight;
        stats.stddev[c] = std::sqrt(std::max(0.0, sumSq[c] / stats.weight - stats.mean[c] * stats.mean[c]));
    }
    return stats;
}

cv::Mat labTransfer(const cv::Mat& rgb, const cv::Mat& mask, const cv::Mat& reference, const cv::Mat& referenceMask,
                    double strength) {
    cv::Mat lab, referenceLab;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
    cv::cvtColor(reference, referenceLab, cv::COLOR_RGB2Lab);
    const ChannelStats source = weightedStats(lab, mask);
    const ChannelStats target = weightedStats(referenceLab, referenceMask);
    if (source.weight <= 0 || target.weight <= 0) return rgb.clone();
    cv::Vec3f scale, shift;
    for (int c = 0; c < 3; ++c) {
        // Ratios far from 1 come from tiny or flat regions and give unrealistic composites.
        const double ratio = std::clamp(target.stddev[c] / std::max(source.stddev[c], 1e-3), 0.5, 2.0);
        // x' = x + s * ((x - mu_s) * ratio + mu_t - x)
        scale[c] = float(1.0 + strength * (ratio - 1.0));
        shift[c] = float(strength * (target.mean[c] - source.mean[c] * ratio));
    }
    for (int y = 0; y < lab.rows; ++y) {
        cv::Vec3f* px = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < lab.cols; ++x)
            for (int c = 0; c < 3; ++c) px[x][c] = px[x][c] * scale[c] + shift[c];
    }
    cv::Mat out;
    cv::cvtColor(lab, out, cv::COLOR_Lab2RGB);
    return out;
}

float toneCurve(float x, double gamma, double s) {
    x = std::clamp(x, 0.f, 1.f);
    const double g = std::pow(double(x), gamma);
    const double smooth = g * g * (3.0 - 2.0 * g);
    return float((1.0 - s) * g + s * smooth);
}

}  // namespace

std::array<double, kFilterCount> drawSixFilterArgs(std::mt19937& rng) {
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::array<double, kFilterCount> args{};
    for (int i = 0; i < kFilterCount; ++i) args[std::size_t(i)] = unit(rng) * kPerturbationRanges[std::size_t(i)];
    return args;
}

std::array<double, kFilterCount> restoringArgs(const std::array<double, kFilterCount>& perturbation) {
    std::array<double, kFilterCount> restore{};
    for (int i = 0; i < kFilterCount; ++i) restore[std::size_t(i)] = -perturbation[std::size_t(i)];
    const double h = perturbation[std::size_t(Filter::Highlight)];
    const double sh = perturbation[std::size_t(Filter::Shadow)];
    restore[std::size_t(Filter::Highlight)] = -h / (1.0 + h);
    restore[std::size_t(Filter::Shadow)] = -sh / (1.0 - sh);
    return restore;
}

torch::Tensor restoringArgs(const torch::Tensor& perturbation) {
    TORCH_CHECK(perturbation.dim() == 2 && perturbation.size(1) == kFilterCount, "perturbation args must be [N, 6]");
    torch::Tensor restore = -perturbation;
    const auto h = perturbation.select(1, int(Filter::Highlight));
    const auto sh = perturbation.select(1, int(Filter::Shadow));
    restore.select(1, int(Filter::Highlight)).copy_(-h / (1.0 + h));
    restore.select(1, int(Filter::Shadow)).copy_(-sh / (1.0 - sh));
    return restore;
}

namespace {

// Per sample, the argument of `filter` in [-1, 1] that brings blend(filter(input, x), input)
// closest to `target` over the foreground, searched around `start` ([N]).
torch::Tensor searchRestoringArgument(Filter filter, const torch::Tensor& input, const torch::Tensor& target,
                                      const torch::Tensor& mask, const torch::Tensor& start) {
    const auto area = mask.sum({1, 2, 3}).clamp_min(1e-9);
    const auto errorAt = [&](const torch::Tensor& x) {
        const auto out = torchfilters::blend(torchfilters::apply(filter, input, x), input, mask);
        return ((out - target).pow(2) * mask).sum({1, 2, 3}) / area;
    };
    torch::Tensor best = start.clamp(-1.0, 1.0);
    torch::Tensor bestError = errorAt(best);
    double halfWidth = 0.5;
    for (int stage = 0; stage < 3; ++stage) {
        const double step = halfWidth / 20.0;
        const torch::Tensor centre = best.clone();
        for (int k = -20; k <= 20; ++k) {
            const auto x = (centre + k * step).clamp(-1.0, 1.0);
            const auto error = errorAt(x);
            const auto better = error < bestError;
            best = torch::where(better, x, best);
            bestError = torch::where(better, error, bestError);
        }
        halfWidth = step;
    }
    return best;
}

}  // namespace

torch::Tensor areaShrinkToLongSide(const torch::Tensor& images, std::int64_t maxSide) {
    TORCH_CHECK(images.dim() == 4 && maxSide > 0, "areaShrinkToLongSide: shapes");
    const std::int64_t longSide = std::max(images.size(2), images.size(3));
    if (longSide <= maxSide) return images;
    const double scale = double(maxSide) / double(longSide);
    const std::vector<std::int64_t> side{std::max<std::int64_t>(1, std::int64_t(images.size(2) * scale)),
                                        std::max<std::int64_t>(1, std::int64_t(images.size(3) * scale))};
    return torch::nn::functional::interpolate(images, torch::nn::functional::InterpolateFuncOptions().size(side).mode(torch::kArea));
}

torch::Tensor restoringArgsFor(const torch::Tensor& real, const torch::Tensor& mask, const torch::Tensor& perturbation) {
    TORCH_CHECK(real.dim() == 4 && mask.dim() == 4 && real.size(0) == perturbation.size(0), "restoringArgsFor: shapes");
    torch::NoGradGuard noGrad;
    constexpr std::int64_t kSearchSide = 64;
    const auto small = areaShrinkToLongSide(real.to(torch::kFloat64), kSearchSide);
    const auto smallMask = areaShrinkToLongSide(mask.to(torch::kFloat64), kSearchSide);
    const auto r = perturbation.to(torch::kFloat64);
    const SixFilterPair pair = makeSixFilterPair(small, smallMask, r);
    torch::Tensor restore = restoringArgs(r);
    for (const Filter filter : {Filter::Temperature, Filter::Contrast}) {
        const int i = int(filter);
        const auto& input = i == 0 ? pair.composite : pair.targets[std::size_t(i - 1)];
        restore.select(1, i).copy_(
            searchRestoringArgument(filter, input, pair.targets[std::size_t(i)], smallMask, restore.select(1, i)));
    }
    return restore.to(perturbation.scalar_type());
}

SixFilterPair makeSixFilterPair(const torch::Tensor& real, const torch::Tensor& mask, const torch::Tensor& args) {
    TORCH_CHECK(args.dim() == 2 && args.size(1) == kFilterCount, "perturbation args must be [N, 6]");
    SixFilterPair pair;
    pair.targets.resize(kFilterCount);
    torch::NoGradGuard noGrad;
    torch::Tensor current = real;
    for (int i = kFilterCount - 1; i >= 0; --i) {
        pair.targets[std::size_t(i)] = current;
        const auto filtered = torchfilters::apply(Filter(i), current, args.select(1, i));
        current = torchfilters::blend(filtered, current, mask);
    }
    pair.composite = current;
    return pair;
}

TransferRecipe drawTransferRecipe(std::mt19937& rng) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    TransferRecipe recipe;
    // At least one component; each present with probability about one half.
    while (!recipe.labTransfer && !recipe.whiteBalance && !recipe.toneCurve) {
        recipe.labTransfer = unit(rng) < 0.6;
        recipe.whiteBalance = unit(rng) < 0.5;
        recipe.toneCurve = unit(rng) < 0.5;
    }
    recipe.labStrength = 0.4 + 0.6 * unit(rng);
    for (auto& gain : recipe.gainsRgb) gain = std::exp(-0.25 + 0.5 * unit(rng));
    recipe.gamma = std::exp(-0.5 + 1.0 * unit(rng));
    recipe.sCurve = -0.6 + 1.4 * unit(rng);
    return recipe;
}

cv::Mat applyTransfer(const cv::Mat& rgb, const cv::Mat& mask, const cv::Mat& reference, const cv::Mat& referenceMask,
                      const TransferRecipe& recipe) {
    CV_Assert(rgb.type() == CV_32FC3 && mask.type() == CV_32FC1 && mask.size() == rgb.size());
    cv::Mat filtered = recipe.labTransfer ? labTransfer(rgb, mask, reference, referenceMask, recipe.labStrength) : rgb.clone();
    for (int y = 0; y < filtered.rows; ++y) {
        cv::Vec3f* px = filtered.ptr<cv::Vec3f>(y);
        for (int x = 0; x < filtered.cols; ++x) {
            for (int c = 0; c < 3; ++c) {
                float v = std::clamp(px[x][c], 0.f, 1.f);
                if (recipe.whiteBalance) v = std::min(1.f, float(v * recipe.gainsRgb[std::size_t(c)]));
                if (recipe.toneCurve) v = toneCurve(v, recipe.gamma, recipe.sCurve);
                px[x][c] = v;
            }
        }
    }
    cv::Mat out(rgb.size(), CV_32FC3);
    for (int y = 0; y < rgb.rows; ++y) {
        const cv::Vec3f* src = rgb.ptr<cv::Vec3f>(y);
        const cv::Vec3f* f = filtered.ptr<cv::Vec3f>(y);
        const float* m = mask.ptr<float>(y);
        cv::Vec3f* o = out.ptr<cv::Vec3f>(y);
        for (int x = 0; x < rgb.cols; ++x) o[x] = m[x] > 0.f ? cv::Vec3f(m[x] * f[x] + (1.f - m[x]) * src[x]) : src[x];
    }
    return out;
}

}  // namespace hz::training
