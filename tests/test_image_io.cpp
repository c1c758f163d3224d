// Reading images and masks the way a photo editor should, and writing safely.
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/image_io.h"

using namespace hz;

class TestImageIo : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

    template <typename F>
    static QString errorOf(F&& f) {
        try {
            f();
        } catch (const Error& e) {
            return e.what();
        }
        return {};
    }

private Q_SLOTS:
    void loadsDepthsAndChannels_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("expectedDepth");
        QTest::addColumn<bool>("expectWarning");
        QTest::newRow("8-bit colour png") << int(CV_8UC3) << "c8.png" << int(CV_8U) << false;
        QTest::newRow("16-bit colour png") << int(CV_16UC3) << "c16.png" << int(CV_16U) << false;
        QTest::newRow("16-bit tiff") << int(CV_16UC3) << "c16.tif" << int(CV_16U) << false;
        QTest::newRow("grayscale png") << int(CV_8UC1) << "g8.png" << int(CV_8U) << false;
        QTest::newRow("rgba png drops alpha") << int(CV_8UC4) << "a8.png" << int(CV_8U) << true;
        QTest::newRow("jpeg") << int(CV_8UC3) << "c8.jpg" << int(CV_8U) << false;
    }
    void loadsDepthsAndChannels() {
        QFETCH(int, type);
        QFETCH(QString, file);
        QFETCH(int, expectedDepth);
        QFETCH(bool, expectWarning);
        cv::Mat image(7, 5, type);
        cv::randu(image, 0, CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255);
        const std::string p = path(qPrintable(file));
        QVERIFY(cv::imwrite(p, image));
        const LoadedImage loaded = loadImage(p);
        QCOMPARE(loaded.pixels.type(), CV_MAKETYPE(expectedDepth, 3));
        QCOMPARE(loaded.pixels.size(), image.size());
        QCOMPARE(!loaded.warnings.empty(), expectWarning);
        QCOMPARE(loaded.wasGrayscale, image.channels() == 1);
    }

    void masksNormaliseTo16Bit_data() {
        QTest::addColumn<int>("type");
        QTest::addColumn<double>("value");
        QTest::addColumn<int>("expected");
        QTest::newRow("8-bit 255") << int(CV_8UC1) << 255.0 << 65535;
        QTest::newRow("8-bit 128 soft") << int(CV_8UC1) << 128.0 << 128 * 257;
        QTest::newRow("16-bit soft") << int(CV_16UC1) << 1000.0 << 1000;
        QTest::newRow("3-channel") << int(CV_8UC3) << 255.0 << 65535;
        QTest::newRow("4-channel") << int(CV_8UC4) << 255.0 << 65535;
        QTest::newRow("8-bit zero") << int(CV_8UC1) << 0.0 << 0;
    }
    void masksNormaliseTo16Bit() {
        QFETCH(int, type);
        QFETCH(double, value);
        QFETCH(int, expected);
        cv::Mat mask(4, 6, type, cv::Scalar::all(value));
        const std::string p = path("mask.png");
        QVERIFY(cv::imwrite(p, mask));
        const cv::Mat loaded = loadMask(p, {6, 4});
        QCOMPARE(loaded.type(), CV_16UC1);
        QCOMPARE(int(loaded.at<std::uint16_t>(2, 3)), expected);
        QCOMPARE(maskIsEmpty(loaded), expected == 0);
    }

    void badInputNamesFileAndProblem_data() {
        QTest::addColumn<QString>("case_");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing image") << "missing" << "no such file";
        QTest::newRow("corrupt image") << "corrupt" << "not a readable image";
        QTest::newRow("empty file") << "empty" << "file is empty";
        QTest::newRow("mask wrong size") << "mask size" << "mask is 3x3 but the image is 6x4";
        QTest::newRow("directory") << "directory" << "is a directory";
    }
    void badInputNamesFileAndProblem() {
        QFETCH(QString, case_);
        QFETCH(QString, expected);
        QString message;
        std::string p;
        if (case_ == "missing") {
            p = path("nothing-here.png");
            message = errorOf([&] { loadImage(p); });
        } else if (case_ == "corrupt") {
            p = path("corrupt.jpg");
            std::ofstream(p) << "this is not a jpeg";
            message = errorOf([&] { loadImage(p); });
        } else if (case_ == "empty") {
            p = path("empty.png");
            std::ofstream(p).close();
            message = errorOf([&] { loadImage(p); });
        } else if (case_ == "mask size") {
            p = path("small-mask.png");
            cv::imwrite(p, cv::Mat(3, 3, CV_8UC1, cv::Scalar(255)));
            message = errorOf([&] { loadMask(p, {6, 4}); });
        } else {
            p = dir_.path().toStdString();
            message = errorOf([&] { loadImage(p); });
        }
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.contains(QString::fromStdString(p)), qPrintable(message));
    }

    void atomicWriteNeverLeavesTemporaries() {
        const cv::Mat image(5, 5, CV_8UC3, cv::Scalar(1, 2, 3));
        const std::string out = path("written/out.png");
        std::filesystem::create_directories(path("written"));
        writeImageAtomic(out, image);
        QVERIFY(std::filesystem::exists(out));
        int files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(path("written"))) {
            Q_UNUSED(entry);
            ++files;
        }
        QCOMPARE(files, 1);
        const cv::Mat back = cv::imread(out, cv::IMREAD_UNCHANGED);
        QCOMPARE(cv::norm(back, image, cv::NORM_INF), 0.0);
    }

    void writeRefusals_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("depth");
        QTest::addColumn<QString>("expected");
        QTest::newRow("overwrite input") << "input.png" << int(CV_8U) << "refusing to overwrite an input";
        QTest::newRow("missing folder") << "no/such/dir/out.png" << int(CV_8U) << "does not exist";
        QTest::newRow("unknown format") << "out.xyz" << int(CV_8U) << "unsupported output format";
        QTest::newRow("16-bit jpeg") << "out.jpg" << int(CV_16U) << "16-bit";
        QTest::newRow("parent is a file") << "input.png/out.png" << int(CV_8U) << "is not a folder";
    }
    void writeRefusals() {
        QFETCH(QString, target);
        QFETCH(int, depth);
        QFETCH(QString, expected);
        const std::string input = path("input.png");
        const cv::Mat original(4, 4, CV_8UC3, cv::Scalar(9, 9, 9));
        cv::imwrite(input, original);
        const cv::Mat image(4, 4, CV_MAKETYPE(depth, 3), cv::Scalar::all(200));
        const QString message = errorOf([&] { writeImageAtomic(path(qPrintable(target)), image, {input}); });
        QVERIFY2(message.contains(expected), qPrintable(message));
        // The input is untouched whatever happened.
        QCOMPARE(cv::norm(cv::imread(input), original, cv::NORM_INF), 0.0);
    }

    void unwritableFolderIsReported() {
        if (::geteuid() == 0) QSKIP("root can write into read-only folders; checked for normal users only");
        const std::string folder = path("readonly");
        std::filesystem::create_directories(folder);
        std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        const QString message = errorOf([&] { writeImageAtomic(folder + "/x.png", cv::Mat(2, 2, CV_8UC3)); });
        QVERIFY2(message.contains("not writable"), qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(TestImageIo)
#include "test_image_io.moc"
