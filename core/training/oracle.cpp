#include "core/training/oracle.h"

#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "core/filters_torch.h"
#include "core/training/batch.h"

namespace hz::training {
namespace {

cv::Mat shrunk(const cv::Mat& image, int side) {
    const int longer = std::max(image.cols, image.rows);
    if (side <= 0 || longer <= side) return image;
    const double scale = double(side) / double(longer);
    cv::Mat out;
    cv::resize(image, out, {std::max(1, int(image.cols * scale + 0.5)), std::max(1, int(image.rows * scale + 0.5))}, 0, 0,
               cv::INTER_AREA);
    return out;
}

torch::Tensor paramsTensor(const FilterParams& params) {
    const auto values = params.clamped().toArray();
    return torch::tensor(std::vector<double>(values.begin(), values.end()), torch::kFloat32).reshape({1, kFilterCount});
}

}  // namespace

FilterParams fitFilterValues(const cv::Mat& composite, const cv::Mat& mask, const cv::Mat& real,
                             const std::vector<FilterParams>& starts, const OracleOptions& options) {
    if (composite.size() != real.size() || composite.size() != mask.size())
        throw hz::Error("fitFilterValues: composite, mask and real photo differ in size");
    // [1,3,h,w] RGB and [1,1,h,w] in [0, 1] at the fit size.
    const auto image = imagesToTensor({shrunk(composite, options.fitSide)}).to(torch::kFloat32);
    const auto truth = imagesToTensor({shrunk(real, options.fitSide)}).to(torch::kFloat32);
    const auto softMask = masksToTensor({shrunk(mask, options.fitSide)}).to(torch::kFloat32);
    // fMSE counts the pixels the metric counts (mask >= 0.5); the blend uses the soft mask,
    // as the renderer does.
    const auto counted = (softMask >= 0.5).to(torch::kFloat32);
    const double countedPixels = counted.sum().item<double>();
    if (countedPixels <= 0) return FilterParams{};

    const auto lossOf = [&](const torch::Tensor& args) {
        const auto result = torchfilters::harmonize(image, softMask, args.clamp(-1.0, 1.0));
        return ((result - truth).pow(2) * counted).sum() / (3.0 * countedPixels);
    };

    std::vector<FilterParams> from = starts.empty() ? std::vector<FilterParams>{FilterParams{}} : starts;
    FilterParams best;
    double bestLoss = std::numeric_limits<double>::infinity();
    for (const FilterParams& start : from) {
        auto args = paramsTensor(start).clone().requires_grad_(true);
        torch::optim::Adam optimizer({args}, torch::optim::AdamOptions(options.learningRate));
        for (int step = 0; step <= options.iterations; ++step) {
            optimizer.zero_grad();
            const auto loss = lossOf(args);
            const double value = loss.item<double>();
            if (value < bestLoss) {
                bestLoss = value;
                const auto clamped = args.detach().clamp(-1.0, 1.0);
                std::array<double, kFilterCount> values{};
                for (int i = 0; i < kFilterCount; ++i) values[std::size_t(i)] = clamped[0][i].item<double>();
                best = FilterParams::fromArray(values);
            }
            if (step == options.iterations) break;
            loss.backward();
            optimizer.step();
            // Past the clamp the gradient is zero and the value would stick there.
            torch::NoGradGuard noGrad;
            args.clamp_(-1.0, 1.0);
        }
    }
    return best.clamped();
}

}  // namespace hz::training
