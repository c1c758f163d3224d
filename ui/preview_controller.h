#pragma once
// Keeps the canvas showing the document: builds the display level when the zoom or the
// image changes (off the GUI thread), keeps the level's mask and overlay in step with
// painting, and sends a render request for the visible part whenever anything changes.
#include <QFutureWatcher>
#include <QObject>
#include <QRect>

#include <memory>

#include "ui/display_level.h"
#include "ui/preview_renderer.h"

namespace hz::ui {

class EditorDocument;
class ImageCanvas;

class PreviewController : public QObject {
    Q_OBJECT
public:
    PreviewController(EditorDocument* document, ImageCanvas* canvas, QObject* parent = nullptr);
    ~PreviewController() override;

    quint64 lastRequestedGeneration() const { return generation_; }
    quint64 shownGeneration() const { return shownGeneration_; }
    double lastRenderMs() const { return lastRenderMs_; }
    bool hasLevel() const { return level_ != nullptr; }
    std::shared_ptr<const DisplayLevel> level() const { return level_; }

public Q_SLOTS:
    // Asks for a render of the current values over the visible part.
    void requestRender();

Q_SIGNALS:
    void previewShown(quint64 generation, double renderMs);
    void levelChanged();

private:
    void onImageReplaced();
    void onMaskChanged(QRect imageRect);
    void onViewChanged();
    void onRendered(const PreviewResult& result);
    void onLevelBuilt();
    double wantedScale() const;
    void buildLevel(double scale);
    void refreshLevelMask(const QRect& imageRect);

    EditorDocument* document_;
    ImageCanvas* canvas_;
    PreviewRenderer renderer_;
    std::shared_ptr<DisplayLevel> level_;
    QFutureWatcher<std::shared_ptr<DisplayLevel>> levelWatcher_;
    // From buildLevel() until onLevelBuilt(): the future stops running on the worker before
    // its level reaches this thread, and strokes in between must still be carried over.
    bool levelInFlight_ = false;
    bool levelRebuildWanted_ = false;
    QRect maskDirtyDuringBuild_;
    quint64 buildMaskRevision_ = 0, buildImageRevision_ = 0;
    double buildScale_ = 0.0;
    quint64 generation_ = 0, shownGeneration_ = 0;
    double lastRenderMs_ = 0.0;
};

}  // namespace hz::ui
