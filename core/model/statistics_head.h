#pragma once
// The statistics head: a small second stage after the network (our addition to the spec's
// method, see core/model/README.md). The network sees the composite through a CNN trained on a
// few thousand photos; measured against the known perturbations it recovers temperature,
// brightness and contrast only partly and saturation not at all. Plain colour statistics of
// the foreground, the background and a ring of background around the foreground (Lab
// lightness percentiles, chroma, saturation, channel means) carry much of that signal
// directly. The head is an MLP that reads those statistics together with the network's six
// values and returns corrected values: values = network + MLP(features, network).
//
// It lives in the same .hzm file as the network (tensors named "statistics_head.*", metadata
// key "statistics_head"); files without it predict with the network alone.
#include <torch/torch.h>

namespace hz {

// Number of statistics per region and in the whole feature vector.
inline constexpr int kStatisticsPerRegion = 29;
// Regions: foreground, background, foreground - background, foreground - ring; plus the
// foreground's area fraction.
inline constexpr int kStatisticsFeatureCount = 4 * kStatisticsPerRegion + 1;
// The features are measured on a copy this many pixels a side (area interpolation), so that
// they cost the same at every network input size and in training.
inline constexpr int kStatisticsSide = 128;

// image: [3, H, W] or [1, 3, H, W] RGB float in [0, 1] (CPU); mask: [1, H, W] or [1, 1, H, W]
// in [0, 1]. Returns [kStatisticsFeatureCount] float. The foreground is mask > 0.5; a region
// with fewer than 4 pixels is measured on the whole image instead.
torch::Tensor statisticsFeatures(const torch::Tensor& image, const torch::Tensor& mask);

class StatisticsHeadImpl : public torch::nn::Module {
public:
    explicit StatisticsHeadImpl(int hidden = 128);
    // features: [N, kStatisticsFeatureCount]; networkValues: [N, 6] (the network's values as
    // applied: gain, views and clamp done). Returns [N, 6], not clamped.
    torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& networkValues);
    // Sets the features' standardisation (mean, 1/std) from a training set [N, F].
    void setFeatureScaling(const torch::Tensor& trainingFeatures);
    int hiddenSize() const { return hidden_; }

    torch::Tensor featureMean, featureScale;  // buffers [F]
    torch::nn::Linear first{nullptr}, second{nullptr}, output{nullptr};

private:
    int hidden_ = 128;
};
TORCH_MODULE(StatisticsHead);

// Name prefix of the head's tensors inside a .hzm file.
inline constexpr const char* kStatisticsHeadPrefix = "statistics_head.";

}  // namespace hz
