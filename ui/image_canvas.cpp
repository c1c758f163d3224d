#include "ui/image_canvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hz::ui {

namespace {
constexpr double kMinZoom = 0.02, kMaxZoom = 32.0;
constexpr int kHandleSize = 9;
constexpr int kDividerGrab = 6;
}  // namespace

void paintOverlay(const cv::Mat& mask16, QImage& overlay, const cv::Rect& rect) {
    const cv::Rect r = rect & cv::Rect(0, 0, mask16.cols, mask16.rows);
    // Premultiplied red at up to 50% opacity.
    for (int y = r.y; y < r.y + r.height; ++y) {
        const std::uint16_t* m = mask16.ptr<std::uint16_t>(y);
        auto* out = reinterpret_cast<QRgb*>(overlay.scanLine(y));
        for (int x = r.x; x < r.x + r.width; ++x) {
            const int a = (m[x] * 128 + 32767) / 65535;  // 0..128
            out[x] = qRgba((255 * a) / 255, (40 * a) / 255, (40 * a) / 255, a);
        }
    }
}

QImage makeOverlay(const cv::Mat& mask16) {
    QImage overlay(mask16.cols, mask16.rows, QImage::Format_ARGB32_Premultiplied);
    paintOverlay(mask16, overlay, cv::Rect(0, 0, mask16.cols, mask16.rows));
    return overlay;
}

ImageCanvas::ImageCanvas(QWidget* parent) : QWidget(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(200, 150);
    updateCursor();
}

void ImageCanvas::setImageSize(cv::Size size) {
    const bool changed = size != imageSize_;
    imageSize_ = size;
    if (changed) {
        level_.reset();
        clearPreview();
        fitMode_ = true;
        applyFit();
        Q_EMIT viewChanged();
    }
    update();
}

void ImageCanvas::setLevel(std::shared_ptr<const DisplayLevel> level) {
    level_ = std::move(level);
    update();
}

void ImageCanvas::clearPreview() {
    previewImage_ = QImage();
    previewRect_ = QRectF();
    update();
}

void ImageCanvas::setPreview(const QImage& image, const QRectF& imageRect, quint64 generation) {
    previewImage_ = image;
    previewRect_ = imageRect;
    previewGeneration_ = generation;
    update();
}

void ImageCanvas::setOffset(QPointF offset) {
    // Whole widget pixels: a level drawn at its own scale is then a plain copy.
    offset_ = QPointF(std::round(offset.x()), std::round(offset.y()));
}

void ImageCanvas::applyFit() {
    if (imageSize_.empty() || width() <= 0 || height() <= 0) return;
    const double margin = 8.0;
    zoom_ = std::clamp(std::min((width() - margin) / imageSize_.width, (height() - margin) / imageSize_.height),
                       kMinZoom, kMaxZoom);
    setOffset(QPointF((width() - imageSize_.width * zoom_) / 2.0, (height() - imageSize_.height * zoom_) / 2.0));
}

void ImageCanvas::fitToWindow() {
    fitMode_ = true;
    applyFit();
    update();
    Q_EMIT viewChanged();
}

void ImageCanvas::zoomActualSize() {
    setZoom(1.0, QPointF(width() / 2.0, height() / 2.0));
}

void ImageCanvas::setZoom(double zoom, QPointF anchor) {
    if (imageSize_.empty()) return;
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    const QPointF imagePoint = widgetToImage(anchor);
    zoom_ = zoom;
    fitMode_ = false;
    setOffset(anchor - imagePoint * zoom_);
    update();
    Q_EMIT viewChanged();
}

QRectF ImageCanvas::visibleImageRect() const {
    if (imageSize_.empty()) return {};
    const QRectF view(widgetToImage(QPointF(0, 0)), widgetToImage(QPointF(width(), height())));
    return view.intersected(QRectF(0, 0, imageSize_.width, imageSize_.height));
}

void ImageCanvas::setTool(Tool tool) {
    tool_ = tool;
    updateCursor();
    update();
}

void ImageCanvas::setBrushRadius(double radius) {
    brushRadius_ = radius;
    update();
}

void ImageCanvas::setOverlayVisible(bool visible) {
    overlayVisible_ = visible;
    update();
}

void ImageCanvas::setSplitView(bool split) {
    splitView_ = split;
    update();
}

void ImageCanvas::setSplitFraction(double fraction) {
    splitFraction_ = std::clamp(fraction, 0.0, 1.0);
    update();
}

void ImageCanvas::setShowOriginal(bool show) {
    if (show == showOriginal_) return;
    showOriginal_ = show;
    update();
    Q_EMIT showOriginalChanged(show);
}

