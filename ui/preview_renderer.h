#pragma once
// The live preview's render worker, "latest wins": one thread, a one-slot mailbox, a
// generation counter. A new request replaces a waiting one; the result of a request for an
// older image is dropped (and its render cancelled); the GUI keeps the last preview on
// screen until a newer one arrives and ignores anything older than what it shows.
#include <QImage>

#include "core/photo/colour.h"
#include <QMutex>
#include <QRectF>
#include <QThread>
#include <QWaitCondition>

#include <atomic>
#include <memory>
#include <optional>

#include <opencv2/core.hpp>

#include "core/params.h"
#include "core/render/renderer.h"

namespace hz::ui {

struct PreviewRequest {
    quint64 generation = 0;
    quint64 imageRevision = 0;
    std::shared_ptr<const cv::Mat> levelImage;  // the image downscaled to the view's scale
    std::shared_ptr<const cv::Mat> levelMask;   // CV_16UC1, same size
    cv::Rect crop;                              // the visible part, in level pixels
    double levelScale = 1.0;                    // level pixels per image pixel
    FilterParams params;
    double amount = 1.0;
    std::shared_ptr<const ImageHistograms> histograms;  // of the full-resolution image
    std::shared_ptr<const photo::SrgbConversion> display;  // the photo's profile -> screen; null: as is
};

struct PreviewResult {
    quint64 generation = 0;
    quint64 imageRevision = 0;
    QImage image;       // RGB32, 8-bit for display
    QRectF imageRect;   // where it goes, in full-resolution image coordinates
    double renderMs = 0.0;
};

class PreviewRenderer : public QThread {
    Q_OBJECT
public:
    explicit PreviewRenderer(QObject* parent = nullptr);
    ~PreviewRenderer() override;

    void request(PreviewRequest request);

Q_SIGNALS:
    void rendered(const hz::ui::PreviewResult& result);

protected:
    void run() override;

private:
    QMutex mutex_;
    QWaitCondition wake_;
    std::optional<PreviewRequest> pending_;
    quint64 runningImageRevision_ = 0;
    std::atomic<bool> cancel_{false};
    bool quit_ = false;
};

// BGR 8/16-bit -> RGB32 QImage that owns its pixels (cheap to paint), through `display`
// (the photo's ICC profile to sRGB; Qt 6.4 does not tell the monitor's profile, so sRGB is
// the screen's) when given.
QImage toDisplayImage(const cv::Mat& bgr, const photo::SrgbConversion* display = nullptr);

// A compose layer as the canvas drags it: BGR 8/16-bit with its CV_16UC1 alpha -> ARGB32,
// shrunk (INTER_AREA) so that its longer side is at most `longestSide`; the drag preview
// only needs screen resolution.
QImage toLayerDisplayImage(const cv::Mat& bgr, const cv::Mat& alpha16, int longestSide);

}  // namespace hz::ui

Q_DECLARE_METATYPE(hz::ui::PreviewResult)
