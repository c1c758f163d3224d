#include "core/model/statistics_head.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace hz {

namespace {

// Percentiles with linear interpolation between order statistics (numpy's default), for
// ascending `percents`. Partial selection instead of a full sort: the same order statistics, so
// the same numbers, at a fraction of the cost (the statistics run on every prediction).
template <std::size_t N>
std::array<float, N> percentiles(std::vector<float>& values, const std::array<double, N>& percents) {
    std::array<float, N> out{};
    auto begin = values.begin();
    for (std::size_t i = 0; i < N; ++i) {
        const double position = percents[i] / 100.0 * double(values.size() - 1);
        const auto below = std::size_t(std::floor(position));
        const auto at = values.begin() + std::ptrdiff_t(below);
        if (at >= begin) std::nth_element(begin, at, values.end());
        const float low = *at;
        const float high = below + 1 < values.size() ? *std::min_element(at + 1, values.end()) : low;
        out[i] = float(low + (high - low) * (position - double(below)));
        begin = at + 1;
    }
    return out;
}

struct Moments {
    double mean = 0, std = 0;
};

Moments momentsOf(const std::vector<float>& values) {
    double sum = 0, squares = 0;
    for (float v : values) sum += v;
    const double mean = sum / double(values.size());
    for (float v : values) squares += (v - mean) * (v - mean);
    return {mean, std::sqrt(squares / double(values.size()))};
}

// The spec's HSL saturation of one pixel (section 2, Saturation).
float hslSaturation(float r, float g, float b) {
    const float cmax = std::max({r, g, b}), cmin = std::min({r, g, b});
    const float lightness = (cmax + cmin) / 2;
    constexpr float eps = 1e-6f;
    return lightness < 0.5f ? (cmax - cmin) / (cmax + cmin + eps) : (cmax - cmin) / (2 - cmax - cmin + eps);
}

// One pixel's colour as both blocks measure it: Lab scaled to about [-1, 1], the HSL
// saturation and the chroma.
struct DerivedColour {
    float lightness, a, b, saturation, chroma;
};
DerivedColour derivedColour(const cv::Vec3f& rgb, const cv::Vec3f& lab) {
    const float l = lab[0] / 100.f, a = lab[1] / 100.f, b = lab[2] / 100.f;
    return {l, a, b, hslSaturation(rgb[0], rgb[1], rgb[2]), std::sqrt(a * a + b * b)};
}

// rgb, lab: CV_32FC3 (RGB in [0,1]; OpenCV's float Lab: L in [0,100], a and b about +-100).
std::array<float, kStatisticsPerRegion> regionStatistics(const cv::Mat& rgb, const cv::Mat& lab, const cv::Mat& region) {
    const bool whole = cv::countNonZero(region) < 4;
    std::array<std::vector<float>, 3> channel;
    std::vector<float> lightness, labA, labB, saturation, chroma;
    const std::size_t expected = whole ? rgb.total() : std::size_t(cv::countNonZero(region));
    for (auto* v : {&channel[0], &channel[1], &channel[2], &lightness, &labA, &labB, &saturation, &chroma}) v->reserve(expected);
    int clippedHigh = 0, clippedLow = 0;
    for (int y = 0; y < rgb.rows; ++y) {
        const auto* pixel = rgb.ptr<cv::Vec3f>(y);
        const auto* labPixel = lab.ptr<cv::Vec3f>(y);
        const auto* inside = region.ptr<std::uint8_t>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            if (!whole && !inside[x]) continue;
            const cv::Vec3f& c = pixel[x];
            for (int k = 0; k < 3; ++k) channel[std::size_t(k)].push_back(c[k]);
            const DerivedColour d = derivedColour(c, labPixel[x]);
            lightness.push_back(d.lightness);
            labA.push_back(d.a);
            labB.push_back(d.b);
            saturation.push_back(d.saturation);
            chroma.push_back(d.chroma);
            clippedHigh += std::max({c[0], c[1], c[2]}) > 0.98f;
            clippedLow += std::min({c[0], c[1], c[2]}) < 0.02f;
        }
    }
    const double count = double(lightness.size());
    std::array<float, kStatisticsPerRegion> out{};
    std::size_t i = 0;
    std::array<Moments, 3> rgbMoments;
    for (int k = 0; k < 3; ++k) rgbMoments[std::size_t(k)] = momentsOf(channel[std::size_t(k)]);
    for (const auto& m : rgbMoments) out[i++] = float(m.mean);
    for (const auto& m : rgbMoments) out[i++] = float(m.std);
    const Moments l = momentsOf(lightness);
    out[i++] = float(l.mean);
    out[i++] = float(l.std);
    for (float p : percentiles(lightness, std::array<double, 7>{2, 10, 25, 50, 75, 90, 98})) out[i++] = p;
    const Moments a = momentsOf(labA), b = momentsOf(labB);
    out[i++] = float(a.mean);
    out[i++] = float(b.mean);
    out[i++] = float(a.std);
    out[i++] = float(b.std);
    out[i++] = float(momentsOf(saturation).mean);
    for (float p : percentiles(saturation, std::array<double, 4>{25, 50, 75, 90})) out[i++] = p;
    out[i++] = float(momentsOf(chroma).mean);
    for (float p : percentiles(chroma, std::array<double, 2>{50, 90})) out[i++] = p;
    out[i++] = float(clippedHigh / count);
    out[i++] = float(clippedLow / count);
    return out;
}

