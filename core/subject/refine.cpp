#include "core/subject/refine.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/subject/guided_filter.h"

namespace hz::subject {

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

void requirePhoto(const cv::Mat& photo, const char* what) {
    if (photo.empty() || (photo.type() != CV_8UC3 && photo.type() != CV_16UC3))
        throw hz::Error(std::string(what) + ": the photo must be an 8- or 16-bit BGR image");
}

// Sizes of three box filters whose succession approximates a Gaussian of `sigma` (the sum of
// their variances, (w^2 - 1) / 12 each, equals sigma^2 within a fraction of a pixel): three
// O(1)-per-pixel passes instead of a kernel of 6 sigma, which at 250 px on 12 MP would take
// seconds.
std::array<int, 3> boxesForGauss(double sigma) {
    const double ideal = std::sqrt(12.0 * sigma * sigma / 3.0 + 1.0);
    int lower = static_cast<int>(std::floor(ideal));
    if (lower % 2 == 0) --lower;
    const int upper = lower + 2;
    const double m = (12.0 * sigma * sigma - 3.0 * lower * lower - 12.0 * lower - 9.0) / (-4.0 * lower - 4.0);
    const int nLower = static_cast<int>(std::lround(m));
    std::array<int, 3> sizes{};
    for (int i = 0; i < 3; ++i) sizes[i] = i < nLower ? lower : upper;
    return sizes;
}

void gaussianSoften(cv::Mat& maskF, double sigma) {
    if (sigma <= 3.0) {
        // Small radii: the exact kernel is short, and three boxes of width 1..5 are too coarse.
        cv::GaussianBlur(maskF, maskF, cv::Size(), sigma, sigma, cv::BORDER_REPLICATE);
        return;
    }
    for (int w : boxesForGauss(sigma))
        cv::boxFilter(maskF, maskF, CV_32F, cv::Size(w, w), cv::Point(-1, -1), true, cv::BORDER_REPLICATE);
}

cv::Rect boundingBoxOf(const cv::Mat& binary8) { return cv::boundingRect(binary8); }

cv::Rect grown(const cv::Rect& r, int by, cv::Size limits) {
    return cv::Rect(r.x - by, r.y - by, r.width + 2 * by, r.height + 2 * by) & cv::Rect(cv::Point(), limits);
}

// Shift edge by `shift` px (fractional allowed). The edge is the 0.5 level; d is the distance
// transform from the other side of it. Only a one-pixel ramp at the moved edge is added (grow)
// or removed (shrink), so a soft mask keeps its soft values beyond the new edge (hair outside
// a grown edge stays hair) and a binary mask moves by exactly `shift` with an antialiased
// edge. Shift 0 changes nothing, and the area is monotonic in shift.
void shiftEdge(cv::Mat& maskF, double shift) {
    const bool grow = shift > 0;
    const float amount = static_cast<float>(std::abs(shift));
    cv::Mat inside = maskF >= 0.5f;
    // Grow: only pixels within `amount` of the inside change, all in the inside's bounding box
    // grown by the amount; their nearest inside pixel is in that box too. Shrink: only inside
    // pixels change, and the box grown by one holds their nearest outside pixel (or the photo's
    // border, which does not count as outside: a subject cut by the frame is not eaten from it).
    const cv::Rect box = boundingBoxOf(inside);
    if (box.empty()) return;
    const cv::Rect roi = grown(box, grow ? static_cast<int>(std::ceil(amount)) + 2 : 1, maskF.size());
    cv::Mat source = grow ? ~inside(roi) : inside(roi);  // distances to the zeros: the other side
    cv::Mat distance;
    cv::distanceTransform(source, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
    cv::Mat part = maskF(roi);
    const float sign = grow ? 1.f : -1.f;
    cv::parallel_for_(cv::Range(0, roi.height), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            float* m = part.ptr<float>(y);
            const float* d = distance.ptr<float>(y);
            const std::uint8_t* src = source.ptr<std::uint8_t>(y);
            for (int x = 0; x < roi.width; ++x) {
                if (!src[x]) continue;  // this side of the edge does not move
                // The pixel at distance d (>= 1) is covered once the edge, half a pixel
                // beyond the last pixel of the other side, has moved past its centre.
                const float ramp = std::clamp(1.f + amount - d[x], 0.f, 1.f);
                m[x] = std::clamp(m[x] + sign * ramp, 0.f, 1.f);
            }
        }
    });
}

