#include "ui/studio_benchmark.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QPushButton>
#include <QSlider>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <cmath>
#include <vector>

#include "core/image_io.h"
#include "core/inference/engine_loader.h"
#include "core/paths.h"
#include "ui/editor_document.h"
#include "ui/event_wait.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/params_panel.h"
#include "ui/preview_controller.h"

namespace hz::ui {

namespace {

double threadCpuMs() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// Largest gap between ticks of a 1 ms timer while work runs, in ms. The GUI thread's own CPU
// time inside a gap tells a block (busy on the GUI thread) from a wait for a core on a
// loaded machine (descheduled, no CPU used).
class Heartbeat {
public:
    Heartbeat() {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(1);
        QObject::connect(&timer_, &QTimer::timeout, [this] { tick(); });
    }
    void start() {
        clock_.start();
        last_ = 0.0;
        lastCpu_ = threadCpuMs();
        maxGap_ = maxBusy_ = 0.0;
        timer_.start();
    }
    void stop() {
        timer_.stop();
        tick();
    }
    double maxGapMs() const { return maxGap_; }
    double maxBusyMs() const { return maxBusy_; }

private:
    void tick() {
        const double now = double(clock_.nsecsElapsed()) / 1e6, cpu = threadCpuMs();
        maxGap_ = std::max(maxGap_, now - last_);
        maxBusy_ = std::max(maxBusy_, cpu - lastCpu_);
        last_ = now;
        lastCpu_ = cpu;
    }
    QTimer timer_;
    QElapsedTimer clock_;
    double last_ = 0.0, lastCpu_ = 0.0, maxGap_ = 0.0, maxBusy_ = 0.0;
};

double percentile(std::vector<double> values, double q) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const double position = q * (values.size() - 1);
    const std::size_t lo = std::size_t(std::floor(position)), hi = std::size_t(std::ceil(position));
    return values[lo] + (values[hi] - values[lo]) * (position - lo);
}

// A 12 MP composite made from the bundled sample (covering 16:9), or a synthetic one.
void writeBenchmarkImage(const QString& imagePath, const QString& maskPath, cv::Size size) {
    cv::Mat image, mask;
    try {
        const cv::Mat sample = loadImage(sampleImagePath()).pixels;
        const cv::Mat sampleMask = loadMask(sampleMaskPath(), sample.size());
        const double scale = std::max(size.width / double(sample.cols), size.height / double(sample.rows));
        cv::Mat bigImage, bigMask;
        cv::resize(sample, bigImage, cv::Size(), scale, scale, cv::INTER_LINEAR);
        cv::resize(sampleMask, bigMask, bigImage.size(), 0, 0, cv::INTER_LINEAR);
        const cv::Rect crop((bigImage.cols - size.width) / 2, (bigImage.rows - size.height) / 2, size.width, size.height);
        image = bigImage(crop).clone();
        mask = bigMask(crop).clone();
    } catch (const std::exception&) {
        image.create(size, CV_8UC3);
        cv::randu(image, 0, 255);
        cv::GaussianBlur(image, image, cv::Size(0, 0), 8);
        mask = cv::Mat::zeros(size, CV_16UC1);
        cv::circle(mask, cv::Point(size.width / 2, size.height / 2), size.height / 3, cv::Scalar(65535), cv::FILLED);
    }
    if (maskIsEmpty(mask)) cv::circle(mask, cv::Point(size.width / 2, size.height / 2), size.height / 3, cv::Scalar(65535), cv::FILLED);
    writeImageAtomic(imagePath.toStdString(), image, {}, [] { WriteOptions o; o.jpegQuality = 95; return o; }());
    writeImageAtomic(maskPath.toStdString(), mask);
}

double loadAverage() {
    double load[1] = {0.0};
    return getloadavg(load, 1) == 1 ? load[0] : -1.0;
}

}  // namespace

