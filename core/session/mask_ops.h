#pragma once
// Mask editing as pure operations on a CV_16UC1 mask (0 = background, 65535 = foreground):
// invert, clear, feather, and round-brush strokes whose stamps are spaced along the path in
// image coordinates, so a stroke looks the same at any zoom.
#include <opencv2/core.hpp>

#include <vector>

namespace hz {

cv::Mat invertMask(const cv::Mat& mask16);
// Gaussian feather: sigma = radius / 2, kernel reaching 2 sigma each side. radius <= 0 copies.
cv::Mat featherMask(const cv::Mat& mask16, double radius);

// Pixels of `mask16` inside `rect` (clipped to the mask) as an independent copy.
cv::Mat copyPatch(const cv::Mat& mask16, const cv::Rect& rect);
// Writes a patch from copyPatch back at `rect`'s top-left.
void pastePatch(cv::Mat& mask16, const cv::Rect& rect, const cv::Mat& patch);

struct BrushSettings {
    double radius = 40.0;    // image pixels
    double hardness = 0.7;   // 0..1: fraction of the radius painted at full strength
    double opacity = 1.0;    // 0..1: the most one stroke changes a pixel towards its target
    bool erase = false;      // target 0 instead of 65535
};

// Coverage of one stamp at distance `d` from its centre: 1 inside radius*hardness, then a
// smooth fall to 0 at the radius.
double brushFalloff(double distance, const BrushSettings& brush);

// One stroke from press to release. Coverage is the maximum over the stroke's stamps (not a
// sum), so overlapping stamps never build past the stroke's opacity, and the mask pixel is
// original + (target - original) * coverage * opacity.
class BrushStroke {
public:
    // Remembers the mask as it is now; each call then paints into the mask it is given (the
    // caller may swap the buffer between calls, e.g. copy-on-write, but not its size).
    BrushStroke(const cv::Mat& mask16, const BrushSettings& brush);

    // Stamps at `point` (image coordinates, pixel centres at +0.5). Returns the changed rect.
    cv::Rect stampAt(cv::Mat& mask16, cv::Point2d point);
    // Stamps along the segment, spaced a fraction of the radius apart, excluding `from`
    // (already stamped by the previous call). Returns the changed rect (may be empty).
    cv::Rect lineTo(cv::Mat& mask16, cv::Point2d to);

    // Union of everything this stroke changed so far.
    cv::Rect changedRect() const { return changed_; }
    // The pixels inside `rect` as they were before the stroke (`currentMask` supplies the
    // parts the stroke never touched). For the undo step.
    cv::Mat originalPatch(const cv::Mat& currentMask, const cv::Rect& rect) const;
    double spacing() const;

private:
    // The original pixels and coverage are kept per tile, allocated on first touch, so
    // starting a stroke on a 12 MP mask costs nothing.
    static constexpr int kTile = 128;
    struct Tile {
        cv::Mat original;  // CV_16U
        cv::Mat coverage;  // CV_32F, max of stamp coverages
    };
    cv::Rect stamp(cv::Mat& mask16, cv::Point2d point);
    cv::Rect tileRect(int index) const;
    Tile& touch(const cv::Mat& mask16, int index);

    cv::Size size_;
    int tilesAcross_ = 0;
    std::vector<Tile> tiles_;
    BrushSettings brush_;
    cv::Point2d last_;
    bool started_ = false;
    double carry_ = 0.0;  // distance travelled since the last stamp
    cv::Rect changed_;
};

}  // namespace hz
