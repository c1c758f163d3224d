#include "ui/fine_slider.h"

#include <QMouseEvent>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QWheelEvent>

#include <cmath>

namespace hz::ui {

FineSlider::FineSlider(Qt::Orientation orientation, QWidget* parent) : QSlider(orientation, parent) {}

double FineSlider::unitsPerPixel() const {
    QStyleOptionSlider option;
    initStyleOption(&option);
    const QRect groove = style()->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderGroove, this);
    const QRect handle = style()->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderHandle, this);
    const int span = std::max(1, groove.width() - handle.width());
    return double(maximum() - minimum()) / span;
}

void FineSlider::mousePressEvent(QMouseEvent* event) {
    fine_ = false;
    QSlider::mousePressEvent(event);
}

void FineSlider::mouseMoveEvent(QMouseEvent* event) {
    if (isSliderDown() && (fine_ || (event->modifiers() & Qt::ShiftModifier))) {
        if (!fine_) {
            fine_ = true;
            anchorX_ = event->position().x();
            anchorValue_ = value();
        }
        const double delta = (event->position().x() - anchorX_) * unitsPerPixel() / kFineFactor;
        setSliderPosition(std::clamp(int(std::lround(anchorValue_ + delta)), minimum(), maximum()));
        event->accept();
        return;
    }
    QSlider::mouseMoveEvent(event);
}

void FineSlider::mouseReleaseEvent(QMouseEvent* event) {
    QSlider::mouseReleaseEvent(event);
    fine_ = false;
}

void FineSlider::mouseDoubleClickEvent(QMouseEvent* event) {
    event->accept();
    Q_EMIT resetRequested();
}

void FineSlider::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ShiftModifier) {
        // Some platforms turn Shift+wheel into a horizontal scroll: take either axis.
        const QPoint angle = event->angleDelta();
        const int delta = angle.y() != 0 ? angle.y() : angle.x();
        if (delta != 0) setValue(value() + (delta > 0 ? singleStep() : -singleStep()));
        event->accept();
        return;
    }
    QSlider::wheelEvent(event);
}

}  // namespace hz::ui
