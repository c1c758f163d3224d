// The editor's Harmonize worker (ui/harmonize_job): it counts as running until its outcome has
// been delivered to the window's thread, and it reports a model it cannot load as an error
// instead of exiting. The task's end is fixed by waiting for Qt's pool, so nothing depends on
// timing.
#include <QSignalSpy>
#include <QTest>
#include <QThreadPool>

#include <opencv2/core.hpp>

#include "ui/harmonize_job.h"

using hz::ui::HarmonizeJob;
using hz::ui::HarmonizeOutcome;

Q_DECLARE_METATYPE(hz::ui::HarmonizeOutcome)

class TestHarmonizeJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<HarmonizeOutcome>(); }
    void runningUntilItsOutcomeIsDelivered();
};

void TestHarmonizeJob::runningUntilItsOutcomeIsDelivered() {
    HarmonizeJob job;
    QSignalSpy finished(&job, &HarmonizeJob::finished);
    hz::PredictorOptions options;
    options.modelPath = "/nonexistent/harmonize-job-test/model.hzm";
    options.threads = 1;
    auto image = std::make_shared<const cv::Mat>(64, 64, CV_8UC3, cv::Scalar(40, 90, 160));
    auto mask = std::make_shared<const cv::Mat>(64, 64, CV_16UC1, cv::Scalar(65535));
    QVERIFY(job.start(options, image, mask, std::string(), 7));
    QThreadPool::globalInstance()->waitForDone();  // the prediction has ended; no event processed yet
    QCOMPARE(finished.count(), 0);
    QVERIFY(job.isRunning());
    QVERIFY(!job.start(options, image, mask, std::string(), 8));
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.count(), 1);
    QVERIFY(!job.isRunning());
    const auto outcome = finished.first().first().value<HarmonizeOutcome>();
    QVERIFY(!outcome.ok);
    QVERIFY2(!outcome.error.empty(), "a model that cannot be loaded is reported");
    QCOMPARE(outcome.imageRevision, quint64(7));
}

QTEST_GUILESS_MAIN(TestHarmonizeJob)
#include "test_harmonize_job.moc"
