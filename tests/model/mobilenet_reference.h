#pragma once
// MobileNetV2 1.0 as shared/pretrained publishes it (torchvision naming, BatchNorm folded into
// biases), written out from its description for tests: random weights in that naming and a
// forward pass of the published network, to compare an import against.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace hz::test {

struct Stage { std::int64_t t, c, n, s; };
inline constexpr Stage kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                             {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};


// Random weights in the published naming, scaled so that activations stay in a sane range.
inline std::map<std::string, torch::Tensor> publishedLikeWeights(std::uint64_t seed, std::int64_t classes = 7) {
    torch::manual_seed(seed);
    std::map<std::string, torch::Tensor> w;
    const auto conv = [&](const std::string& name, std::int64_t out, std::int64_t inPerGroup, std::int64_t k) {
        w[name + ".weight"] = torch::randn({out, inPerGroup, k, k}) * std::sqrt(1.0 / double(inPerGroup * k * k));
        w[name + ".bias"] = torch::randn({out}) * 0.1;
    };
    conv("features.0.0", 32, 3, 3);
    std::int64_t in = 32;
    int index = 1;
    for (const auto& stage : kStages)
        for (std::int64_t r = 0; r < stage.n; ++r, ++index) {
            const std::string p = "features." + std::to_string(index) + ".conv.";
            const std::int64_t mid = in * stage.t;
            if (stage.t == 1) {
                conv(p + "0.0", mid, 1, 3);
                conv(p + "1", stage.c, mid, 1);
            } else {
                conv(p + "0.0", mid, in, 1);
                conv(p + "1.0", mid, 1, 3);
                conv(p + "2", stage.c, mid, 1);
            }
            in = stage.c;
        }
    conv("features.18.0", 1280, 320, 1);
    w["classifier.1.weight"] = torch::randn({classes, 1280}) * 0.05;
    w["classifier.1.bias"] = torch::randn({classes}) * 0.1;
    return w;
}

// The published network written out from its description: input 2 rgb - 1, ReLU6, residual
// when stride 1 and channels equal, symmetric padding (k - 1) / 2. Returns pooled features.
inline torch::Tensor referencePooled(const std::map<std::string, torch::Tensor>& w, const torch::Tensor& rgb) {
    namespace F = torch::nn::functional;
    const auto relu6 = [](const torch::Tensor& x) { return x.clamp(0, 6); };
    const auto conv = [&](const torch::Tensor& x, const std::string& name, std::int64_t stride, std::int64_t groups) {
        const auto& weight = w.at(name + ".weight");
        return torch::conv2d(x, weight, w.at(name + ".bias"), stride, (weight.size(2) - 1) / 2, 1, groups);
    };
    auto y = relu6(conv(rgb * 2 - 1, "features.0.0", 2, 1));
    std::int64_t in = 32;
    int index = 1;
    for (const auto& stage : kStages)
        for (std::int64_t r = 0; r < stage.n; ++r, ++index) {
            const std::string p = "features." + std::to_string(index) + ".conv.";
            const std::int64_t stride = r == 0 ? stage.s : 1, mid = in * stage.t;
            torch::Tensor h;
            if (stage.t == 1) {
                h = conv(relu6(conv(y, p + "0.0", stride, mid)), p + "1", 1, 1);
            } else {
                h = relu6(conv(y, p + "0.0", 1, 1));
                h = relu6(conv(h, p + "1.0", stride, mid));
                h = conv(h, p + "2", 1, 1);
            }
            y = (stride == 1 && in == stage.c) ? h + y : h;
            in = stage.c;
        }
    return relu6(conv(y, "features.18.0", 1, 1)).mean({2, 3});
}

}  // namespace hz::test