void ImageCanvas::setLayer(const QImage& display, cv::Size foregroundSize, const LayerPlacement& placement) {
    layerDisplay_ = display;
    layerSize_ = foregroundSize;
    layerPlacement_ = placement;
    hasLayer_ = true;
    update();
}

void ImageCanvas::clearLayer() {
    hasLayer_ = false;
    layerDisplay_ = QImage();
    update();
}

void ImageCanvas::setHint(const QString& hint) {
    hint_ = hint;
    update();
}

QRectF ImageCanvas::layerRectOnWidget(const LayerPlacement& placement) const {
    const cv::Rect bounds = layerBounds(layerSize_, placement);
    return QRectF(imageToWidget(QPointF(bounds.x, bounds.y)),
                  imageToWidget(QPointF(bounds.x + bounds.width, bounds.y + bounds.height)));
}

int ImageCanvas::layerHandleAt(QPointF p) const {
    if (!hasLayer_) return -1;
    const QRectF r = layerRectOnWidget(layerPlacement_);
    const QPointF corners[4] = {r.topLeft(), r.topRight(), r.bottomRight(), r.bottomLeft()};
    for (int i = 0; i < 4; ++i)
        if (std::abs(p.x() - corners[i].x()) <= kHandleSize && std::abs(p.y() - corners[i].y()) <= kHandleSize)
            return i;
    return -1;
}

void ImageCanvas::drawLevelPart(QPainter& painter, const QImage& image, const QRectF& imageRect, double scale) {
    if (image.isNull() || imageRect.isEmpty()) return;
    // Source in level pixels, rounded outwards so that the copy stays pixel-aligned.
    QRectF source(imageRect.left() * scale, imageRect.top() * scale, imageRect.width() * scale,
                  imageRect.height() * scale);
    source = QRectF(QPointF(std::floor(source.left()), std::floor(source.top())),
                    QPointF(std::ceil(source.right()), std::ceil(source.bottom())))
                 .intersected(QRectF(0, 0, image.width(), image.height()));
    const QRectF target(imageToWidget(source.topLeft() / scale), imageToWidget(source.bottomRight() / scale));
    painter.drawImage(target, image, source);
}

void ImageCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(40, 40, 43));
    if (imageSize_.empty()) {
        painter.setPen(QColor(170, 170, 175));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                         hint_.isEmpty() ? tr("Drop a composite and its mask here, or use File > Open.") : hint_);
        return;
    }
    const QRectF visible = visibleImageRect();
    const QRectF imageOnWidget(imageToWidget(QPointF(0, 0)),
                               imageToWidget(QPointF(imageSize_.width, imageSize_.height)));
    // Downscaling a level that does not match the zoom yet (during a wheel zoom) should look
    // smooth; zooming in past 100% shows pixels, as editors do.
    const double levelScale = level_ ? level_->scale : 1.0;
    painter.setRenderHint(QPainter::SmoothPixmapTransform, zoom_ < levelScale - 1e-9);

    // The original shows wherever the preview does not (yet) cover: newly exposed areas
    // while panning, the "before" side of the split, or while the backslash key is held.
    const bool previewCoversView = !showOriginal_ && !splitView_ && !previewImage_.isNull() &&
                                   previewRect_.adjusted(-0.5, -0.5, 0.5, 0.5).contains(visible);
    if (level_ && !previewCoversView) {
        drawLevelPart(painter, level_->original, visible, level_->scale);
    } else if (!level_) {
        painter.fillRect(imageOnWidget, QColor(60, 60, 64));
    }

    bool drewPreview = false;
    if (!showOriginal_ && !previewImage_.isNull()) {
        painter.save();
        if (splitView_) painter.setClipRect(QRectF(QPointF(dividerX(), 0), QPointF(width(), height())));
        const QRectF target(imageToWidget(previewRect_.topLeft()), imageToWidget(previewRect_.bottomRight()));
        painter.setRenderHint(QPainter::SmoothPixmapTransform,
                              std::abs(target.width() - previewImage_.width()) > 0.5 &&
                                  target.width() < previewImage_.width());
        painter.drawImage(target, previewImage_);
        painter.restore();
        drewPreview = true;
    }

    if (overlayVisible_ && level_ && !level_->overlay.isNull()) drawLevelPart(painter, level_->overlay, visible, level_->scale);

    if (hasLayer_) {
        const QRectF frame = layerRectOnWidget(layerPlacement_);
        if (drag_ == Drag::LayerMove || drag_ == Drag::LayerScale) {
            painter.setOpacity(0.85);
            painter.setRenderHint(QPainter::SmoothPixmapTransform, true);
            painter.drawImage(frame, layerDisplay_);
            painter.setOpacity(1.0);
        }
        painter.setRenderHint(QPainter::Antialiasing, false);
        QPen pen(QColor(255, 255, 255), 1, Qt::DashLine);
        painter.setPen(pen);
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(frame);
        painter.setPen(QPen(QColor(20, 20, 20), 1));
        painter.setBrush(QColor(255, 255, 255));
        for (const QPointF& c : {frame.topLeft(), frame.topRight(), frame.bottomRight(), frame.bottomLeft()})
            painter.drawRect(QRectF(c.x() - kHandleSize / 2.0, c.y() - kHandleSize / 2.0, kHandleSize, kHandleSize));
    }

    if (splitView_ && !showOriginal_) {
        const double x = dividerX();
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2));
        painter.drawLine(QPointF(x, 0), QPointF(x, height()));
        painter.setBrush(QColor(255, 255, 255));
        painter.setPen(QPen(QColor(30, 30, 30), 1));
        painter.drawEllipse(QPointF(x, height() / 2.0), 9, 9);
        painter.setPen(QColor(255, 255, 255));
        const QFontMetrics metrics(font());
        painter.drawText(QPointF(x - 12 - metrics.horizontalAdvance(tr("Before")), 22), tr("Before"));
        painter.drawText(QPointF(x + 12, 22), tr("After"));
    }
    if (showOriginal_) {
        painter.setPen(QColor(255, 255, 255));
        painter.drawText(QPointF(12, 22), tr("Original (release \\ to see the result)"));
    }

    if (mouseInside_ && (tool_ == Tool::Paint || tool_ == Tool::Erase) && paintingEnabled_ && drag_ != Drag::Pan &&
        !spaceHeld_) {
        const double r = std::max(1.0, brushRadius_ * zoom_);
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(QColor(0, 0, 0, 200), 1.0));
        painter.drawEllipse(lastMouse_, r + 1, r + 1);
        painter.setPen(QPen(QColor(255, 255, 255, 230), 1.0));
        painter.drawEllipse(lastMouse_, r, r);
    }
    painter.end();
    if (drewPreview) Q_EMIT previewPainted(previewGeneration_);
}

