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

torch::Tensor fitFilterValuesBatch(const torch::Tensor& imageIn, const torch::Tensor& maskIn, const torch::Tensor& realIn,
                                   int iterations, double learningRate, const torch::Tensor& start, torch::Tensor* lowestLoss) {
    TORCH_CHECK(imageIn.dim() == 4 && imageIn.sizes() == realIn.sizes() && maskIn.size(0) == imageIn.size(0),
                "fitFilterValuesBatch: image and real must be [N,3,H,W] and mask [N,1,H,W]");
    torch::NoGradGuard outer;
    const auto image = imageIn.to(torch::kFloat32), truth = realIn.to(torch::kFloat32), softMask = maskIn.to(torch::kFloat32);
    const std::int64_t n = image.size(0);
    // fMSE counts the pixels the metric counts (mask >= 0.5); the blend uses the soft mask, as
    // the renderer does.
    const auto counted = (softMask >= 0.5).to(torch::kFloat32);
    const auto countedPixels = counted.sum({1, 2, 3}).clamp_min(1.0) * 3.0;  // [N]
    torch::Tensor args = start.defined() ? start.to(torch::kFloat32).clamp(-1.0, 1.0).clone()
                                         : torch::zeros({n, kFilterCount}, torch::kFloat32);
    torch::Tensor best = args.clone();
    torch::Tensor bestLoss = torch::full({n}, std::numeric_limits<float>::infinity(), torch::kFloat32);
    args.requires_grad_(true);
    torch::optim::Adam optimizer({args}, torch::optim::AdamOptions(learningRate));
    for (int step = 0; step <= iterations; ++step) {
        torch::Tensor perSample;
        {
            torch::AutoGradMode enable(true);
            optimizer.zero_grad();
            const auto result = torchfilters::harmonize(image, softMask, args.clamp(-1.0, 1.0));
            perSample = ((result - truth).pow(2) * counted).sum({1, 2, 3}) / countedPixels;
            if (step < iterations) perSample.sum().backward();
        }
        const auto loss = perSample.detach();
        const auto better = loss < bestLoss;
        bestLoss = torch::where(better, loss, bestLoss);
        best = torch::where(better.unsqueeze(1), args.detach().clamp(-1.0, 1.0), best);
        if (step == iterations) break;
        optimizer.step();
        // Past the clamp the gradient is zero and the value would stick there.
        args.clamp_(-1.0, 1.0);
    }
    if (lowestLoss) *lowestLoss = bestLoss;
    return best;
}

FilterParams fitFilterValues(const cv::Mat& composite, const cv::Mat& mask, const cv::Mat& real,
                             const std::vector<FilterParams>& starts, const OracleOptions& options) {
    if (composite.size() != real.size() || composite.size() != mask.size())
        throw hz::Error("fitFilterValues: composite, mask and real photo differ in size");
    // [1,3,h,w] RGB and [1,1,h,w] in [0, 1] at the fit size.
    const auto image = imagesToTensor({shrunk(composite, options.fitSide)});
    const auto truth = imagesToTensor({shrunk(real, options.fitSide)});
    const auto softMask = masksToTensor({shrunk(mask, options.fitSide)});
    if ((softMask >= 0.5).sum().item<double>() <= 0) return FilterParams{};
    const std::vector<FilterParams> from = starts.empty() ? std::vector<FilterParams>{FilterParams{}} : starts;
    // Every start is one sample of a batch: the same fit, run side by side.
    const auto count = std::int64_t(from.size());
    std::vector<torch::Tensor> startRows;
    for (const auto& params : from) startRows.push_back(paramsTensor(params));
    torch::Tensor losses;
    const auto fitted = fitFilterValuesBatch(image.expand({count, -1, -1, -1}), softMask.expand({count, -1, -1, -1}),
                                             truth.expand({count, -1, -1, -1}), options.iterations, options.learningRate,
                                             torch::cat(startRows, 0), &losses);
    // The start whose fit reached the lowest loss (the first of equals).
    const auto winner = fitted[losses.argmin().item<std::int64_t>()];
    std::array<double, kFilterCount> values{};
    for (int f = 0; f < kFilterCount; ++f) values[std::size_t(f)] = winner[f].item<double>();
    return FilterParams::fromArray(values).clamped();
}

}  // namespace hz::training
