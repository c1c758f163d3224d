#pragma once
// The image view: shows the level's original and the latest rendered preview, the mask
// overlay, a before/after split, the brush outline and, in compose mode, the foreground
// layer's frame. Zoom (fit, 100%, wheel around the cursor) and pan (space+drag, middle
// button). Mouse input becomes strokes and layer moves in image coordinates; the canvas
// itself never changes the document.
#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QWidget>

#include <memory>

#include <opencv2/core.hpp>

#include "core/session/compose.h"
#include "ui/display_level.h"

namespace hz::ui {

// BoxSelect: the canvas only shows a cross; ui/box_select_tool draws and reports the box.
enum class Tool { Pan, Paint, Erase, MoveLayer, BoxSelect };

class ImageCanvas : public QWidget {
    Q_OBJECT
public:
    explicit ImageCanvas(QWidget* parent = nullptr);

    void setImageSize(cv::Size size);   // a new size fits the view
    cv::Size imageSize() const { return imageSize_; }
    void setLevel(std::shared_ptr<const DisplayLevel> level);
    void clearPreview();
    void setPreview(const QImage& image, const QRectF& imageRect, quint64 generation);
    quint64 previewGeneration() const { return previewGeneration_; }
    const QImage& previewImage() const { return previewImage_; }
    QRectF previewRect() const { return previewRect_; }  // where previewImage() lies, in image pixels

    double zoom() const { return zoom_; }
    bool isFitMode() const { return fitMode_; }
    void setZoom(double zoom, QPointF anchorWidget);
    void fitToWindow();
    void zoomActualSize();
    QPointF imageToWidget(QPointF p) const { return offset_ + p * zoom_; }
    QPointF widgetToImage(QPointF p) const { return (p - offset_) / zoom_; }
    // The part of the image inside the widget, in image coordinates (empty without an image).
    QRectF visibleImageRect() const;

    Tool tool() const { return tool_; }
    void setTool(Tool tool);
    void setBrushRadius(double radiusImagePixels);
    void setOverlayVisible(bool visible);
    bool overlayVisible() const { return overlayVisible_; }
    void setSplitView(bool split);
    bool splitView() const { return splitView_; }
    double splitFraction() const { return splitFraction_; }
    void setSplitFraction(double fraction);
    void setShowOriginal(bool show);
    bool showingOriginal() const { return showOriginal_; }
    void setPaintingEnabled(bool enabled) { paintingEnabled_ = enabled; }

    // Compose mode: the foreground as drawn while it is dragged, its size and placement.
    void setLayer(const QImage& display, cv::Size foregroundSize, const LayerPlacement& placement);
    void clearLayer();
    void setHint(const QString& hint);

Q_SIGNALS:
    void viewChanged();
    void strokeStarted(QPointF imagePoint);
    void strokeMoved(QPointF imagePoint);
    void strokeFinished();
    void layerPlacementCommitted(hz::LayerPlacement before, hz::LayerPlacement after);
    void brushSizeStepRequested(int direction);
    void showOriginalChanged(bool showing);
    // After a paint that put the preview of `generation` on screen.
    void previewPainted(quint64 generation);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void focusOutEvent(QFocusEvent* event) override;

private:
    enum class Drag { None, Pan, Stroke, Divider, LayerMove, LayerScale };
    void setOffset(QPointF offset);
    void applyFit();
    void drawLevelPart(QPainter& painter, const QImage& image, const QRectF& imageRect, double scale);
    QRectF layerRectOnWidget(const LayerPlacement& placement) const;
    int layerHandleAt(QPointF widgetPoint) const;  // -1 none, 0..3 corners
    double dividerX() const { return splitFraction_ * width(); }
    void updateCursor();

    cv::Size imageSize_;
    std::shared_ptr<const DisplayLevel> level_;
    QImage previewImage_;
    QRectF previewRect_;
    quint64 previewGeneration_ = 0;

    double zoom_ = 1.0;
    QPointF offset_;
    bool fitMode_ = true;

    Tool tool_ = Tool::Pan;
    bool paintingEnabled_ = true;
    double brushRadius_ = 40.0;
    bool overlayVisible_ = false;
    bool splitView_ = false;
    double splitFraction_ = 0.5;
    bool showOriginal_ = false;
    bool spaceHeld_ = false;
    QString hint_;

    QImage layerDisplay_;
    cv::Size layerSize_;
    LayerPlacement layerPlacement_, dragStartPlacement_;
    bool hasLayer_ = false;
    int scaleHandle_ = -1;

    Drag drag_ = Drag::None;
    QPointF dragStartWidget_, lastMouse_;
    bool mouseInside_ = false;
};

}  // namespace hz::ui