void ImageCanvas::resizeEvent(QResizeEvent*) {
    if (fitMode_) applyFit();
    Q_EMIT viewChanged();
}

void ImageCanvas::wheelEvent(QWheelEvent* event) {
    if (imageSize_.empty()) return;
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0.0) return;
    setZoom(zoom_ * std::pow(1.2, steps), event->position());
    event->accept();
}

void ImageCanvas::mousePressEvent(QMouseEvent* event) {
    lastMouse_ = event->position();
    dragStartWidget_ = event->position();
    if (imageSize_.empty()) return;
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && spaceHeld_)) {
        drag_ = Drag::Pan;
        updateCursor();
        return;
    }
    if (event->button() == Qt::LeftButton && tool_ == Tool::Pan &&
        !(splitView_ && !showOriginal_ && std::abs(event->position().x() - dividerX()) <= kDividerGrab)) {
        drag_ = Drag::Pan;
        updateCursor();
        return;
    }
    if (event->button() != Qt::LeftButton) return;
    if (splitView_ && !showOriginal_ && std::abs(event->position().x() - dividerX()) <= kDividerGrab) {
        drag_ = Drag::Divider;
        return;
    }
    if (tool_ == Tool::MoveLayer && hasLayer_) {
        scaleHandle_ = layerHandleAt(event->position());
        if (scaleHandle_ >= 0) {
            drag_ = Drag::LayerScale;
        } else if (layerRectOnWidget(layerPlacement_).contains(event->position())) {
            drag_ = Drag::LayerMove;
        } else {
            return;
        }
        dragStartPlacement_ = layerPlacement_;
        update();
        return;
    }
    if ((tool_ == Tool::Paint || tool_ == Tool::Erase) && paintingEnabled_) {
        drag_ = Drag::Stroke;
        Q_EMIT strokeStarted(widgetToImage(event->position()));
    }
}