QJsonObject runStudioBenchmark(const BenchmarkOptions& options) {
    QJsonObject result;
    QTemporaryDir temp;
    QString modelPath = options.modelPath;
    if (modelPath.isEmpty()) modelPath = QString::fromStdString(defaultModelPath());
    if (!QFileInfo::exists(modelPath)) {
        // Timings do not depend on the weights: a random-initialised network has the same cost.
        modelPath = temp.filePath("random.hzm");
        try {
            inference::loadEngine().writeRandomModel(modelPath.toStdString(), "benchmark-random");
        } catch (const std::exception& e) {
            result["error"] = QString::fromStdString(e.what());
            return result;
        }
        result["model"] = "random-initialised (no shipped model found)";
    } else {
        result["model"] = modelPath;
    }

    const QString imagePath = temp.filePath("bench.jpg"), maskPath = temp.filePath("bench_mask.png");
    writeBenchmarkImage(imagePath, maskPath, cv::Size(options.imageWidth, options.imageHeight));

    StudioOptions studio;
    studio.autoHarmonize = false;  // the benchmark times its own Harmonize
    studio.modelPath = modelPath.toStdString();
    studio.confirmClose = false;
    MainWindow window(studio);
    window.show();
    // Size the window so that the canvas is exactly the requested view.
    for (int attempt = 0; attempt < 3; ++attempt) {
        QApplication::processEvents();
        const QSize missing = QSize(options.viewWidth, options.viewHeight) - window.canvas()->size();
        if (missing.isNull()) break;
        window.resize(window.size() + missing);
    }
    QApplication::processEvents();
    if (!window.openImage(imagePath, maskPath)) {
        result["error"] = window.lastError();
        return result;
    }
    PreviewController* preview = window.preview();
    ImageCanvas* canvas = window.canvas();
    waitFor([&] { return preview->hasLevel() && canvas->previewGeneration() > 0; }, 30000);
    result["image"] = QString("%1x%2").arg(options.imageWidth).arg(options.imageHeight);
    result["view"] = QString("%1x%2").arg(canvas->width()).arg(canvas->height());
    const QImage shown = canvas->previewImage();
    result["preview_pixels"] = QString("%1x%2").arg(shown.width()).arg(shown.height());
    result["cores"] = QThread::idealThreadCount();

    // 1. Slider -> preview on screen.
    quint64 painted = 0;
    QObject::connect(canvas, &ImageCanvas::previewPainted, canvas, [&painted](quint64 g) { painted = std::max(painted, g); });
    QSlider* slider = window.paramsPanel()->slider(Filter::Contrast);
    std::vector<double> latencies, renders;
    for (int i = 0; i < options.sliderSamples; ++i) {
        const int value = (i % 2 ? 1 : -1) * (10 + (i * 7) % 80);
        QElapsedTimer timer;
        timer.start();
        slider->setValue(value);
        const quint64 wanted = preview->lastRequestedGeneration();
        if (!waitFor([&] { return painted >= wanted; }, 5000)) continue;
        latencies.push_back(double(timer.nsecsElapsed()) / 1e6);
        renders.push_back(preview->lastRenderMs());
        waitFor([] { return false; }, 30);  // let the machine settle, as between two user moves
    }
    QJsonObject slider_;
    slider_["median"] = percentile(latencies, 0.5);
    slider_["p95"] = percentile(latencies, 0.95);
    slider_["max"] = percentile(latencies, 1.0);
    slider_["samples"] = int(latencies.size());
    result["slider_to_preview_ms"] = slider_;
    QJsonObject render_;
    render_["median"] = percentile(renders, 0.5);
    render_["p95"] = percentile(renders, 0.95);
    result["preview_render_ms"] = render_;

    // 2. GUI stalls while predicting.
    Heartbeat heartbeat;
    QJsonObject stalls, busy;
    bool harmonized = false, harmonizeOk = false;
    QObject::connect(&window, &MainWindow::harmonizeFinished, &window, [&](bool ok) {
        harmonized = true;
        harmonizeOk = ok;
    });
    heartbeat.start();
    QElapsedTimer predictTimer;
    predictTimer.start();
    window.paramsPanel()->harmonizeButton()->click();
    waitFor([&] { return harmonized; }, 120000);
    heartbeat.stop();
    stalls["predict"] = heartbeat.maxGapMs();
    busy["predict"] = heartbeat.maxBusyMs();
    result["predict_wall_ms"] = double(predictTimer.nsecsElapsed()) / 1e6;
    result["predict_ok"] = harmonizeOk;
    result["inference_ms"] = window.lastInferenceMs();
    // Opening the network library (LibTorch): the first Harmonize pays it, or writing the
    // random model above when no model is shipped. Included in predict_wall_ms in the first case.
    result["network_library_load_ms"] = inference::engineLoadMs();
    if (!harmonizeOk) result["predict_error"] = window.lastError();

    // 3. GUI stalls while exporting.
    bool exported = false, exportOk = false;
    QObject::connect(&window, &MainWindow::exportFinished, &window, [&](bool ok, const QString&) {
        exported = true;
        exportOk = ok;
    });
    heartbeat.start();
    QElapsedTimer exportTimer;
    exportTimer.start();
    window.startExport(temp.filePath("bench_out.jpg"), 95);
    waitFor([&] { return exported; }, 120000);
    heartbeat.stop();
    stalls["export"] = heartbeat.maxGapMs();
    busy["export"] = heartbeat.maxBusyMs();
    result["export_wall_ms"] = double(exportTimer.nsecsElapsed()) / 1e6;
    result["export_ok"] = exportOk;
    result["export_bytes"] = double(QFileInfo(temp.filePath("bench_out.jpg")).size());
    result["max_gui_stall_ms"] = stalls;
    result["max_gui_busy_ms"] = busy;  // GUI-thread CPU time inside the longest-busy gap
    result["load_average"] = loadAverage();
    window.close();
    return result;
}

}  // namespace hz::ui
