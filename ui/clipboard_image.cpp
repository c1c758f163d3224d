#include "ui/clipboard_image.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QMimeData>

#include <opencv2/imgproc.hpp>

namespace hz::ui {

namespace {
bool isSixteenBit(const QImage& image) {
    return image.format() == QImage::Format_RGBX64 || image.format() == QImage::Format_RGBA64 ||
           image.format() == QImage::Format_RGBA64_Premultiplied;
}
}  // namespace

cv::Mat bgrFromQImage(const QImage& image) { return layerFromQImage(image).pixels; }

ForegroundLayer layerFromQImage(const QImage& source) {
    ForegroundLayer layer;
    if (source.isNull()) return layer;
    const bool sixteen = isSixteenBit(source);
    // Straight (not premultiplied) alpha: the compositor blends with it itself.
    const QImage rgba = source.convertToFormat(sixteen ? QImage::Format_RGBA64 : QImage::Format_RGBA8888);
    const int type = sixteen ? CV_16UC4 : CV_8UC4;
    const cv::Mat view(rgba.height(), rgba.width(), type, const_cast<uchar*>(rgba.constBits()),
                       std::size_t(rgba.bytesPerLine()));
    cv::cvtColor(view, layer.pixels, cv::COLOR_RGBA2BGR);
    cv::Mat alpha;
    cv::extractChannel(view, alpha, 3);
    if (sixteen)
        layer.alpha16 = alpha.clone();
    else
        alpha.convertTo(layer.alpha16, CV_16U, 257.0);
    layer.hadAlpha = source.hasAlphaChannel() && cv::countNonZero(alpha != (sixteen ? 65535 : 255)) > 0;
    if (!layer.hadAlpha) layer.warnings.push_back("the pasted image has no transparency: the whole rectangle is foreground");
    return layer;
}

std::optional<QImage> clipboardImage() {
    const QMimeData* mime = QGuiApplication::clipboard()->mimeData();
    if (!mime || !mime->hasImage()) return std::nullopt;
    QImage image = qvariant_cast<QImage>(mime->imageData());
    if (image.isNull()) return std::nullopt;
    return image;
}

}  // namespace hz::ui
