// Select Subject and Select in box as the editor and the CLI call them, with an untrained
// subject model (the fixture's file, HZ_TEST_SUBJECT_MODEL): what the pipelines promise
// whatever the network predicts (size, type, zero outside the box, cancel, errors).
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "core/subject/select.h"

using namespace hz::subject;

namespace {

cv::Mat photo(cv::Size size, int depth) {
    cv::Mat image(size, CV_8UC3);
    cv::RNG(5).fill(image, cv::RNG::UNIFORM, 20, 90);
    cv::circle(image, {size.width / 2, size.height / 2}, std::min(size.width, size.height) / 3,
               cv::Scalar(220, 160, 40), cv::FILLED);
    if (depth == CV_16U) image.convertTo(image, CV_16UC3, 257.0);
    return image;
}

}  // namespace

class TestSelect : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void subjectHasThePhotosSize_data();
    void subjectHasThePhotosSize();
    void boxIsZeroOutside_data();
    void boxIsZeroOutside();
    void boxOutsideThePhotoIsAnError_data();
    void boxOutsideThePhotoIsAnError();
    void cancelReturnsEmpty_data();
    void cancelReturnsEmpty();
    void rejectsUnsupportedPhotos();

private:
    std::unique_ptr<SubjectPredictor> predictor_;
};

void TestSelect::initTestCase() {
    const char* path = std::getenv("HZ_TEST_SUBJECT_MODEL");
    QVERIFY2(path && *path, "HZ_TEST_SUBJECT_MODEL must name a subject model (the CTest fixture sets it)");
    predictor_ = std::make_unique<SubjectPredictor>(path, 1);
}

void TestSelect::subjectHasThePhotosSize_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("depth");
    QTest::newRow("landscape 8-bit") << 640 << 480 << CV_8U;
    QTest::newRow("portrait 16-bit") << 300 << 500 << CV_16U;
    QTest::newRow("larger than the filter's working size") << 2100 << 900 << CV_8U;
    QTest::newRow("smaller than the network's input") << 40 << 24 << CV_8U;
}

void TestSelect::subjectHasThePhotosSize() {
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, depth);
    const cv::Mat image = photo({width, height}, depth);
    const cv::Mat mask = selectSubject(*predictor_, image);
    QCOMPARE(mask.type(), CV_16UC1);
    QCOMPARE(mask.size(), image.size());
    // Nothing is left a hair above 0 or below 65535: the network's near-certain values are exact.
    QCOMPARE(cv::countNonZero((mask > 0) & (mask < 256)), 0);
    QCOMPARE(cv::countNonZero((mask < 65535) & (mask > 65535 - 256)), 0);
    // The same photo gives the same mask (the editor's undo and the CLI's --auto-mask rely on it).
    QCOMPARE(cv::norm(mask, selectSubject(*predictor_, image), cv::NORM_INF), 0.0);
}

void TestSelect::boxIsZeroOutside_data() {
    QTest::addColumn<QRect>("box");
    QTest::addColumn<int>("depth");
    QTest::newRow("inside") << QRect(100, 60, 200, 150) << CV_8U;
    QTest::newRow("inside, 16-bit") << QRect(100, 60, 200, 150) << CV_16U;
    QTest::newRow("over the left and top edges") << QRect(-50, -20, 180, 120) << CV_8U;
    QTest::newRow("the whole photo (no margin left)") << QRect(0, 0, 400, 300) << CV_8U;
    QTest::newRow("a thin strip") << QRect(10, 100, 380, 6) << CV_8U;
}

void TestSelect::boxIsZeroOutside() {
    QFETCH(QRect, box);
    QFETCH(int, depth);
    const cv::Mat image = photo({400, 300}, depth);
    const cv::Rect rect(box.x(), box.y(), box.width(), box.height());
    const cv::Mat mask = selectInBox(*predictor_, image, rect);
    QCOMPARE(mask.type(), CV_16UC1);
    QCOMPARE(mask.size(), image.size());
    cv::Mat outside(image.size(), CV_8U, cv::Scalar(255));
    outside(rect & cv::Rect(cv::Point(), image.size())).setTo(0);
    QCOMPARE(cv::countNonZero((mask != 0) & outside), 0);
}

void TestSelect::boxOutsideThePhotoIsAnError_data() {
    QTest::addColumn<QRect>("box");
    QTest::newRow("right of it") << QRect(400, 10, 50, 50);
    QTest::newRow("above it") << QRect(10, -80, 50, 50);
    QTest::newRow("one pixel wide after clipping") << QRect(399, 10, 50, 50);
}

void TestSelect::boxOutsideThePhotoIsAnError() {
    QFETCH(QRect, box);
    const cv::Mat image = photo({400, 300}, CV_8U);
    QVERIFY_THROWS_EXCEPTION(hz::Error, selectInBox(*predictor_, image, cv::Rect(box.x(), box.y(), box.width(), box.height())));
}

void TestSelect::cancelReturnsEmpty_data() {
    QTest::addColumn<bool>("inBox");
    QTest::newRow("Select Subject") << false;
    QTest::newRow("Select in box") << true;
}

void TestSelect::cancelReturnsEmpty() {
    QFETCH(bool, inBox);
    const cv::Mat image = photo({200, 150}, CV_8U);
    std::atomic<bool> cancel{true};
    const auto run = [&] {
        return inBox ? selectInBox(*predictor_, image, {20, 20, 100, 80}, &cancel) : selectSubject(*predictor_, image, &cancel);
    };
    QVERIFY(run().empty());
    cancel = false;
    QVERIFY(!run().empty());
}

void TestSelect::rejectsUnsupportedPhotos() {
    QVERIFY_THROWS_EXCEPTION(hz::Error, selectSubject(*predictor_, cv::Mat()));
    QVERIFY_THROWS_EXCEPTION(hz::Error, selectSubject(*predictor_, cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))));
    QVERIFY_THROWS_EXCEPTION(hz::Error, selectInBox(*predictor_, cv::Mat(10, 10, CV_32FC3), {0, 0, 5, 5}));
}

QTEST_GUILESS_MAIN(TestSelect)
#include "test_select.moc"
