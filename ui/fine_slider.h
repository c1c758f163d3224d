#pragma once
// A slider for values that need fine adjustment: Shift+drag moves the value ten times slower
// than the mouse (the handle stays where it is when Shift is pressed; the drag stays fine
// until the button is released), Shift+wheel moves one step per notch instead of three, and
// a double-click asks for the value to be reset (to the predicted value, in the panel).
#include <QSlider>

namespace hz::ui {

class FineSlider : public QSlider {
    Q_OBJECT
public:
    static constexpr double kFineFactor = 10.0;
    explicit FineSlider(Qt::Orientation orientation, QWidget* parent = nullptr);

Q_SIGNALS:
    void resetRequested();

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    double unitsPerPixel() const;
    bool fine_ = false;
    double anchorX_ = 0.0;
    int anchorValue_ = 0;
};

}  // namespace hz::ui
