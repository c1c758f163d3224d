#include "ui/export_job.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace hz::ui {

ExportJob::ExportJob(QObject* parent) : QObject(parent) {
    connect(&watcher_, &QFutureWatcher<ExportOutcome>::finished, this, [this] {
        busy_ = false;
        Q_EMIT finished(watcher_.result());
    });
}

ExportJob::~ExportJob() {
    cancel();
    watcher_.waitForFinished();
}

bool ExportJob::isRunning() const { return busy_; }

void ExportJob::cancel() {
    if (cancel_) *cancel_ = true;
}

void ExportJob::waitForFinished() { watcher_.waitForFinished(); }

bool ExportJob::start(std::shared_ptr<const cv::Mat> image, std::shared_ptr<const cv::Mat> mask16,
                      const FilterParams& params, double amount, const ExportSettings& settings) {
    if (isRunning()) return false;
    // A fresh flag per export: cancelling an old one must not stop the next.
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = cancel_;
    QPointer<ExportJob> self(this);
    busy_ = true;
    watcher_.setFuture(QtConcurrent::run([=]() {
        ExportOutcome outcome;
        outcome.path = settings.path;
        QElapsedTimer timer;
        timer.start();
        try {
            auto reportProgress = [self](double fraction) {
                const int percent = int(std::lround(fraction * 100));
                QMetaObject::invokeMethod(
                    self, [self, percent] {
                        if (self) Q_EMIT self->progress(percent);
                    },
                    Qt::QueuedConnection);
            };
            outcome.ok = exportRendered(*image, *mask16, params, amount, settings, reportProgress, cancel.get());
            outcome.cancelled = !outcome.ok;
        } catch (const std::exception& e) {
            outcome.error = e.what();
        }
        outcome.totalMs = double(timer.nsecsElapsed()) / 1e6;
        return outcome;
    }));
    return true;
}

}  // namespace hz::ui