// Radius: within `radius` px of the edge the mask is replaced by a guided filter of itself
// with the photo as guide (window `radius`, so fine structures inside the band take the
// photo's edges: hair, fur); a ramp over the band's outer quarter avoids a seam.
void smoothInBand(cv::Mat& maskF, const cv::Mat& photo, double radius) {
    cv::Mat inside = maskF >= 0.5f;
    cv::Mat edge;
    cv::morphologyEx(inside, edge, cv::MORPH_GRADIENT, cv::Mat());
    const cv::Rect edgeBox = boundingBoxOf(edge);
    if (edgeBox.empty()) return;
    const int r = std::max(1, static_cast<int>(std::lround(radius)));
    const cv::Rect band = grown(edgeBox, r + 1, maskF.size());
    // The filter's window reaches another r beyond the band: read the photo and mask there too.
    const cv::Rect context = grown(band, r, maskF.size());
    const cv::Rect bandInContext = band - context.tl();

    cv::Mat distance;
    cv::distanceTransform(~edge(band), distance, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
    cv::Mat filtered = guidedFilterMask(photo(context), maskF(context), r, kRefineEps);
    cv::Mat target = maskF(band);
    const cv::Mat source = filtered(bandInContext);
    const float rad = static_cast<float>(radius);
    const float rampWidth = std::max(1.f, 0.25f * rad);
    cv::parallel_for_(cv::Range(0, band.height), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            float* m = target.ptr<float>(y);
            const float* q = source.ptr<float>(y);
            const float* d = distance.ptr<float>(y);
            for (int x = 0; x < band.width; ++x) {
                const float w = std::clamp((rad + 0.5f - d[x]) / rampWidth, 0.f, 1.f);
                m[x] += w * (std::clamp(q[x], 0.f, 1.f) - m[x]);
            }
        }
    });
}

}  // namespace

cv::Mat upsampleMaskGuided(const cv::Mat& lowRes, const cv::Mat& photoBgr) {
    requirePhoto(photoBgr, "upsampleMaskGuided");
    if (lowRes.empty() || lowRes.type() != CV_32FC1) throw hz::Error("upsampleMaskGuided: the mask must be CV_32FC1");
    return upsampleGuided(lowRes, photoBgr, CV_32F);
}

cv::Mat upsampleMaskGuided16(const cv::Mat& lowRes, const cv::Mat& photoBgr) {
    requirePhoto(photoBgr, "upsampleMaskGuided");
    if (lowRes.empty() || lowRes.type() != CV_32FC1) throw hz::Error("upsampleMaskGuided: the mask must be CV_32FC1");
    return upsampleGuided(lowRes, photoBgr, CV_16U);
}

const std::array<RefineEdgeSpec, 3>& refineEdgeSpecs() {
    // The ranges of the editors users know (Photoshop's Select and Mask): radius and feather
    // up to 250 px; shift edge in pixels here (Photoshop's is a percentage of its own
    // feathered edge, which has no meaning for a mask that arrives already soft).
    static const std::array<RefineEdgeSpec, 3> specs{{
        {"radius", "Radius", 0.0, 250.0, 0.0, &RefineEdgeParams::radius, "refine", "px"},
        {"shift", "Shift Edge", -100.0, 100.0, 0.0, &RefineEdgeParams::shift, "shift", "px"},
        {"feather", "Feather", 0.0, 250.0, 0.0, &RefineEdgeParams::feather, "feather", "px"},
    }};
    return specs;
}

cv::Mat refineEdge(const cv::Mat& mask16, const cv::Mat& photoBgr, const RefineEdgeParams& params,
                   const std::atomic<bool>* cancel) {
    if (mask16.empty() || mask16.type() != CV_16UC1) throw hz::Error("Refine Edge: the mask must be 16-bit, one channel");
    for (const auto& spec : refineEdgeSpecs()) {
        const double v = params.*spec.member;
        if (!(v >= spec.minimum && v <= spec.maximum))
            throw hz::Error("Refine Edge: " + std::string(spec.key) + " = " + std::to_string(v) + " is outside [" +
                            std::to_string(spec.minimum) + ", " + std::to_string(spec.maximum) + "]");
    }
    if (cancelled(cancel)) return {};
    if (params.isIdentity()) return mask16.clone();
    if (params.radius > 0) {
        requirePhoto(photoBgr, "Refine Edge");
        if (photoBgr.size() != mask16.size()) throw hz::Error("Refine Edge: the mask and the photo differ in size");
    }

    cv::Mat maskF;
    mask16.convertTo(maskF, CV_32F, 1.0 / 65535.0);
    if (params.radius > 0) {
        smoothInBand(maskF, photoBgr, params.radius);
        if (cancelled(cancel)) return {};
    }
    if (params.shift != 0) {
        shiftEdge(maskF, params.shift);
        if (cancelled(cancel)) return {};
    }
    if (params.feather > 0) {
        gaussianSoften(maskF, params.feather);
        if (cancelled(cancel)) return {};
    }
    cv::Mat out;
    maskF.convertTo(out, CV_16U, 65535.0);
    return out;
}

}  // namespace hz::subject
