#pragma once
// The image and mask at the scale the view shows them (the "level"), plus their 8-bit
// display forms. Built off the GUI thread whenever the zoom or the image changes; the
// live preview renders crops of it instead of the full-resolution original.
#include <QImage>

#include <memory>

#include <opencv2/core.hpp>

namespace hz::ui {

struct DisplayLevel {
    double scale = 1.0;             // level pixels per image pixel (<= 1)
    quint64 imageRevision = 0;      // of the document image it was made from
    std::shared_ptr<const cv::Mat> image;  // BGR, the document's depth
    std::shared_ptr<cv::Mat> mask;          // CV_16UC1; copy-on-write against render snapshots
    QImage original;                // RGB32 of `image`
    QImage overlay;                 // ARGB32 premultiplied tint of `mask`
};

// The tint of the mask overlay: a translucent red, strongest where the mask is 1.
void paintOverlay(const cv::Mat& mask16, QImage& overlay, const cv::Rect& rect);
QImage makeOverlay(const cv::Mat& mask16);

}  // namespace hz::ui
