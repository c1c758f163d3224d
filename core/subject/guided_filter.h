#pragma once
// The guided filter (He, Sun, Tang, "Guided Image Filtering", 2010/2013) with a colour
// guide, in its fast form (He & Sun, "Fast Guided Filter", 2015): the linear coefficients
// (a, b) of q = a . I + b are computed at a reduced resolution, upsampled bilinearly and
// applied to the full-resolution photo, so the output's edges are the photo's at full
// resolution while the box statistics cost the reduced size. Internal to hz_subject_select.
#include <opencv2/core.hpp>

namespace hz::subject {

// Regularisation of the colour covariance (guide in [0, 1]). Larger = smoother, closer to
// the input mask; smaller = follows the photo more closely (and its texture).
constexpr double kUpsampleEps = 1e-4;  // network mask -> full resolution
constexpr double kRefineEps = 1e-4;    // Refine Edge's radius: follow the photo's edges closely

// photo: CV_8UC3 / CV_16UC3 BGR; mask: CV_32FC1 of the same size. Window radius r px at the
// photo's resolution; the coefficients are computed at 1/max(1, r/4) of it. Returns CV_32FC1
// of the photo's size (not clamped).
cv::Mat guidedFilterMask(const cv::Mat& photo, const cv::Mat& maskF, int r, double eps);

// lowRes: CV_32FC1 of any size (stretched to the photo's aspect); photo: CV_8UC3 / CV_16UC3.
// Returns the photo's size in `depth` (CV_32F in [0, 1] or CV_16U in [0, 65535]), clamped.
cv::Mat upsampleGuided(const cv::Mat& lowRes, const cv::Mat& photo, int depth);

}  // namespace hz::subject
