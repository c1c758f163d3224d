#include "ui/harmonize_job.h"

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <mutex>

#include "core/inference/engine_loader.h"

namespace hz::ui {

// Shared with the worker's lambda, so that forgetNetwork() can hand the window a new slot
// while a running prediction keeps using (and then frees) the old one.
struct HarmonizeJob::NetworkSlot {
    std::mutex mutex;
    std::unique_ptr<inference::Harmonizer> predictor;
};

HarmonizeJob::HarmonizeJob(QObject* parent) : QObject(parent), network_(std::make_shared<NetworkSlot>()) {
    connect(&watcher_, &QFutureWatcher<HarmonizeOutcome>::finished, this, [this] {
        busy_ = false;
        Q_EMIT finished(watcher_.result());
    });
}

HarmonizeJob::~HarmonizeJob() { watcher_.waitForFinished(); }

bool HarmonizeJob::isRunning() const { return busy_; }

void HarmonizeJob::waitForFinished() { watcher_.waitForFinished(); }

void HarmonizeJob::forgetNetwork() { network_ = std::make_shared<NetworkSlot>(); }

bool HarmonizeJob::start(const PredictorOptions& options, std::shared_ptr<const cv::Mat> image,
                         std::shared_ptr<const cv::Mat> mask16, std::string iccProfile, quint64 imageRevision) {
    if (isRunning()) return false;
    const std::shared_ptr<NetworkSlot> slot = network_;
    busy_ = true;
    watcher_.setFuture(QtConcurrent::run([=]() {
        HarmonizeOutcome outcome;
        outcome.imageRevision = imageRevision;
        try {
            std::lock_guard<std::mutex> lock(slot->mutex);
            // The first Harmonize loads the network library (LibTorch) too.
            if (!slot->predictor) slot->predictor = inference::loadEngine().makeHarmonizer(options);
            QElapsedTimer predictTimer;
            predictTimer.start();
            outcome.params = slot->predictor->predict(*image, *mask16, iccProfile);
            outcome.totalMs = double(predictTimer.nsecsElapsed()) / 1e6;
            const PredictionTiming timing = slot->predictor->lastTiming();
            outcome.preprocessMs = timing.preprocessMs;
            outcome.forwardMs = timing.forwardMs;
            outcome.postprocessMs = timing.postprocessMs;
            outcome.device = slot->predictor->deviceName();
            outcome.modelVersion = slot->predictor->modelVersion();
            outcome.ok = true;
        } catch (const std::exception& e) {
            outcome.error = e.what();
        }
        return outcome;
    }));
    return true;
}

}  // namespace hz::ui
