#include "ui/preview_renderer.h"

#include <QElapsedTimer>
#include <QMutexLocker>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>

#include "core/session/session_file.h"

namespace hz::ui {

QImage toDisplayImage(const cv::Mat& bgr, const photo::SrgbConversion* display) {
    if (bgr.empty()) return {};
    // Format_RGB32 is B, G, R, 0xff in memory on little-endian machines, i.e. OpenCV's BGRA,
    // and it is what the raster backing store holds: painting it is a plain copy.
    QImage image(bgr.cols, bgr.rows, QImage::Format_RGB32);
    cv::Mat wrapped(bgr.rows, bgr.cols, CV_8UC4, image.bits(), std::size_t(image.bytesPerLine()));
    if (bgr.depth() == CV_16U) {
        cv::Mat eight;
        bgr.convertTo(eight, CV_8U, 1.0 / 257.0);
        cv::cvtColor(eight, wrapped, cv::COLOR_BGR2BGRA);
    } else {
        cv::cvtColor(bgr, wrapped, cv::COLOR_BGR2BGRA);
    }
    if (display)
        for (int y = 0; y < image.height(); ++y) display->convertBgrx8(image.scanLine(y), std::size_t(image.width()));
    return image;
}

QImage toLayerDisplayImage(const cv::Mat& bgr, const cv::Mat& alpha16, int longestSide) {
    const double scale = std::min(1.0, double(longestSide) / std::max(bgr.cols, bgr.rows));
    cv::Mat pixels = bgr, alpha = alpha16;
    if (scale < 1.0) {
        cv::resize(pixels, pixels, cv::Size(), scale, scale, cv::INTER_AREA);
        cv::resize(alpha, alpha, pixels.size(), 0, 0, cv::INTER_AREA);
    }
    QImage out = toDisplayImage(pixels).convertToFormat(QImage::Format_ARGB32);
    for (int y = 0; y < out.height(); ++y) {
        const std::uint16_t* a = alpha.ptr<std::uint16_t>(y);
        auto* px = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < out.width(); ++x) px[x] = (px[x] & 0x00ffffffu) | (QRgb(a[x] / 257) << 24);
    }
    return out;
}

PreviewRenderer::PreviewRenderer(QObject* parent) : QThread(parent) {
    qRegisterMetaType<hz::ui::PreviewResult>();
}

PreviewRenderer::~PreviewRenderer() {
    {
        QMutexLocker lock(&mutex_);
        quit_ = true;
        cancel_ = true;
        wake_.wakeOne();
    }
    wait();
}

void PreviewRenderer::request(PreviewRequest request) {
    QMutexLocker lock(&mutex_);
    // A render for another image is pointless now; one for the same image finishes (it takes
    // about a frame) because it is still newer than what the screen shows.
    if (isRunning() && request.imageRevision != runningImageRevision_) cancel_ = true;
    pending_ = std::move(request);
    if (!isRunning()) {
        start(QThread::HighPriority);
    } else {
        wake_.wakeOne();
    }
}

void PreviewRenderer::run() {
    for (;;) {
        PreviewRequest job;
        {
            QMutexLocker lock(&mutex_);
            while (!pending_ && !quit_) wake_.wait(&mutex_);
            if (quit_) return;
            job = std::move(*pending_);
            pending_.reset();
            runningImageRevision_ = job.imageRevision;
            cancel_ = false;
        }
        if (!job.levelImage || !job.levelMask || job.crop.empty()) continue;

        QElapsedTimer timer;
        timer.start();
        RenderOptions options;
        // The export renders with the values the sidecar prints; so does the preview, so the two agree.
        options.amount = roundToSidecarPrecision(job.amount);
        options.cancel = &cancel_;
        options.histograms = job.histograms.get();
        cv::Mat pixels;
        bool completed = false;
        try {
            completed = render((*job.levelImage)(job.crop), (*job.levelMask)(job.crop),
                               roundToSidecarPrecision(job.params.clamped()), pixels, options);
        } catch (const std::exception&) {
            completed = false;  // a size race with a newer image; the next request renders it
        }
        if (!completed) continue;
        PreviewResult result;
        result.generation = job.generation;
        result.imageRevision = job.imageRevision;
        result.image = toDisplayImage(pixels, job.display.get());
        const double s = job.levelScale;
        result.imageRect = QRectF(job.crop.x / s, job.crop.y / s, job.crop.width / s, job.crop.height / s);
        result.renderMs = double(timer.nsecsElapsed()) / 1e6;
        {
            QMutexLocker lock(&mutex_);
            // Stale: the image this was for has been replaced meanwhile.
            if (pending_ && pending_->imageRevision != job.imageRevision) continue;
        }
        Q_EMIT rendered(result);
    }
}

}  // namespace hz::ui
