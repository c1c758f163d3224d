// Reading images and masks the way a photo editor should, and writing safely.
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/image_io.h"

using namespace hz;

class TestImageIo : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

    static std::string readBytes(const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    static void writeBytes(const std::string& p, const std::string& bytes) {
        std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
    }
    // A photo-like JPEG: smooth gradients plus texture, so every part of the entropy-coded
    // data matters.
    static std::string photoJpeg(int width, int height) {
        cv::Mat image(height, width, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::GaussianBlur(image, image, cv::Size(5, 5), 1.5);
        std::vector<uchar> bytes;
        cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
        return std::string(bytes.begin(), bytes.end());
    }
    static int temporariesIn(const std::string& folder) {
        int count = 0;
        for (const auto& entry : std::filesystem::directory_iterator(folder))
            if (entry.path().filename().string().rfind(".", 0) == 0) ++count;
        return count;
    }

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

    // Damaged or hostile inputs: each is an error naming the file, never a grey-filled or
    // gigantic image.
    void damagedInputsAreErrors_data() {
        QTest::addColumn<QString>("case_");
        QTest::addColumn<QString>("expected");
        QTest::newRow("jpeg cut in half") << "jpeg cut" << "damaged JPEG";
        QTest::newRow("jpeg with corrupt bytes inside") << "jpeg corrupt" << "damaged JPEG";
        QTest::newRow("png cut in half") << "png cut" << "damaged PNG";
        QTest::newRow("jpeg declaring 32768x32768") << "jpeg huge" << "32768x32768 (1074 MP), over the limit of 300 MP";
        QTest::newRow("fifo") << "fifo" << "not a regular file";
        QTest::newRow("character device") << "device" << "not a regular file";
        QTest::newRow("no image signature") << "text" << "not a readable image";
    }
    void damagedInputsAreErrors() {
        QFETCH(QString, case_);
        QFETCH(QString, expected);
        std::string p = path("damaged");
        const std::string jpeg = photoJpeg(320, 240);
        if (case_ == "jpeg cut") {
            p += ".jpg";
            writeBytes(p, jpeg.substr(0, jpeg.size() / 2));
        } else if (case_ == "jpeg corrupt") {
            p += "-corrupt.jpg";
            std::string bytes = jpeg;
            // A run of bytes in the middle of the entropy-coded data: the Huffman decoder
            // loses sync, which libjpeg reports as a warning (OpenCV hides it).
            for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = char(0xFF);
            bytes[bytes.size() / 2 + 64] = char(0xD0 + 3);
            writeBytes(p, bytes);
        } else if (case_ == "png cut") {
            p += ".png";
            cv::Mat image(240, 320, CV_8UC3);
            cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
            std::vector<uchar> bytes;
            cv::imencode(".png", image, bytes);
            writeBytes(p, std::string(bytes.begin(), bytes.begin() + bytes.size() / 2));
        } else if (case_ == "jpeg huge") {
            p += "-huge.jpg";
            std::string bytes = photoJpeg(16, 16);
            // The frame header (SOF0, FF C0) holds height then width as big-endian 16 bits.
            const std::size_t sof = bytes.find("\xFF\xC0");
            QVERIFY(sof != std::string::npos);
            for (std::size_t at : {sof + 5, sof + 7}) {
                bytes[at] = char(0x80);
                bytes[at + 1] = char(0x00);
            }
            writeBytes(p, bytes);
        } else if (case_ == "fifo") {
            p += ".fifo.png";
            std::filesystem::remove(p);
            QCOMPARE(::mkfifo(p.c_str(), 0600), 0);
        } else if (case_ == "device") {
            p = "/dev/zero";
        } else {
            p += ".png";
            writeBytes(p, "hello, I am not an image at all");
        }
        const QString message = errorOf([&] { loadImage(p); });
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.startsWith(QString::fromStdString(p) + ":"), qPrintable(message));
        if (case_ != "device" && case_ != "fifo") {
            const QString maskMessage = errorOf([&] { loadMask(p); });
            QVERIFY2(maskMessage.startsWith(QString::fromStdString(p) + ":"), qPrintable(maskMessage));
        }
    }

    // PNG is decoded with libpng directly (OpenCV's decoder prints libpng's errors): the
    // pixels must be exactly OpenCV's.
    void pngDecodesLikeOpenCv_data() {
        QTest::addColumn<int>("type");
        QTest::newRow("8-bit colour") << int(CV_8UC3);
        QTest::newRow("16-bit colour") << int(CV_16UC3);
        QTest::newRow("8-bit gray") << int(CV_8UC1);
        QTest::newRow("16-bit gray") << int(CV_16UC1);
        QTest::newRow("8-bit rgba") << int(CV_8UC4);
        QTest::newRow("16-bit rgba") << int(CV_16UC4);
    }
    void pngDecodesLikeOpenCv() {
        QFETCH(int, type);
        cv::Mat image(37, 53, type);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255));
        const std::string p = path("same.png");
        QVERIFY(cv::imwrite(p, image));
        cv::Mat expected = cv::imread(p, cv::IMREAD_UNCHANGED);
        if (expected.channels() == 1) cv::cvtColor(expected, expected, cv::COLOR_GRAY2BGR);
        if (expected.channels() == 4) cv::cvtColor(expected, expected, cv::COLOR_BGRA2BGR);
        const cv::Mat got = loadImage(p).pixels;
        QCOMPARE(got.type(), expected.type());
        QCOMPARE(cv::norm(got, expected, cv::NORM_INF), 0.0);
    }

    // EXIF orientation is still applied (the JPEG is decoded from memory now), and a mask of
    // the turned size passes the header check although the header says the other way round.
    void exifOrientationIsApplied() {
        std::vector<uchar> plain;
        cv::imencode(".jpg", cv::Mat(20, 40, CV_8UC3, cv::Scalar(10, 20, 30)), plain);
        // APP1 "Exif": a little-endian TIFF block with one entry, Orientation (0x0112) = 6.
        const unsigned char app1[] = {0xFF, 0xE1, 0,    34,   'E', 'x', 'i', 'f', 0, 0, 'I', 'I',
                                      42,   0,    8,    0,    0,   0,   1,   0,   0x12, 0x01, 3, 0,
                                      1,    0,    0,    0,    6,   0,   0,   0,   0,   0,   0, 0};
        std::string bytes(plain.begin(), plain.begin() + 2);
        bytes.append(reinterpret_cast<const char*>(app1), sizeof app1);
        bytes.append(plain.begin() + 2, plain.end());
        const std::string image = path("turned.jpg"), mask = path("turned-mask.png");
        writeBytes(image, bytes);
        cv::imwrite(mask, cv::Mat(40, 20, CV_8UC1, cv::Scalar(255)));
        const LoadedImage loaded = loadImage(image);
        QCOMPARE(loaded.pixels.cols, 20);
        QCOMPARE(loaded.pixels.rows, 40);
        checkImageAndMaskHeaders(image, mask);
        QCOMPARE(loadMask(mask, loaded.pixels.size()).size(), loaded.pixels.size());
    }

    void intactJpegStillLoads() {
        const std::string p = path("intact.jpg");
        writeBytes(p, photoJpeg(320, 240));
        const LoadedImage image = loadImage(p);
        QCOMPARE(image.pixels.cols, 320);
        QCOMPARE(image.pixels.rows, 240);
    }

    void pixelLimitCanBeRaised() {
        const std::string p = path("limit.png");
        cv::imwrite(p, cv::Mat(100, 100, CV_8UC3, cv::Scalar::all(7)));
        setMaxImagePixels(9999);
        const QString message = errorOf([&] { loadImage(p); });
        const QString probeMessage = errorOf([&] { probeImage(p); });
        setMaxImagePixels(10000);
        const QString atLimit = errorOf([&] { loadImage(p); });
        setMaxImagePixels(kDefaultMaxImagePixels);
        QVERIFY2(message.contains("100x100") && message.contains("over the limit"), qPrintable(message));
        QVERIFY2(probeMessage.contains("over the limit"), qPrintable(probeMessage));
        QVERIFY2(atLimit.isEmpty(), qPrintable(atLimit));
    }

    void maskSizeIsCheckedFromTheHeader() {
        const std::string image = path("hdr-image.png"), mask = path("hdr-mask.png");
        cv::imwrite(image, cv::Mat(40, 60, CV_8UC3, cv::Scalar::all(50)));
        cv::imwrite(mask, cv::Mat(30, 60, CV_8UC1, cv::Scalar::all(255)));
        const QString message = errorOf([&] { checkImageAndMaskHeaders(image, mask); });
        QVERIFY2(message.contains("mask is 60x30 but the image is 60x40"), qPrintable(message));
    }

    void colourMaskUsesLuminanceAndWarnsWhenItLooksLikeAPhoto() {
        // Grey levels in all three channels: the same mask as the 1-channel one, no warning.
        cv::Mat grey(4, 4, CV_8UC3, cv::Scalar(200, 200, 200));
        std::vector<std::string> warnings;
        QCOMPARE(normaliseMask(grey, &warnings).at<uint16_t>(0, 0), uint16_t(200 * 257));
        QVERIFY(warnings.empty());
        // Pure blue is dark: its luminance, not its blue channel.
        cv::Mat blue(4, 4, CV_8UC3, cv::Scalar(255, 0, 0));
        QVERIFY(normaliseMask(blue).at<uint16_t>(0, 0) < 40 * 257);
        cv::Mat photo(32, 32, CV_8UC3);
        cv::randu(photo, cv::Scalar::all(0), cv::Scalar::all(255));
        normaliseMask(photo, &warnings);
        QCOMPARE(int(warnings.size()), 1);
        QVERIFY(QString::fromStdString(warnings[0]).contains("looks like a colour photo"));
    }

    void replacingKeepsPermissionBits() {
        const std::string out = path("private.png");
        cv::imwrite(out, cv::Mat(3, 3, CV_8UC3, cv::Scalar::all(1)));
        QCOMPARE(::chmod(out.c_str(), 0600), 0);
        writeImageAtomic(out, cv::Mat(3, 3, CV_8UC3, cv::Scalar::all(2)));
        struct stat st {};
        QCOMPARE(::stat(out.c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0600);
        writeFileAtomic(out + ".json", "{}");
        QCOMPARE(::chmod((out + ".json").c_str(), 0640), 0);
        writeFileAtomic(out + ".json", "{\"a\": 1}");
        QCOMPARE(::stat((out + ".json").c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0640);
    }

    void longestValidNameCanBeWritten() {
        // 255 bytes is the most a Linux file name may have; the temporary must fit too.
        const std::string folder = path("long");
        std::filesystem::create_directories(folder);
        const std::string name = std::string(255 - 4, 'n') + ".png";
        writeImageAtomic(folder + "/" + name, cv::Mat(3, 3, CV_8UC3, cv::Scalar::all(3)));
        QVERIFY(std::filesystem::exists(folder + "/" + name));
        QCOMPARE(temporariesIn(folder), 0);
    }

    // A file-size limit (RLIMIT_FSIZE, set in a child) stands for a full disk: every format
    // must fail and leave the previous file as it was, with no temporary behind. (WebP
    // used to be left truncated and renamed over the good file, reported as written.)
    void fullDiskKeepsThePreviousFile_data() {
        QTest::addColumn<QString>("ext");
        for (const char* ext : {"webp", "png", "jpg", "tif"}) QTest::newRow(ext) << ext;
    }
    void fullDiskKeepsThePreviousFile() {
        QFETCH(QString, ext);
        const std::string folder = path(qPrintable("full-" + ext));
        std::filesystem::create_directories(folder);
        const std::string out = folder + "/out." + ext.toStdString();
        writeImageAtomic(out, cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(9)));
        const std::string before = readBytes(out);
        cv::Mat big(512, 512, CV_8UC3);
        cv::randu(big, cv::Scalar::all(0), cv::Scalar::all(255));
        const pid_t child = ::fork();
        if (child == 0) {
            ::signal(SIGXFSZ, SIG_IGN);
            struct rlimit limit {16384, 16384};
            ::setrlimit(RLIMIT_FSIZE, &limit);
            try {
                writeImageAtomic(out, big);
            } catch (const Error& e) {
                ::_exit(QString(e.what()).startsWith(QString::fromStdString(out)) ? 0 : 3);
            }
            ::_exit(1);  // reported success
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY2(WIFEXITED(status), "the writer was killed");
        QCOMPARE(WEXITSTATUS(status), 0);
        QVERIFY(readBytes(out) == before);
        QCOMPARE(temporariesIn(folder), 0);
    }

    void outputsAreCheckedTogether_data() {
        QTest::addColumn<QString>("first");
        QTest::addColumn<QString>("second");
        QTest::addColumn<QString>("expected");
        QTest::newRow("two outputs, one file") << "same.png" << "./same.png" << "given as two outputs";
        QTest::newRow("second output is an input") << "ok.png" << "input.png" << "refusing to overwrite an input";
        QTest::newRow("second folder missing") << "ok.png" << "missing/x.json" << "does not exist";
    }
    void outputsAreCheckedTogether() {
        QFETCH(QString, first);
        QFETCH(QString, second);
        QFETCH(QString, expected);
        const std::string input = path("input.png");
        cv::imwrite(input, cv::Mat(2, 2, CV_8UC3));
        const std::string a = path(qPrintable(first));
        const std::string b = dir_.path().toStdString() + "/" + second.toStdString();
        const QString message = errorOf([&] { checkOutputs({a, b}, {input}); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void oversizeOutputIsRefusedBeforeRendering_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("width");
        QTest::addColumn<bool>("refused");
        QTest::newRow("webp 16383 ok") << "a.webp" << 16383 << false;
        QTest::newRow("webp 16384") << "a.webp" << 16384 << true;
        QTest::newRow("jpeg 65536") << "a.jpg" << 65536 << true;
        QTest::newRow("png 70000 ok") << "a.png" << 70000 << false;
    }
    void oversizeOutputIsRefusedBeforeRendering() {
        QFETCH(QString, file);
        QFETCH(int, width);
        QFETCH(bool, refused);
        const QString message = errorOf([&] { checkOutputImageSize(file.toStdString(), cv::Size(width, 2)); });
        QCOMPARE(!message.isEmpty(), refused);
    }

};

QTEST_APPLESS_MAIN(TestImageIo)
#include "test_image_io.moc"
