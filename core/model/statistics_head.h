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

// Number of statistics per region and in the region block of the feature vector.
inline constexpr int kStatisticsPerRegion = 29;
// Regions: foreground, background, foreground - background, foreground - ring; plus the
// foreground's area fraction.
inline constexpr int kStatisticsFeatureCount = 4 * kStatisticsPerRegion + 1;
// The boundary block: foreground pixels next to the edge against the background just across it
// (statistics_head.cpp, boundaryStatistics). Where a composite's foreground was cut from the
// same scene and recoloured, as in every training family and in iHarmony4, colour is nearly
// continuous across the edge and this pairing measures the recolouring locally; whole-region
// means mix in how much the object differs from the rest of the picture.
inline constexpr int kBoundaryFeatureCount = 20;

// Which features a head reads. Files written before the boundary block have Regions (their
// metadata says "features": 117); new heads have RegionsAndBoundary.
enum class StatisticsFeatureSet { Regions, RegionsAndBoundary };
int featureCount(StatisticsFeatureSet set);
// The set with that many features; throws hz::Error for any other count.
StatisticsFeatureSet featureSetWithCount(int count);
// The features are measured on a copy this many pixels a side (area interpolation), so that
// they cost the same at every network input size and in training.
inline constexpr int kStatisticsSide = 128;

// image: [3, H, W] or [1, 3, H, W] RGB float in [0, 1] (CPU); mask: [1, H, W] or [1, 1, H, W]
// in [0, 1]. Returns [featureCount(set)] float: the region block, then (RegionsAndBoundary) the
// boundary block. The foreground is mask > 0.5; a region with fewer than 4 pixels is measured
// on the whole image instead; a boundary with fewer than 4 paired pixels gives zeros.
torch::Tensor statisticsFeatures(const torch::Tensor& image, const torch::Tensor& mask,
                                 StatisticsFeatureSet set = StatisticsFeatureSet::RegionsAndBoundary);

class StatisticsHeadImpl : public torch::nn::Module {
public:
    explicit StatisticsHeadImpl(int hidden = 128, StatisticsFeatureSet set = StatisticsFeatureSet::RegionsAndBoundary);
    // features: [N, featureCount(featureSet())]; networkValues: [N, 6] (the network's values as
    // applied: gain, views and clamp done). Returns [N, 6], not clamped.
    torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& networkValues);
    // Sets the features' standardisation (mean, 1/std) from a training set [N, F].
    void setFeatureScaling(const torch::Tensor& trainingFeatures);
    int hiddenSize() const { return hidden_; }
    StatisticsFeatureSet featureSet() const { return featureSet_; }

    torch::Tensor featureMean, featureScale;  // buffers [F]
    torch::nn::Linear first{nullptr}, second{nullptr}, output{nullptr};

private:
    int hidden_ = 128;
    StatisticsFeatureSet featureSet_ = StatisticsFeatureSet::RegionsAndBoundary;
};
TORCH_MODULE(StatisticsHead);

// Name prefix of the head's tensors inside a .hzm file.
inline constexpr const char* kStatisticsHeadPrefix = "statistics_head.";

}  // namespace hz
