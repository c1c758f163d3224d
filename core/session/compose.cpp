#include "core/session/compose.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/image_io.h"

namespace hz {

ForegroundLayer loadForeground(const std::string& path) {
    // loadImage applies EXIF orientation and checks the file; it drops alpha, which we read
    // separately (alpha only exists in formats without EXIF rotation in OpenCV's reader).
    LoadedImage loaded = loadImage(path);
    ForegroundLayer layer;
    layer.pixels = loaded.pixels;
    const cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (!raw.empty() && (raw.channels() == 4 || raw.channels() == 2) && raw.size() == layer.pixels.size()) {
        cv::Mat alpha;
        cv::extractChannel(raw, alpha, raw.channels() - 1);
        layer.alpha16 = normaliseMask(alpha);
        layer.hadAlpha = true;
    } else {
        layer.alpha16 = cv::Mat(layer.pixels.size(), CV_16UC1, cv::Scalar(65535));
        layer.warnings.push_back(path + ": no alpha channel; the whole rectangle is the foreground until a mask is loaded");
    }
    return layer;
}

void setForegroundMask(ForegroundLayer& layer, const std::string& maskPath) {
    layer.alpha16 = loadMask(maskPath, layer.pixels.size());
    layer.hadAlpha = true;
}

LayerPlacement initialPlacement(cv::Size background, cv::Size foreground) {
    LayerPlacement p;
    if (foreground.empty() || background.empty()) return p;
    p.scale = std::min({1.0, 0.6 * background.width / double(foreground.width),
                        0.6 * background.height / double(foreground.height)});
    p.x = std::round((background.width - foreground.width * p.scale) / 2.0);
    p.y = std::round((background.height - foreground.height * p.scale) / 2.0);
    return p;
}

cv::Rect layerBounds(cv::Size foreground, const LayerPlacement& placement) {
    const int width = std::max(1, int(std::lround(foreground.width * placement.scale)));
    const int height = std::max(1, int(std::lround(foreground.height * placement.scale)));
    return {int(std::lround(placement.x)), int(std::lround(placement.y)), width, height};
}

namespace {

template <typename T>
void blendInto(cv::Mat& target, const cv::Mat& source, const cv::Mat& alpha16) {
    for (int y = 0; y < target.rows; ++y) {
        T* out = target.ptr<T>(y);
        const T* in = source.ptr<T>(y);
        const std::uint16_t* a = alpha16.ptr<std::uint16_t>(y);
        for (int x = 0; x < target.cols; ++x) {
            const std::uint32_t w = a[x];
            if (w == 0) continue;
            for (int c = 0; c < 3; ++c) {
                const double v = (double(in[3 * x + c]) * w + double(out[3 * x + c]) * (65535 - w)) / 65535.0;
                out[3 * x + c] = T(std::lround(v));
            }
        }
    }
}

}  // namespace

Composite composeLayer(const cv::Mat& background, const ForegroundLayer& layer, const LayerPlacement& placement) {
    if (background.empty()) throw Error("compose: the background is empty");
    if (layer.pixels.empty() || layer.alpha16.size() != layer.pixels.size())
        throw Error("compose: the foreground is empty or its mask has another size");
    if (!(placement.scale > 0.0) || !std::isfinite(placement.scale)) throw Error("compose: the scale must be above zero");

    Composite result;
    result.image = background.clone();
    result.mask16 = cv::Mat::zeros(background.size(), CV_16UC1);
    const cv::Rect bounds = layerBounds(layer.pixels.size(), placement);
    const cv::Rect visible = bounds & cv::Rect(0, 0, background.cols, background.rows);
    if (visible.empty()) return result;

    cv::Mat pixels = layer.pixels;
    if (pixels.depth() != background.depth())
        pixels.convertTo(pixels, background.depth(), background.depth() == CV_16U ? 257.0 : 1.0 / 257.0);
    const int interpolation = placement.scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::Mat scaledPixels, scaledAlpha;
    cv::resize(pixels, scaledPixels, bounds.size(), 0, 0, interpolation);
    cv::resize(layer.alpha16, scaledAlpha, bounds.size(), 0, 0, interpolation);

    const cv::Rect inLayer = visible - bounds.tl();
    cv::Mat target = result.image(visible);
    if (background.depth() == CV_16U)
        blendInto<std::uint16_t>(target, scaledPixels(inLayer), scaledAlpha(inLayer));
    else
        blendInto<std::uint8_t>(target, scaledPixels(inLayer), scaledAlpha(inLayer));
    scaledAlpha(inLayer).copyTo(result.mask16(visible));
    return result;
}

Composite composeLayers(const cv::Mat& background, const std::vector<PlacedLayer>& layers) {
    if (layers.empty()) {
        if (background.empty()) throw Error("compose: the background is empty");
        return {background.clone(), cv::Mat::zeros(background.size(), CV_16UC1)};
    }
    Composite result = composeLayer(background, *layers.front().layer, layers.front().placement);
    for (std::size_t i = 1; i < layers.size(); ++i) {
        Composite next = composeLayer(result.image, *layers[i].layer, layers[i].placement);
        // Union of the masks; where this layer's alpha is 0 the mask below is kept as is.
        const cv::Rect bounds = layerBounds(layers[i].layer->pixels.size(), layers[i].placement) &
                                cv::Rect(0, 0, background.cols, background.rows);
        for (int y = bounds.y; y < bounds.y + bounds.height; ++y) {
            const std::uint16_t* a = next.mask16.ptr<std::uint16_t>(y);
            std::uint16_t* m = result.mask16.ptr<std::uint16_t>(y);
            for (int x = bounds.x; x < bounds.x + bounds.width; ++x) {
                if (a[x] == 0) continue;
                const double v = a[x] + double(m[x]) * (65535.0 - a[x]) / 65535.0;
                m[x] = std::uint16_t(std::min(65535L, std::lround(v)));
            }
        }
        result.image = std::move(next.image);
    }
    return result;
}

}  // namespace hz
