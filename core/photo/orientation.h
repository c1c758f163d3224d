#pragma once
// EXIF orientation (1..8) applied to pixels, and the size a stored image has once turned.
#include <opencv2/core.hpp>

namespace hz::photo {

// Turns `pixels` from the stored frame to the displayed one (any type, in place).
void applyOrientation(cv::Mat& pixels, int orientation);
// Orientations 5..8 swap width and height.
cv::Size orientedSize(cv::Size stored, int orientation);

}  // namespace hz::photo
