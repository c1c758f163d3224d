#pragma once
// Mask refinement that needs no network: edge-aware upsampling of a low-resolution mask
// guided by the full-resolution photo, Refine Edge (radius, shift edge, feather) for any
// mask, painted or predicted, and the graph-cut clean-up inside a box. OpenCV only.
#include <opencv2/core.hpp>

#include <array>
#include <atomic>

namespace hz::subject {

// lowRes: CV_32FC1 in [0, 1], any size (e.g. the network's square); photo: CV_8UC3 or
// CV_16UC3 BGR at full resolution. Returns CV_32FC1 in [0, 1] of the photo's size whose
// edges follow the photo's edges (guided filter), not the low-resolution grid. Values within
// 256/65535 of 0 or 1 are made exact (a network is never quite sure; a harmonization with
// the mask must leave the background bit for bit).
cv::Mat upsampleMaskGuided(const cv::Mat& lowRes, const cv::Mat& photoBgr);
// The same as a 16-bit mask (0..65535), written directly: at 12 MP this saves a 48 MB float
// image and a pass over it.
cv::Mat upsampleMaskGuided16(const cv::Mat& lowRes, const cv::Mat& photoBgr);

// Refine Edge, as in the editors users know. One struct and one table of specs drive the
// editor's dialog, the CLI flags and the tests.
struct RefineEdgeParams {
    double radius = 0;   // px: edge-aware smoothing band around the edge (0 = off)
    double shift = 0;    // px: grow (> 0) or shrink (< 0) the mask
    double feather = 0;  // px: Gaussian softening of the edge (0 = off)
    bool isIdentity() const { return radius == 0 && shift == 0 && feather == 0; }
};
struct RefineEdgeSpec {
    const char* key;     // sidecar key: "radius", "shift", "feather"
    const char* label;   // UI label
    double minimum, maximum, defaultValue;
    double RefineEdgeParams::*member;
    const char* flag;    // CLI flag without "--": "refine" (the radius), "shift", "feather"
    const char* unit;    // for help texts: "px"
};
const std::array<RefineEdgeSpec, 3>& refineEdgeSpecs();

// mask16: CV_16UC1 (0..65535); photo: BGR of the same size (the guide for `radius`).
// Returns CV_16UC1 of the same size. The identity parameters return an exact copy.
// `cancel` (may be null): when it is set, an empty Mat is returned.
cv::Mat refineEdge(const cv::Mat& mask16, const cv::Mat& photoBgr, const RefineEdgeParams& params,
                   const std::atomic<bool>* cancel = nullptr);

}  // namespace hz::subject
