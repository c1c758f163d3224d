#pragma once
// Export's worker: renders the full-resolution result and writes it (hz::exportRendered,
// core/session/export.h) on a thread of Qt's pool, one export at a time, cancellable.
#include <QFutureWatcher>
#include <QObject>

#include <atomic>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/params.h"
#include "core/session/export.h"

namespace hz::ui {

struct ExportOutcome {
    bool ok = false, cancelled = false;
    std::string error, path;
    double totalMs = 0.0;
};

class ExportJob : public QObject {
    Q_OBJECT
public:
    explicit ExportJob(QObject* parent = nullptr);
    ~ExportJob() override;  // cancels a running export and waits for it

    bool isRunning() const;  // from start() until finished() has been emitted
    // False, and nothing starts, while an export runs.
    bool start(std::shared_ptr<const cv::Mat> image, std::shared_ptr<const cv::Mat> mask16, const FilterParams& params,
               double amount, const ExportSettings& settings);
    // The export stops at its next check and reports cancelled; nothing is written over the target.
    void cancel();
    void waitForFinished();

Q_SIGNALS:
    // On this object's thread.
    void progress(int percent);
    void finished(const hz::ui::ExportOutcome& outcome);

private:
    std::shared_ptr<std::atomic<bool>> cancel_;
    QFutureWatcher<ExportOutcome> watcher_;
    // Set by start(), cleared just before finished() is emitted: the future itself stops
    // running on the worker before its result reaches this thread, and a caller that sees
    // "not running" must be able to rely on finished() having been delivered.
    bool busy_ = false;
};

}  // namespace hz::ui