// The boundary block: every foreground pixel within kBand of the edge is paired with the mean of
// the background within kBand of the edge around it (a normalised box filter, so only
// background pixels count), and the differences are summarised. rgb, lab as above; foreground
// CV_8U 0/255.
std::array<float, kBoundaryFeatureCount> boundaryStatistics(const cv::Mat& rgb, const cv::Mat& lab, const cv::Mat& foreground) {
    constexpr int kBand = 5;        // pixels at kStatisticsSide
    constexpr int kNeighbourhood = 15;
    constexpr int kPlanes = 8;      // L, a, b (/100), R, G, B, HSL saturation, chroma
    const cv::Mat band = cv::Mat::ones(2 * kBand + 1, 2 * kBand + 1, CV_8U);
    cv::Mat eroded, grown;
    // The picture's border is not an edge: erode as if the foreground went on outside it.
    cv::erode(foreground, eroded, band, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT, cv::Scalar(255));
    cv::dilate(foreground, grown, band);
    const cv::Mat inner = foreground & ~eroded;
    const cv::Mat outer = grown & ~foreground;

    std::array<cv::Mat, kPlanes> planes;
    for (auto& plane : planes) plane.create(rgb.size(), CV_32F);
    for (int y = 0; y < rgb.rows; ++y) {
        const auto* pixel = rgb.ptr<cv::Vec3f>(y);
        const auto* labPixel = lab.ptr<cv::Vec3f>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            const cv::Vec3f& c = pixel[x];
            const DerivedColour d = derivedColour(c, labPixel[x]);
            const float values[kPlanes] = {d.lightness, d.a, d.b, c[0], c[1], c[2], d.saturation, d.chroma};
            for (int k = 0; k < kPlanes; ++k) planes[std::size_t(k)].at<float>(y, x) = values[k];
        }
    }
    cv::Mat outerWeight, localWeight;
    outer.convertTo(outerWeight, CV_32F, 1.0 / 255.0);
    const cv::Size window(kNeighbourhood, kNeighbourhood);
    cv::blur(outerWeight, localWeight, window);
    std::array<cv::Mat, kPlanes> localSum;
    for (int k = 0; k < kPlanes; ++k) cv::blur(planes[std::size_t(k)].mul(outerWeight), localSum[std::size_t(k)], window);

    std::array<std::vector<float>, kPlanes> difference;
    std::vector<float> innerLightness, outerLightness;
    int innerCount = 0;
    for (int y = 0; y < rgb.rows; ++y) {
        const auto* isInner = inner.ptr<std::uint8_t>(y);
        const auto* isOuter = outer.ptr<std::uint8_t>(y);
        const auto* weight = localWeight.ptr<float>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            if (isOuter[x]) outerLightness.push_back(planes[0].at<float>(y, x));
            if (!isInner[x]) continue;
            ++innerCount;
            innerLightness.push_back(planes[0].at<float>(y, x));
            if (weight[x] < 0.02f) continue;  // no background within reach
            for (int k = 0; k < kPlanes; ++k)
                difference[std::size_t(k)].push_back(planes[std::size_t(k)].at<float>(y, x) -
                                                     localSum[std::size_t(k)].at<float>(y, x) / weight[x]);
        }
    }
    std::array<float, kBoundaryFeatureCount> out{};
    const std::size_t paired = difference[0].size();
    if (paired < 4 || outerLightness.size() < 4) return out;
    std::size_t i = 0;
    for (const auto& d : difference) out[i++] = float(momentsOf(d).mean);
    for (auto& d : difference) out[i++] = percentiles(d, std::array<double, 1>{50})[0];
    for (float p : percentiles(difference[0], std::array<double, 2>{10, 90})) out[i++] = p;
    out[i++] = float(std::log((momentsOf(innerLightness).std + 0.01) / (momentsOf(outerLightness).std + 0.01)));
    out[i++] = float(double(paired) / double(innerCount));
    return out;
}

}  // namespace

int featureCount(StatisticsFeatureSet set) {
    return set == StatisticsFeatureSet::Regions ? kStatisticsFeatureCount : kStatisticsFeatureCount + kBoundaryFeatureCount;
}

