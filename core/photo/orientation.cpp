#include "core/photo/orientation.h"

namespace hz::photo {

void applyOrientation(cv::Mat& pixels, int orientation) {
    cv::Mat out;
    switch (orientation) {
        case 2: cv::flip(pixels, out, 1); break;                          // mirrored left-right
        case 3: cv::rotate(pixels, out, cv::ROTATE_180); break;
        case 4: cv::flip(pixels, out, 0); break;                          // mirrored top-bottom
        case 5: cv::transpose(pixels, out); break;                        // mirrored + 90 counter-clockwise
        case 6: cv::rotate(pixels, out, cv::ROTATE_90_CLOCKWISE); break;
        case 7: cv::transpose(pixels, out); cv::rotate(out, out, cv::ROTATE_180); break;  // transverse
        case 8: cv::rotate(pixels, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
        default: return;
    }
    pixels = out;
}

cv::Size orientedSize(cv::Size stored, int orientation) {
    return orientation >= 5 && orientation <= 8 ? cv::Size(stored.height, stored.width) : stored;
}

}  // namespace hz::photo
