#include "ui/box_select_tool.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QRubberBand>

#include <algorithm>
#include <cmath>

#include "ui/image_canvas.h"

namespace hz::ui {

namespace {
// Below this many screen pixels a press and release is a click, not a box.
constexpr int kMinDragPixels = 3;
}  // namespace

BoxSelectTool::BoxSelectTool(ImageCanvas* canvas)
    : QObject(canvas), canvas_(canvas), band_(new QRubberBand(QRubberBand::Rectangle, canvas)) {
    band_->setObjectName("objectSelectionBox");
    canvas_->installEventFilter(this);
}

bool BoxSelectTool::active() const {
    return canvas_->tool() == Tool::BoxSelect && !canvas_->imageSize().empty() && !spaceHeld_;
}

QRect BoxSelectTool::imageRectOf(QPoint a, QPoint b) const {
    const QPointF p = canvas_->widgetToImage(QPointF(a)), q = canvas_->widgetToImage(QPointF(b));
    const int left = int(std::floor(std::min(p.x(), q.x()))), top = int(std::floor(std::min(p.y(), q.y())));
    const int right = int(std::ceil(std::max(p.x(), q.x()))), bottom = int(std::ceil(std::max(p.y(), q.y())));
    const cv::Size size = canvas_->imageSize();
    return QRect(QPoint(left, top), QPoint(right - 1, bottom - 1)).intersected(QRect(0, 0, size.width, size.height));
}

bool BoxSelectTool::eventFilter(QObject* watched, QEvent* event) {
    if (watched != canvas_) return false;
    switch (event->type()) {
        case QEvent::KeyPress:
        case QEvent::KeyRelease: {
            // The canvas pans while space is held; a box must not start under it.
            auto* key = static_cast<QKeyEvent*>(event);
            if (key->key() == Qt::Key_Space && !key->isAutoRepeat()) spaceHeld_ = event->type() == QEvent::KeyPress;
            if (key->key() == Qt::Key_Escape && dragging_ && event->type() == QEvent::KeyPress) {
                dragging_ = false;
                band_->hide();
                return true;
            }
            break;
        }
        case QEvent::FocusOut: spaceHeld_ = false; break;
        case QEvent::MouseButtonPress: {
            auto* mouse = static_cast<QMouseEvent*>(event);
            if (mouse->button() != Qt::LeftButton || !active()) break;
            start_ = mouse->position().toPoint();
            altAtPress_ = mouse->modifiers() & Qt::AltModifier;
            dragging_ = true;
            band_->setGeometry(QRect(start_, QSize()));
            band_->show();
            break;
        }
        case QEvent::MouseMove: {
            if (!dragging_) break;
            auto* mouse = static_cast<QMouseEvent*>(event);
            band_->setGeometry(QRect(start_, mouse->position().toPoint()).normalized());
            break;
        }
        case QEvent::MouseButtonRelease: {
            auto* mouse = static_cast<QMouseEvent*>(event);
            if (!dragging_ || mouse->button() != Qt::LeftButton) break;
            dragging_ = false;
            band_->hide();
            const QPoint end = mouse->position().toPoint();
            if (std::abs(end.x() - start_.x()) < kMinDragPixels || std::abs(end.y() - start_.y()) < kMinDragPixels) break;
            const QRect rect = imageRectOf(start_, end);
            const bool subtract = altAtPress_ || (mouse->modifiers() & Qt::AltModifier);
            if (!rect.isEmpty()) Q_EMIT boxSelected(rect, subtract);
            break;
        }
        default: break;
    }
    return false;
}

}  // namespace hz::ui