StatisticsFeatureSet featureSetWithCount(int count) {
    for (auto set : {StatisticsFeatureSet::Regions, StatisticsFeatureSet::RegionsAndBoundary})
        if (featureCount(set) == count) return set;
    throw Error("a statistics head reads " + std::to_string(featureCount(StatisticsFeatureSet::Regions)) + " or " +
                std::to_string(featureCount(StatisticsFeatureSet::RegionsAndBoundary)) + " features, not " + std::to_string(count));
}

torch::Tensor statisticsFeatures(const torch::Tensor& imageIn, const torch::Tensor& maskIn, StatisticsFeatureSet set) {
    const auto image = imageIn.dim() == 4 ? imageIn[0] : imageIn;
    const auto mask = maskIn.dim() == 4 ? maskIn[0] : maskIn;
    if (image.dim() != 3 || image.size(0) != 3 || mask.dim() != 3 || mask.size(0) != 1 ||
        mask.size(1) != image.size(1) || mask.size(2) != image.size(2))
        throw Error("statistics features need a [3, H, W] image and a [1, H, W] mask of the same size");
    // [3, H, W] planar RGB -> [H, W, 3] interleaved for OpenCV (still RGB order).
    const auto interleaved = image.detach().to(torch::kCPU, torch::kFloat32).permute({1, 2, 0}).contiguous();
    const auto maskPlane = mask.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const int rows = int(image.size(1)), cols = int(image.size(2));
    const cv::Mat rgbFull(rows, cols, CV_32FC3, interleaved.data_ptr<float>());
    const cv::Mat maskFull(rows, cols, CV_32FC1, maskPlane.data_ptr<float>());
    cv::Mat rgb, maskSmall;
    const cv::Size side(kStatisticsSide, kStatisticsSide);
    const int interpolation = rows >= kStatisticsSide && cols >= kStatisticsSide ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(rgbFull, rgb, side, 0, 0, interpolation);
    cv::resize(maskFull, maskSmall, side, 0, 0, interpolation);
    cv::Mat lab;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);

    const cv::Mat foreground = maskSmall > 0.5f;  // CV_8U 0/255
    const cv::Mat background = ~foreground;
    cv::Mat grown;
    cv::dilate(foreground, grown, cv::Mat::ones(21, 21, CV_8U));
    const cv::Mat ring = grown & background;

    const auto fg = regionStatistics(rgb, lab, foreground);
    const auto bg = regionStatistics(rgb, lab, background);
    const auto near = regionStatistics(rgb, lab, ring);
    auto features = torch::empty({featureCount(set)}, torch::kFloat32);
    float* out = features.data_ptr<float>();
    for (int k = 0; k < kStatisticsPerRegion; ++k) {
        out[k] = fg[std::size_t(k)];
        out[kStatisticsPerRegion + k] = bg[std::size_t(k)];
        out[2 * kStatisticsPerRegion + k] = fg[std::size_t(k)] - bg[std::size_t(k)];
        out[3 * kStatisticsPerRegion + k] = fg[std::size_t(k)] - near[std::size_t(k)];
    }
    out[4 * kStatisticsPerRegion] = float(cv::countNonZero(foreground)) / float(kStatisticsSide * kStatisticsSide);
    if (set == StatisticsFeatureSet::RegionsAndBoundary) {
        const auto boundary = boundaryStatistics(rgb, lab, foreground);
        std::copy(boundary.begin(), boundary.end(), out + kStatisticsFeatureCount);
    }
    return features;
}

StatisticsHeadImpl::StatisticsHeadImpl(int hidden, StatisticsFeatureSet set) : hidden_(hidden), featureSet_(set) {
    const int features = featureCount(set);
    featureMean = register_buffer("feature_mean", torch::zeros({features}));
    featureScale = register_buffer("feature_scale", torch::ones({features}));
    first = register_module("first", torch::nn::Linear(features + 6, hidden));
    second = register_module("second", torch::nn::Linear(hidden, hidden));
    output = register_module("output", torch::nn::Linear(hidden, 6));
    // A fresh head starts as the identity: it returns the network's values unchanged.
    torch::NoGradGuard noGrad;
    output->weight.zero_();
    output->bias.zero_();
}

void StatisticsHeadImpl::setFeatureScaling(const torch::Tensor& trainingFeatures) {
    torch::NoGradGuard noGrad;
    featureMean.copy_(trainingFeatures.mean(0));
    // Constant features (a region always empty in a tiny set) keep scale 1 instead of 1/0.
    const auto std = trainingFeatures.std(0);
    featureScale.copy_(torch::where(std > 1e-6, 1.0 / std, torch::ones_like(std)));
}

torch::Tensor StatisticsHeadImpl::forward(const torch::Tensor& features, const torch::Tensor& networkValues) {
    const auto scaled = (features - featureMean) * featureScale;
    auto h = torch::relu(first->forward(torch::cat({scaled, networkValues}, 1)));
    h = torch::relu(second->forward(h));
    return networkValues + output->forward(h);
}

}  // namespace hz
