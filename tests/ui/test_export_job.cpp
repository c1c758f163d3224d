// The editor's export worker (ui/export_job): it reports each export once, with progress, and
// a cancelled export writes nothing. The pool is held by a blocking task where the order of
// "cancel" and "start rendering" must be fixed, so no result depends on timing.
#include <QDir>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <opencv2/core.hpp>

#include <filesystem>

#include "ui/export_job.h"

using hz::ui::ExportJob;
using hz::ui::ExportOutcome;

Q_DECLARE_METATYPE(hz::ui::ExportOutcome)

namespace {

std::shared_ptr<const cv::Mat> photo() {
    cv::Mat image(240, 320, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
    return std::make_shared<const cv::Mat>(image);
}

std::shared_ptr<const cv::Mat> centreMask() {
    cv::Mat mask(240, 320, CV_16UC1, cv::Scalar(0));
    mask(cv::Rect(80, 60, 160, 120)).setTo(65535);
    return std::make_shared<const cv::Mat>(mask);
}

hz::FilterParams warmer() {
    hz::FilterParams params;
    params.temperature = 0.3;
    return params;
}

// Occupies every thread of Qt's global pool until release(), so a job started meanwhile waits.
// The destructor releases the pool and waits until every task has returned, so that no task
// touches the semaphore after it is gone.
class PoolBlocker {
public:
    PoolBlocker() : threads_(QThreadPool::globalInstance()->maxThreadCount()) {
        for (int i = 0; i < threads_; ++i) QThreadPool::globalInstance()->start([this] { gate_.acquire(); });
    }
    ~PoolBlocker() {
        release();
        QThreadPool::globalInstance()->waitForDone();
    }
    void release() {
        if (!released_) gate_.release(threads_);
        released_ = true;
    }

private:
    QSemaphore gate_;
    const int threads_;
    bool released_ = false;
};

}  // namespace

class TestExportJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<ExportOutcome>(); }
    void reportsOnceWithProgress_data();
    void reportsOnceWithProgress();
    void cancelledBeforeRenderingWritesNothing();
    void refusesASecondExportWhileOneRuns();
    void runningUntilItsOutcomeIsDelivered();
};

void TestExportJob::reportsOnceWithProgress_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("png") << "out.png";
    QTest::newRow("jpeg") << "out.jpg";
    QTest::newRow("tiff") << "out.tif";
}

void TestExportJob::reportsOnceWithProgress() {
    QFETCH(QString, name);
    QTemporaryDir dir;
    ExportJob job;
    QSignalSpy finished(&job, &ExportJob::finished);
    QSignalSpy progress(&job, &ExportJob::progress);
    hz::ExportSettings settings;
    settings.path = dir.filePath(name).toStdString();
    QVERIFY(job.start(photo(), centreMask(), warmer(), 1.0, settings));
    QVERIFY(finished.wait(30000));
    QCoreApplication::processEvents();  // progress is queued; the last may follow the result
    QCOMPARE(finished.count(), 1);
    const auto outcome = finished.first().first().value<ExportOutcome>();
    QVERIFY2(outcome.ok, outcome.error.c_str());
    QVERIFY(!outcome.cancelled);
    QCOMPARE(outcome.path, settings.path);
    QVERIFY(std::filesystem::file_size(settings.path) > 0);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().first().toInt(), 100);
    QVERIFY(!job.isRunning());
}

void TestExportJob::cancelledBeforeRenderingWritesNothing() {
    QTemporaryDir dir;
    ExportJob job;
    QSignalSpy finished(&job, &ExportJob::finished);
    hz::ExportSettings settings;
    settings.path = dir.filePath("cancelled.png").toStdString();
    PoolBlocker blocker;
    QVERIFY(job.start(photo(), centreMask(), warmer(), 1.0, settings));
    job.cancel();
    blocker.release();
    QVERIFY(finished.wait(30000));
    const auto outcome = finished.first().first().value<ExportOutcome>();
    QVERIFY(!outcome.ok);
    QVERIFY(outcome.cancelled);
    QVERIFY(outcome.error.empty());
    QVERIFY(!std::filesystem::exists(settings.path));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0);
}

void TestExportJob::refusesASecondExportWhileOneRuns() {
    QTemporaryDir dir;
    ExportJob job;
    QSignalSpy finished(&job, &ExportJob::finished);
    hz::ExportSettings first, second;
    first.path = dir.filePath("first.png").toStdString();
    second.path = dir.filePath("second.png").toStdString();
    PoolBlocker blocker;
    QVERIFY(job.start(photo(), centreMask(), warmer(), 1.0, first));
    QVERIFY(job.isRunning());
    QVERIFY(!job.start(photo(), centreMask(), warmer(), 1.0, second));
    blocker.release();
    QVERIFY(finished.wait(30000));
    QCoreApplication::processEvents();
    QCOMPARE(finished.count(), 1);
    QVERIFY(finished.first().first().value<ExportOutcome>().ok);
    QVERIFY(std::filesystem::exists(first.path));
    QVERIFY(!std::filesystem::exists(second.path));
}

// The task ends on the worker before its result reaches this thread; until the window has
// been told, the job must still count as running (the editor enables Export on it).
void TestExportJob::runningUntilItsOutcomeIsDelivered() {
    QTemporaryDir dir;
    ExportJob job;
    QSignalSpy finished(&job, &ExportJob::finished);
    hz::ExportSettings settings, second;
    settings.path = dir.filePath("out.png").toStdString();
    second.path = dir.filePath("second.png").toStdString();
    QVERIFY(job.start(photo(), centreMask(), warmer(), 1.0, settings));
    QThreadPool::globalInstance()->waitForDone();  // the export has run; no event processed yet
    QVERIFY(std::filesystem::exists(settings.path));
    QCOMPARE(finished.count(), 0);
    QVERIFY(job.isRunning());
    QVERIFY(!job.start(photo(), centreMask(), warmer(), 1.0, second));
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.count(), 1);
    QVERIFY(!job.isRunning());
    QVERIFY(!std::filesystem::exists(second.path));
}

QTEST_GUILESS_MAIN(TestExportJob)
#include "test_export_job.moc"
