#pragma once
// Compose mode: a foreground image (with its alpha, or a separate mask) placed over a
// background at a position and scale. The result is an ordinary composite plus its mask,
// which is all the rest of the program works with.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace hz {

struct ForegroundLayer {
    cv::Mat pixels;   // CV_8UC3 or CV_16UC3 BGR
    cv::Mat alpha16;  // CV_16UC1, same size; 65535 = opaque
    bool hadAlpha = false;  // false: alpha16 is fully opaque because the file had none
    std::vector<std::string> warnings;
};

// Reads a foreground: its alpha channel (if any) becomes the layer's mask, otherwise the
// layer is opaque until a mask is given. Throws hz::Error naming the file.
ForegroundLayer loadForeground(const std::string& path);
// Replaces the layer's alpha with a mask file of the same size. Throws hz::Error.
void setForegroundMask(ForegroundLayer& layer, const std::string& maskPath);

struct LayerPlacement {
    double x = 0.0, y = 0.0;  // top-left of the scaled foreground, in background pixels
    double scale = 1.0;       // foreground pixels -> background pixels
    bool operator==(const LayerPlacement& o) const { return x == o.x && y == o.y && scale == o.scale; }
    bool operator!=(const LayerPlacement& o) const { return !(*this == o); }
};

// A first placement: scaled to fit within 60% of the background, centred.
LayerPlacement initialPlacement(cv::Size background, cv::Size foreground);
// Where the layer lands in background pixels (whole pixels, not clipped to the background).
cv::Rect layerBounds(cv::Size foreground, const LayerPlacement& placement);

struct Composite {
    cv::Mat image;   // the background's size and depth
    cv::Mat mask16;  // CV_16UC1: the placed alpha, 0 elsewhere
};

// out = alpha * foreground + (1 - alpha) * background inside the placed layer, background
// elsewhere (bit for bit). A foreground of another depth is converted to the background's.
// Throws hz::Error for an empty background or foreground, or a scale <= 0.
Composite composeLayer(const cv::Mat& background, const ForegroundLayer& layer, const LayerPlacement& placement);

struct PlacedLayer {
    const ForegroundLayer* layer = nullptr;
    LayerPlacement placement;
};
// Several layers, bottom first: each is blended over the result of the ones below, and the
// mask is their union ("over": m = a + m (1 - a)), so the network sees every pasted object as
// foreground. One layer gives exactly composeLayer(); pixels no layer covers stay the
// background's, bit for bit. Throws as composeLayer() does.
Composite composeLayers(const cv::Mat& background, const std::vector<PlacedLayer>& layers);

}  // namespace hz
