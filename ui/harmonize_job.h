#pragma once
// Harmonize's worker: one prediction at a time on a thread of Qt's pool, so the window keeps
// answering. The network (and LibTorch with it, through core/inference) is loaded by the
// first prediction, never at start-up or on the GUI thread, and kept for the next ones.
#include <QFutureWatcher>
#include <QObject>

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/model/predictor_options.h"
#include "core/params.h"

namespace hz::ui {

struct HarmonizeOutcome {
    bool ok = false;
    FilterParams params;
    std::string error, device, modelVersion;
    double totalMs = 0.0;  // the prediction, without loading the network
    double preprocessMs = 0.0, forwardMs = 0.0, postprocessMs = 0.0;
    quint64 imageRevision = 0;  // as given to start(): the caller drops a result for a replaced image
};

class HarmonizeJob : public QObject {
    Q_OBJECT
public:
    explicit HarmonizeJob(QObject* parent = nullptr);
    ~HarmonizeJob() override;  // waits for a running prediction

    bool isRunning() const;  // from start() until finished() has been emitted
    // Predicts the six values of `image` (BGR, 8 or 16 bit) under `mask16` (CV_16UC1) on a
    // worker; finished() reports. False, and nothing starts, while a prediction runs.
    // `options` are used when the network is (re)loaded; see forgetNetwork().
    bool start(const PredictorOptions& options, std::shared_ptr<const cv::Mat> image,
               std::shared_ptr<const cv::Mat> mask16, std::string iccProfile, quint64 imageRevision);
    // The next prediction loads the network again (a new device or thread count); a running
    // prediction keeps the one it has.
    void forgetNetwork();
    void waitForFinished();

Q_SIGNALS:
    // On this object's thread, once per start().
    void finished(const hz::ui::HarmonizeOutcome& outcome);

private:
    struct NetworkSlot;
    std::shared_ptr<NetworkSlot> network_;
    QFutureWatcher<HarmonizeOutcome> watcher_;
    // Set by start(), cleared just before finished() is emitted: the future itself stops
    // running on the worker before its result reaches this thread, and a caller that sees
    // "not running" must be able to rely on finished() having been delivered.
    bool busy_ = false;
};

}  // namespace hz::ui
