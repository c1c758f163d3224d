#pragma once
// The Object Selection tool's gesture on the canvas: drag a rectangle (a rubber band over
// the image), release to ask for the object inside it. Alt held at the press or the release
// subtracts, as Photoshop's Object Selection does with its modifier. It watches the canvas's
// mouse events without taking them, so panning (space+drag, middle button) still works, and
// never touches the document: the box is handed on in image pixels.
#include <QObject>
#include <QPoint>
#include <QRect>

class QRubberBand;

namespace hz::ui {

class ImageCanvas;

class BoxSelectTool : public QObject {
    Q_OBJECT
public:
    explicit BoxSelectTool(ImageCanvas* canvas);
    bool isDragging() const { return dragging_; }

Q_SIGNALS:
    // `imageRect`: whole image pixels, clipped to the image; never empty.
    void boxSelected(QRect imageRect, bool subtract);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    bool active() const;
    QRect imageRectOf(QPoint a, QPoint b) const;

    ImageCanvas* canvas_;
    QRubberBand* band_;
    QPoint start_;
    bool dragging_ = false, altAtPress_ = false, spaceHeld_ = false;
};

}  // namespace hz::ui