void ImageCanvas::mouseMoveEvent(QMouseEvent* event) {
    const QPointF previous = lastMouse_;
    lastMouse_ = event->position();
    mouseInside_ = true;
    switch (drag_) {
        case Drag::Pan:
            fitMode_ = false;
            setOffset(offset_ + (event->position() - previous));
            update();
            Q_EMIT viewChanged();
            return;
        case Drag::Divider: setSplitFraction(event->position().x() / std::max(1, width())); return;
        case Drag::Stroke: Q_EMIT strokeMoved(widgetToImage(event->position())); break;
        case Drag::LayerMove: {
            const QPointF delta = (event->position() - dragStartWidget_) / zoom_;
            layerPlacement_ = dragStartPlacement_;
            layerPlacement_.x = std::round(dragStartPlacement_.x + delta.x());
            layerPlacement_.y = std::round(dragStartPlacement_.y + delta.y());
            break;
        }
        case Drag::LayerScale: {
            // Uniform scale about the opposite corner, following the cursor's distance from it.
            const cv::Rect start = layerBounds(layerSize_, dragStartPlacement_);
            const QPointF corners[4] = {QPointF(start.x, start.y), QPointF(start.x + start.width, start.y),
                                        QPointF(start.x + start.width, start.y + start.height),
                                        QPointF(start.x, start.y + start.height)};
            const QPointF anchor = corners[(scaleHandle_ + 2) % 4];
            const QPointF pointer = widgetToImage(event->position());
            const double diagonal = std::hypot(double(start.width), double(start.height));
            const double reach = std::hypot(pointer.x() - anchor.x(), pointer.y() - anchor.y());
            const double factor = std::max(4.0 / diagonal, reach / diagonal);
            LayerPlacement p = dragStartPlacement_;
            p.scale = dragStartPlacement_.scale * factor;
            const double w = layerSize_.width * p.scale, h = layerSize_.height * p.scale;
            p.x = std::round((scaleHandle_ == 0 || scaleHandle_ == 3) ? anchor.x() - w : anchor.x());
            p.y = std::round((scaleHandle_ == 0 || scaleHandle_ == 1) ? anchor.y() - h : anchor.y());
            layerPlacement_ = p;
            break;
        }
        case Drag::None:
            // Tell the user what a press would grab.
            if (splitView_ && !showOriginal_ && std::abs(event->position().x() - dividerX()) <= kDividerGrab)
                setCursor(Qt::SplitHCursor);
            else if (tool_ == Tool::MoveLayer && layerHandleAt(event->position()) >= 0)
                setCursor(layerHandleAt(event->position()) % 2 ? Qt::SizeBDiagCursor : Qt::SizeFDiagCursor);
            else
                updateCursor();
            break;
        default: break;
    }
    update();
}

void ImageCanvas::mouseReleaseEvent(QMouseEvent* event) {
    const Drag finished = drag_;
    drag_ = Drag::None;
    switch (finished) {
        case Drag::Stroke: Q_EMIT strokeFinished(); break;
        case Drag::LayerMove:
        case Drag::LayerScale:
            if (layerPlacement_ != dragStartPlacement_) Q_EMIT layerPlacementCommitted(dragStartPlacement_, layerPlacement_);
            break;
        default: break;
    }
    updateCursor();
    update();
    (void)event;
}

void ImageCanvas::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_Space:
            if (!event->isAutoRepeat()) {
                spaceHeld_ = true;
                updateCursor();
                update();
            }
            return;
        case Qt::Key_Backslash:
            if (!event->isAutoRepeat()) setShowOriginal(true);
            return;
        case Qt::Key_BracketLeft: Q_EMIT brushSizeStepRequested(-1); return;
        case Qt::Key_BracketRight: Q_EMIT brushSizeStepRequested(+1); return;
        default: QWidget::keyPressEvent(event);
    }
}

void ImageCanvas::keyReleaseEvent(QKeyEvent* event) {
    if (event->isAutoRepeat()) return;
    if (event->key() == Qt::Key_Space) {
        spaceHeld_ = false;
        updateCursor();
        update();
    } else if (event->key() == Qt::Key_Backslash) {
        setShowOriginal(false);
    } else {
        QWidget::keyReleaseEvent(event);
    }
}

void ImageCanvas::leaveEvent(QEvent*) {
    mouseInside_ = false;
    update();
}

void ImageCanvas::focusOutEvent(QFocusEvent*) {
    // A key released while another widget had focus never reaches us.
    spaceHeld_ = false;
    setShowOriginal(false);
    updateCursor();
}

void ImageCanvas::updateCursor() {
    if (drag_ == Drag::Pan) {
        setCursor(Qt::ClosedHandCursor);
    } else if (spaceHeld_) {
        setCursor(Qt::OpenHandCursor);
    } else if (tool_ == Tool::MoveLayer) {
        setCursor(Qt::SizeAllCursor);
    } else if (tool_ == Tool::Pan) {
        setCursor(Qt::OpenHandCursor);
    } else {
        setCursor(Qt::CrossCursor);
    }
}

}  // namespace hz::ui
