#include "filters_torch.h"

namespace hz::torchfilters {
namespace {

constexpr double kEps = 1e-6;
constexpr double kPowEps = 1e-9;

// [N] -> [N, 1, 1, 1] so that one value per sample broadcasts over the image.
torch::Tensor perSample(const torch::Tensor& x) { return x.reshape({-1, 1, 1, 1}); }

torch::Tensor clampUnit(const torch::Tensor& t) { return t.clamp(0.0, 1.0); }

}  // namespace

torch::Tensor temperature(const torch::Tensor& image, const torch::Tensor& x) {
    const auto means = image.mean({2, 3});                    // [N, 3] R, G, B
    const auto gray = means.mean(1, /*keepdim=*/true);        // [N, 1]
    const auto a = 1.0 - gray / (means + kEps);               // [N, 3]
    const auto xs = x.reshape({-1, 1});                       // [N, 1]
    // The shifts are |x| on one side, written as -x and x so that x = 0 keeps a gradient (the
    // slope of the x > 0 side): |x| has none there (torch's sign(0) = 0), and a fit started at
    // zero, as every fitted-argument target is, would never move temperature.
    const auto zero = torch::zeros_like(xs);
    const auto shiftR = torch::where(xs < 0, -xs, zero);
    const auto shiftG = torch::where(xs < 0, -0.5 * xs, 0.5 * xs);
    const auto shiftB = torch::where(xs >= 0, xs, zero);
    const auto shifted = means + torch::cat({shiftR, shiftG, shiftB}, 1);
    const auto grayShifted = shifted.mean(1, true);
    auto coefficient = grayShifted / (shifted + kEps) + a;    // [N, 3]
    // (q + (1 - q)) can miss 1 by an ulp; the spec makes x = 0 exactly the identity. The value
    // is replaced, the gradient kept (straight-through), for the reason above.
    coefficient = torch::where(xs == 0, coefficient - coefficient.detach() + 1.0, coefficient);
    return clampUnit(image * coefficient.unsqueeze(-1).unsqueeze(-1));
}

torch::Tensor brightness(const torch::Tensor& image, const torch::Tensor& x) {
    const auto xs = perSample(x);
    const auto alpha = torch::where(xs >= 0, 1.0 / (1.0 - xs + kEps), 1.0 + xs);
    return clampUnit(image * alpha);
}

torch::Tensor contrast(const torch::Tensor& image, const torch::Tensor& x) {
    const auto xs = perSample(x);
    const auto mean = image.mean({1, 2, 3}, /*keepdim=*/true);
    const auto continuous = torch::where(xs > 0, 255.0 / (256.0 - 255.0 * xs) - 1.0, xs);
    const auto exact = torch::where(xs > 0, 255.0 / (256.0 - torch::floor(255.0 * xs)) - 1.0, xs);
    // Straight-through: forward value of `exact`, gradient of `continuous`.
    const auto gain = continuous + (exact - continuous).detach();
    return clampUnit(image + (image - mean) * gain);
}

torch::Tensor saturation(const torch::Tensor& image, const torch::Tensor& x) {
    const auto xs = perSample(x);
    const auto cmax = std::get<0>(image.max(1, /*keepdim=*/true));
    const auto cmin = std::get<0>(image.min(1, /*keepdim=*/true));
    const auto lightness = (cmax + cmin) / 2.0;
    const auto spread = cmax - cmin;
    const auto s = torch::where(lightness < 0.5, spread / (cmax + cmin + kEps),
                                spread / (2.0 - cmax - cmin + kEps));
    const auto a = torch::where(xs + s > 1.0, s, 1.0 - xs);
    const auto k = 1.0 / (a + kEps) - 1.0;
    const auto more = image + (image - lightness) * k;
    const auto less = lightness + (image - lightness) * (1.0 + xs);
    return clampUnit(torch::where(xs >= 0, more, less));
}

torch::Tensor highlight(const torch::Tensor& image, const torch::Tensor& x) {
    const auto xs = perSample(x);
    return clampUnit(1.0 - torch::pow(1.0 - image + kPowEps, 1.0 + xs));
}

torch::Tensor shadow(const torch::Tensor& image, const torch::Tensor& x) {
    const auto xs = perSample(x);
    return clampUnit(torch::pow(image + kPowEps, 1.0 - xs));
}

torch::Tensor apply(Filter filter, const torch::Tensor& image, const torch::Tensor& x) {
    const auto arg = x.clamp(-1.0, 1.0);
    switch (filter) {
        case Filter::Temperature: return temperature(image, arg);
        case Filter::Brightness: return brightness(image, arg);
        case Filter::Contrast: return contrast(image, arg);
        case Filter::Saturation: return saturation(image, arg);
        case Filter::Highlight: return highlight(image, arg);
        case Filter::Shadow: return shadow(image, arg);
    }
    TORCH_CHECK(false, "unknown filter");
}

std::vector<torch::Tensor> restoreSteps(const torch::Tensor& image, const torch::Tensor& args) {
    TORCH_CHECK(args.dim() == 2 && args.size(1) == kFilterCount, "args must be [N, 6]");
    std::vector<torch::Tensor> steps;
    steps.reserve(kFilterCount);
    torch::Tensor current = image;
    for (int i = 0; i < kFilterCount; ++i) {
        current = apply(Filter(i), current, args.select(1, i));
        steps.push_back(current);
    }
    return steps;
}

torch::Tensor blend(const torch::Tensor& filtered, const torch::Tensor& original, const torch::Tensor& mask) {
    return mask * filtered + (1.0 - mask) * original;
}

torch::Tensor harmonize(const torch::Tensor& image, const torch::Tensor& mask, const torch::Tensor& args) {
    return blend(restoreSteps(image, args).back(), image, mask);
}

torch::Tensor argsTensor(const FilterParams& params, torch::Dtype dtype) {
    const auto values = params.toArray();
    return torch::tensor(std::vector<double>(values.begin(), values.end()), torch::dtype(torch::kFloat64))
        .reshape({1, kFilterCount})
        .to(dtype);
}

}  // namespace hz::torchfilters
