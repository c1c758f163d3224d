#pragma once
// Edit > Paste: an image on the clipboard as OpenCV pixels. Outside compose mode it opens as
// a new composite (mask empty, to be painted); in compose mode it becomes a foreground layer
// whose alpha channel (a cut-out copied from another editor) is its mask.
#include <QImage>

#include <optional>

#include "core/session/compose.h"

namespace hz::ui {

// BGR, 8-bit, 3 channels (or 16-bit when the QImage has 16 bits per channel).
cv::Mat bgrFromQImage(const QImage& image);
// The clipboard image as a layer: pixels plus alpha (opaque, hadAlpha false, without one).
ForegroundLayer layerFromQImage(const QImage& image);
// The system clipboard's image, if it holds one.
std::optional<QImage> clipboardImage();

}  // namespace hz::ui
