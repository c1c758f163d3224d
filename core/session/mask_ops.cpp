#include "core/session/mask_ops.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cmath>

#include "core/image_io.h"

namespace hz {

namespace {
void requireMask(const cv::Mat& mask16, const char* what) {
    if (mask16.empty() || mask16.type() != CV_16UC1)
        throw Error(std::string(what) + ": the mask must be a non-empty 16-bit single-channel image");
}
}  // namespace

cv::Mat invertMask(const cv::Mat& mask16) {
    requireMask(mask16, "invert");
    cv::Mat out;
    cv::subtract(cv::Scalar(65535), mask16, out);
    return out;
}

cv::Mat featherMask(const cv::Mat& mask16, double radius) {
    requireMask(mask16, "feather");
    if (!(radius > 0.0)) return mask16.clone();
    const double sigma = radius / 2.0;
    const int half = std::max(1, int(std::ceil(2.0 * sigma)));
    cv::Mat out;
    cv::GaussianBlur(mask16, out, cv::Size(2 * half + 1, 2 * half + 1), sigma, sigma, cv::BORDER_REPLICATE);
    return out;
}

cv::Mat copyPatch(const cv::Mat& mask16, const cv::Rect& rect) {
    const cv::Rect clipped = rect & cv::Rect(0, 0, mask16.cols, mask16.rows);
    if (clipped.empty()) return {};
    return mask16(clipped).clone();
}

void pastePatch(cv::Mat& mask16, const cv::Rect& rect, const cv::Mat& patch) {
    const cv::Rect clipped = rect & cv::Rect(0, 0, mask16.cols, mask16.rows);
    if (clipped.empty() || patch.empty()) return;
    if (patch.size() != clipped.size() || patch.type() != mask16.type())
        throw Error("mask patch does not fit the mask (size or type differs)");
    patch.copyTo(mask16(clipped));
}

double brushFalloff(double distance, const BrushSettings& brush) {
    const double radius = std::max(brush.radius, 0.5);
    if (distance >= radius) return 0.0;
    const double hard = std::clamp(brush.hardness, 0.0, 1.0) * radius;
    if (distance <= hard) return 1.0;
    const double t = (distance - hard) / (radius - hard);  // 0 at the hard edge, 1 at the rim
    return 1.0 - t * t * (3.0 - 2.0 * t);                  // smoothstep down
}

BrushStroke::BrushStroke(const cv::Mat& mask16, const BrushSettings& brush) : brush_(brush) {
    requireMask(mask16, "brush");
    size_ = mask16.size();
    tilesAcross_ = (size_.width + kTile - 1) / kTile;
    tiles_.resize(std::size_t(tilesAcross_) * std::size_t((size_.height + kTile - 1) / kTile));
    brush_.radius = std::max(brush_.radius, 0.5);
    brush_.opacity = std::clamp(brush_.opacity, 0.0, 1.0);
}

double BrushStroke::spacing() const {
    // A quarter of the radius keeps soft and hard edges free of scalloping; never below
    // half a pixel so tiny brushes still stamp continuously.
    return std::max(0.5, brush_.radius * 0.25);
}

cv::Rect BrushStroke::tileRect(int index) const {
    const int tx = index % tilesAcross_, ty = index / tilesAcross_;
    return cv::Rect(tx * kTile, ty * kTile, kTile, kTile) & cv::Rect(cv::Point(0, 0), size_);
}

BrushStroke::Tile& BrushStroke::touch(const cv::Mat& mask16, int index) {
    Tile& tile = tiles_[std::size_t(index)];
    if (tile.original.empty()) {
        // First touch in this stroke: the mask here is still what it was when the stroke began.
        const cv::Rect r = tileRect(index);
        tile.original = mask16(r).clone();
        tile.coverage = cv::Mat::zeros(r.size(), CV_32F);
    }
    return tile;
}

cv::Mat BrushStroke::originalPatch(const cv::Mat& currentMask, const cv::Rect& rect) const {
    cv::Mat patch = copyPatch(currentMask, rect);
    const cv::Rect clipped = rect & cv::Rect(cv::Point(0, 0), size_);
    for (std::size_t i = 0; i < tiles_.size(); ++i) {
        if (tiles_[i].original.empty()) continue;
        const cv::Rect r = tileRect(int(i));
        const cv::Rect overlap = r & clipped;
        if (overlap.empty()) continue;
        tiles_[i].original(overlap - r.tl()).copyTo(patch(overlap - clipped.tl()));
    }
    return patch;
}

cv::Rect BrushStroke::stampAt(cv::Mat& mask16, cv::Point2d point) {
    last_ = point;
    started_ = true;
    carry_ = 0.0;
    return stamp(mask16, point);
}

cv::Rect BrushStroke::stamp(cv::Mat& mask16, cv::Point2d point) {
    if (mask16.size() != size_ || mask16.type() != CV_16UC1)
        throw Error("brush: the mask changed size during a stroke");
    const double r = brush_.radius;
    const cv::Rect box = cv::Rect(int(std::floor(point.x - r)), int(std::floor(point.y - r)), int(std::ceil(2 * r)) + 2,
                                  int(std::ceil(2 * r)) + 2) &
                         cv::Rect(cv::Point(0, 0), size_);
    if (box.empty()) return {};
    const double target = brush_.erase ? 0.0 : 65535.0;
    const int tx0 = box.x / kTile, tx1 = (box.x + box.width - 1) / kTile;
    const int ty0 = box.y / kTile, ty1 = (box.y + box.height - 1) / kTile;
    for (int ty = ty0; ty <= ty1; ++ty) {
        for (int tx = tx0; tx <= tx1; ++tx) {
            const int index = ty * tilesAcross_ + tx;
            Tile& tile = touch(mask16, index);
            const cv::Rect tr = tileRect(index);
            const cv::Rect part = tr & box;
            for (int y = part.y; y < part.y + part.height; ++y) {
                float* cov = tile.coverage.ptr<float>(y - tr.y);
                const std::uint16_t* orig = tile.original.ptr<std::uint16_t>(y - tr.y);
                std::uint16_t* out = mask16.ptr<std::uint16_t>(y);
                const double dy = (y + 0.5) - point.y;
                for (int x = part.x; x < part.x + part.width; ++x) {
                    const double dx = (x + 0.5) - point.x;
                    const double c = brushFalloff(std::sqrt(dx * dx + dy * dy), brush_);
                    float& covered = cov[x - tr.x];
                    if (c <= covered) continue;
                    covered = float(c);
                    const double o = orig[x - tr.x];
                    const double v = o + (target - o) * c * brush_.opacity;
                    out[x] = std::uint16_t(std::lround(std::clamp(v, 0.0, 65535.0)));
                }
            }
        }
    }
    changed_ = changed_.empty() ? box : (changed_ | box);
    return box;
}

cv::Rect BrushStroke::lineTo(cv::Mat& mask16, cv::Point2d to) {
    if (!started_) return stampAt(mask16, to);
    const cv::Point2d from = last_;
    const double length = std::hypot(to.x - from.x, to.y - from.y);
    const double step = spacing();
    cv::Rect changed;
    // carry_ is how far the pen travelled since the last stamp; the next one is a step after it.
    double along = step - carry_;
    while (along <= length) {
        const cv::Rect box = stamp(mask16, from + (to - from) * (along / length));
        if (!box.empty()) changed = changed.empty() ? box : (changed | box);
        along += step;
    }
    carry_ = length - (along - step);
    last_ = to;
    return changed;
}

}  // namespace hz
