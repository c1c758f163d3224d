// The video pipeline end to end on small generated clips: composing, frame count / size / fps
// of the output, predict-every and the per-frame record, errors on bad input, cancelling,
// and that the default smoothing keeps a real predictor steady on a noisy static clip.
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/image_io.h"
#include "core/model/predictor.h"
#include "core/video/video_pipeline.h"
#include "tests/video/video_fixtures.h"

using namespace hz;
using hz::test::ClipKind;

namespace {

const cv::Size kSize(64, 48);

std::vector<cv::Mat> readAllFrames(const std::string& path) {
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    std::vector<cv::Mat> frames;
    cv::Mat frame;
    while (capture.read(frame)) frames.push_back(frame.clone());
    return frames;
}

// A predictor stand-in: fixed values, counts its calls.
struct FakePredictor {
    FilterParams values;
    int calls = 0;
    FramePredictor function() {
        return [this](const cv::Mat& image, const cv::Mat& mask) {
            Q_ASSERT(image.type() == CV_8UC3 && mask.type() == CV_16UC1 && image.size() == mask.size());
            ++calls;
            return values;
        };
    }
};

FilterParams someValues() {
    FilterParams p;
    p.temperature = 0.2;
    p.brightness = 0.3;
    p.contrast = -0.2;
    p.saturation = 0.4;
    p.highlight = -0.1;
    p.shadow = 0.2;
    return p;
}

double stddev(const std::vector<double>& values) {
    double mean = 0;
    for (double v : values) mean += v;
    mean /= double(values.size());
    double sum = 0;
    for (double v : values) sum += (v - mean) * (v - mean);
    return std::sqrt(sum / double(values.size()));
}

std::vector<std::string> filesIn(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    return names;
}

}  // namespace

class TestVideoPipeline : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string path(const std::string& name) const { return (dir_.path() + "/").toStdString() + name; }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        test::writeClip(path("fg.mkv"), ClipKind::Colour, kSize, 10, 25.0);
        test::writeClip(path("mask.mkv"), ClipKind::Mask, kSize, 12, 25.0);
        test::writeClip(path("composite30.mkv"), ClipKind::Colour, kSize, 9, 30.0);
        test::writeClip(path("wide.mkv"), ClipKind::Colour, cv::Size(80, 48), 10, 25.0);
        test::writeStillMask(path("mask.png"), kSize);
        // A background clip: other colours, so compose results differ from either input.
        {
            AtomicVideoWriter writer(path("bg.mkv"), chooseVideoCodec(path("bg.mkv")), 25.0, kSize);
            for (int i = 0; i < 11; ++i) writer.write(test::colourFrame(kSize, i, 3));
            writer.commit();
        }
        cv::imwrite(path("bg.png"), test::colourFrame(kSize, 0, 5));
        cv::imwrite(path("empty_mask.png"), cv::Mat(kSize, CV_8UC1, cv::Scalar(0)));
        {
            AtomicVideoWriter writer(path("empty_mask.mkv"), chooseVideoCodec(path("empty_mask.mkv")), 25.0, kSize);
            for (int i = 0; i < 4; ++i) writer.write(cv::Mat(kSize, CV_8UC3, cv::Scalar::all(0)));
            writer.commit();
        }
        std::ofstream(path("text.mp4")) << "not a video at all\n";
        std::ofstream(path("zero.mp4"));
    }

    // ---- composing ----------------------------------------------------------------
    void composeIsLinearBlend_data() {
        QTest::addColumn<int>("maskKind");
        QTest::newRow("mask 0 gives the background") << 0;
        QTest::newRow("mask 1 gives the foreground") << 1;
        QTest::newRow("random soft mask") << 2;
    }
    void composeIsLinearBlend() {
        QFETCH(int, maskKind);
        cv::Mat fg(17, 23, CV_8UC3), bg(17, 23, CV_8UC3), mask(17, 23, CV_16UC1), out;
        cv::RNG rng(3);
        rng.fill(fg, cv::RNG::UNIFORM, 0, 256);
        rng.fill(bg, cv::RNG::UNIFORM, 0, 256);
        if (maskKind == 0) mask.setTo(0);
        if (maskKind == 1) mask.setTo(65535);
        if (maskKind == 2) rng.fill(mask, cv::RNG::UNIFORM, 0, 65536);
        composeVideoFrame(fg, bg, mask, out);
        QCOMPARE(out.type(), CV_8UC3);
        double worst = 0;
        for (int y = 0; y < fg.rows; ++y)
            for (int x = 0; x < fg.cols; ++x)
                for (int c = 0; c < 3; ++c) {
                    const double m = mask.at<std::uint16_t>(y, x) / 65535.0;
                    const double expected = fg.at<cv::Vec3b>(y, x)[c] * m + bg.at<cv::Vec3b>(y, x)[c] * (1 - m);
                    worst = std::max(worst, std::abs(expected - out.at<cv::Vec3b>(y, x)[c]));
                }
        QVERIFY2(worst <= 0.5 + 1e-9, qPrintable(QString::number(worst)));
        if (maskKind == 0) QCOMPARE(cv::norm(out, bg, cv::NORM_INF), 0.0);
        if (maskKind == 1) QCOMPARE(cv::norm(out, fg, cv::NORM_INF), 0.0);
    }

    void composeRejectsMismatchedSizes() {
        cv::Mat fg(10, 10, CV_8UC3), bg(10, 11, CV_8UC3), mask(10, 10, CV_16UC1), out;
        QVERIFY_THROWS_EXCEPTION(Error, composeVideoFrame(fg, bg, mask, out));
    }

    // With identity values the output (lossless FFV1) is exactly fg * m + bg * (1 - m).
    void composeModeWritesTheComposite() {
        FakePredictor fake;  // all zeros: identity
        VideoJob job;
        job.foregroundPath = path("fg.mkv");
        job.backgroundPath = path("bg.mkv");
        job.maskPath = path("mask.mkv");
        job.outputPath = path("composed.mkv");
        VideoPipeline(job).run(fake.function());
        const auto out = readAllFrames(job.outputPath), fg = readAllFrames(job.foregroundPath),
                   bg = readAllFrames(job.backgroundPath), masks = readAllFrames(job.maskPath);
        QCOMPARE(int(out.size()), 10);  // the foreground is the shortest
        for (std::size_t i = 0; i < out.size(); ++i) {
            cv::Mat expected;
            composeVideoFrame(fg[i], bg[i], normaliseMask(masks[i]), expected);
            QVERIFY2(cv::norm(out[i], expected, cv::NORM_INF) == 0, qPrintable(QString("frame %1").arg(i)));
        }
    }

    // With real values, the background (mask 0) is the background clip bit for bit and the
    // foreground changes.
    void backgroundStaysExact() {
        FakePredictor fake{someValues()};
        VideoJob job;
        job.foregroundPath = path("fg.mkv");
        job.backgroundPath = path("bg.mkv");
        job.maskPath = path("mask.png");
        job.outputPath = path("harmonized.mkv");
        VideoPipeline(job).run(fake.function());
        const auto out = readAllFrames(job.outputPath), fg = readAllFrames(job.foregroundPath),
                   bg = readAllFrames(job.backgroundPath);
        const cv::Mat mask = loadMask(job.maskPath);
        QCOMPARE(int(out.size()), 10);
        for (std::size_t i = 0; i < out.size(); ++i) {
            QCOMPARE(cv::norm(out[i], bg[i], cv::NORM_INF, mask == 0), 0.0);
            QVERIFY(cv::norm(out[i], fg[i], cv::NORM_L1, mask == 65535) > 0);
        }
    }

    // ---- output format ------------------------------------------------------------
    void outputKeepsCountSizeAndRate_data() {
        QTest::addColumn<QString>("composite");
        QTest::addColumn<QString>("foreground");
        QTest::addColumn<QString>("background");
        QTest::addColumn<QString>("mask");
        QTest::addColumn<QString>("output");
        QTest::addColumn<int>("frames");
        QTest::addColumn<double>("fps");
        QTest::newRow("composite + mask video, 30 fps") << "composite30.mkv" << "" << "" << "mask.mkv" << "a.mkv" << 9 << 30.0;
        QTest::newRow("composite + still mask") << "composite30.mkv" << "" << "" << "mask.png" << "b.mkv" << 9 << 30.0;
        QTest::newRow("fg + bg + mask videos") << "" << "fg.mkv" << "bg.mkv" << "mask.mkv" << "c.mkv" << 10 << 25.0;
        QTest::newRow("still background and mask") << "" << "fg.mkv" << "bg.png" << "mask.png" << "d.mkv" << 10 << 25.0;
        QTest::newRow("mp4 (mp4v)") << "composite30.mkv" << "" << "" << "mask.png" << "e.mp4" << 9 << 30.0;
        QTest::newRow("avi (mjpg)") << "composite30.mkv" << "" << "" << "mask.mkv" << "f.avi" << 9 << 30.0;
        QTest::newRow("mov (mp4v)") << "" << "fg.mkv" << "bg.mkv" << "mask.png" << "g.mov" << 10 << 25.0;
    }
    void outputKeepsCountSizeAndRate() {
        QFETCH(QString, composite);
        QFETCH(QString, foreground);
        QFETCH(QString, background);
        QFETCH(QString, mask);
        QFETCH(QString, output);
        QFETCH(int, frames);
        QFETCH(double, fps);
        auto full = [&](const QString& name) { return name.isEmpty() ? std::string() : path(name.toStdString()); };
        VideoJob job;
        job.compositePath = full(composite);
        job.foregroundPath = full(foreground);
        job.backgroundPath = full(background);
        job.maskPath = full(mask);
        job.outputPath = full(output);
        FakePredictor fake{someValues()};
        VideoPipeline pipeline(job);
        const VideoResult result = pipeline.run(fake.function());
        QVERIFY(!result.cancelled);
        QCOMPARE(result.frames, (long long)frames);
        QCOMPARE(int(result.params.size()), frames);
        cv::VideoCapture capture(job.outputPath, cv::CAP_FFMPEG);
        QVERIFY(capture.isOpened());
        QCOMPARE(capture.get(cv::CAP_PROP_FPS), fps);
        QCOMPARE(int(readAllFrames(job.outputPath).size()), frames);
        QCOMPARE(readAllFrames(job.outputPath).front().size(), kSize);
        // Nothing but the result is left next to it.
        for (const auto& name : filesIn(dir_.path().toStdString())) QVERIFY2(name.find(".tmp-") == std::string::npos, name.c_str());
    }

    // ---- prediction schedule and record -------------------------------------------------
    void predictEvery_data() {
        QTest::addColumn<int>("every");
        QTest::addColumn<int>("expectedCalls");
        QTest::newRow("every frame") << 1 << 9;
        QTest::newRow("every 2nd") << 2 << 5;
        QTest::newRow("every 4th") << 4 << 3;
        QTest::newRow("every 100th: only the first") << 100 << 1;
    }
    void predictEvery() {
        QFETCH(int, every);
        QFETCH(int, expectedCalls);
        FakePredictor fake{someValues()};
        VideoJob job;
        job.compositePath = path("composite30.mkv");
        job.maskPath = path("mask.png");
        job.outputPath = path("every.mkv");
        job.predictEvery = every;
        const VideoResult result = VideoPipeline(job).run(fake.function());
        QCOMPARE(fake.calls, expectedCalls);
        QCOMPARE(result.predictions, (long long)expectedCalls);
        for (const auto& row : result.params) {
            QCOMPARE(row.predicted, row.frame % every == 0);
            QCOMPARE(row.raw, someValues());
            // A constant prediction smooths to itself (first prediction initialises).
            QVERIFY(std::abs(row.applied.brightness - 0.3) < 1e-12);
        }
    }

    void csvHasHeaderAndOneRowPerFrame() {
        std::vector<VideoFrameParams> rows(3);
        for (int i = 0; i < 3; ++i) {
            rows[i].frame = i;
            rows[i].predicted = i == 0;
            rows[i].raw = someValues();
            rows[i].applied.contrast = 0.125 * i;
        }
        const QStringList lines = QString::fromStdString(videoParamsCsv(rows)).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4);
        QCOMPARE(lines[0], QString("frame,predicted,raw_temperature,raw_brightness,raw_contrast,raw_saturation,"
                                   "raw_highlight,raw_shadow,smoothed_temperature,smoothed_brightness,"
                                   "smoothed_contrast,smoothed_saturation,smoothed_highlight,smoothed_shadow"));
        QCOMPARE(lines[1], QString("0,1,0.200000,0.300000,-0.200000,0.400000,-0.100000,0.200000,"
                                   "0.000000,0.000000,0.000000,0.000000,0.000000,0.000000"));
        QCOMPARE(lines[3].split(',').size(), 14);
        QCOMPARE(lines[3].split(',')[10], QString("0.250000"));
    }

    // Frames with an empty mask are copied through; a mask that is empty everywhere is an error.
    void emptyMaskEverywhereIsAnError() {
        FakePredictor fake{someValues()};
        VideoJob job;
        job.compositePath = path("composite30.mkv");
        job.maskPath = path("empty_mask.mkv");
        job.outputPath = path("empty_out.mkv");
        VideoPipeline pipeline(job);
        QVERIFY_THROWS_EXCEPTION(Error, pipeline.run(fake.function()));
        QCOMPARE(fake.calls, 0);
        QVERIFY(!std::filesystem::exists(job.outputPath));
        for (const auto& name : filesIn(dir_.path().toStdString())) QVERIFY2(name.find(".tmp-") == std::string::npos, name.c_str());
    }

    // ---- bad input -------------------------------------------------------------------------
    void badInputIsAClearError_data() {
        QTest::addColumn<QString>("composite");
        QTest::addColumn<QString>("foreground");
        QTest::addColumn<QString>("background");
        QTest::addColumn<QString>("mask");
        QTest::addColumn<QString>("output");
        QTest::addColumn<QString>("message");
        QTest::newRow("sizes differ") << "" << "fg.mkv" << "wide.mkv" << "mask.png" << "x.mkv"
                                      << "frame sizes differ: .*fg.mkv is 64x48; .*wide.mkv is 80x48";
        QTest::newRow("mask size differs") << "wide.mkv" << "" << "" << "mask.png" << "x.mkv" << "mask.png is 64x48";
        QTest::newRow("missing video") << "nope.mkv" << "" << "" << "mask.png" << "x.mkv" << "nope.mkv: no such file";
        QTest::newRow("empty file") << "zero.mp4" << "" << "" << "mask.png" << "x.mkv" << "zero.mp4: file is empty";
        QTest::newRow("not a video") << "text.mp4" << "" << "" << "mask.png" << "x.mkv" << "text.mp4: not a readable video";
        QTest::newRow("still image as composite") << "bg.png" << "" << "" << "mask.png" << "x.mkv" << "bg.png: is a still image";
        QTest::newRow("empty still mask") << "composite30.mkv" << "" << "" << "empty_mask.png" << "x.mkv" << "mask is empty";
        QTest::newRow("no video at all") << "" << "bg.png" << "bg.png" << "mask.png" << "x.mkv" << "no video among the inputs";
        QTest::newRow("unknown output extension") << "composite30.mkv" << "" << "" << "mask.png" << "x.webm"
                                                  << "x.webm: unsupported video format '.webm'";
        QTest::newRow("output is an input") << "composite30.mkv" << "" << "" << "mask.mkv" << "mask.mkv" << "refusing to overwrite";
        QTest::newRow("output folder missing") << "composite30.mkv" << "" << "" << "mask.png" << "no/such/x.mkv" << "does not exist";
    }
    void badInputIsAClearError() {
        QFETCH(QString, composite);
        QFETCH(QString, foreground);
        QFETCH(QString, background);
        QFETCH(QString, mask);
        QFETCH(QString, output);
        QFETCH(QString, message);
        auto full = [&](const QString& name) { return name.isEmpty() ? std::string() : path(name.toStdString()); };
        VideoJob job;
        job.compositePath = full(composite);
        job.foregroundPath = full(foreground);
        job.backgroundPath = full(background);
        job.maskPath = full(mask);
        job.outputPath = full(output);
        const auto before = std::filesystem::last_write_time(path("mask.mkv"));
        try {
            VideoPipeline pipeline(job);
            QFAIL("expected an hz::Error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(QRegularExpression(message)), e.what());
        }
        QCOMPARE(std::filesystem::last_write_time(path("mask.mkv")), before);
    }

    // ---- cancelling --------------------------------------------------------------------------
    void cancelLeavesNoFile() {
        std::atomic<bool> cancel{false};
        int calls = 0;
        const FramePredictor predict = [&](const cv::Mat&, const cv::Mat&) {
            if (++calls == 3) cancel = true;  // as if SIGINT arrived during frame 2
            return someValues();
        };
        VideoJob job;
        job.compositePath = path("composite30.mkv");
        job.maskPath = path("mask.png");
        job.outputPath = path("cancelled.mkv");
        const VideoResult result = VideoPipeline(job).run(predict, &cancel);
        QVERIFY(result.cancelled);
        QVERIFY(result.frames < 9);
        QVERIFY(!std::filesystem::exists(job.outputPath));
        for (const auto& name : filesIn(dir_.path().toStdString())) QVERIFY2(name.find(".tmp-") == std::string::npos, name.c_str());
    }

    // ---- smoothing --------------------------------------------------------------------------
    // A jittery predictor (raw std 0.04 around fixed values) on a 25 fps clip: the default
    // smoothing brings the applied values' std over the frames under 0.02.
    void defaultSmoothingSteadiesJitteryPredictions() {
        cv::RNG rng(11);
        const FramePredictor jittery = [&](const cv::Mat&, const cv::Mat&) {
            FilterParams p = someValues();
            for (const auto& spec : filterSpecs()) p.*(spec.field) += rng.gaussian(0.04);
            return p;
        };
        VideoJob job;
        job.foregroundPath = path("fg.mkv");
        job.backgroundPath = path("bg.png");
        job.maskPath = path("mask.png");
        job.outputPath = path("jittery.mkv");
        const VideoResult result = VideoPipeline(job).run(jittery);
        QCOMPARE(result.frames, 10LL);
        for (const auto& spec : filterSpecs()) {
            std::vector<double> raw, applied;
            for (const auto& row : result.params) {
                raw.push_back(row.raw.*(spec.field));
                applied.push_back(row.applied.*(spec.field));
            }
            QVERIFY2(stddev(raw) > 0.02, spec.key);
            QVERIFY2(stddev(applied) < 0.02, qPrintable(QString("%1: %2").arg(spec.key).arg(stddev(applied))));
            QVERIFY(stddev(applied) < 0.5 * stddev(raw));
        }
        // Smoothing off: the applied values are the raw ones.
        job.outputPath = path("jittery_raw.mkv");
        job.smoothingSeconds = 0;
        for (const auto& row : VideoPipeline(job).run(jittery).params) QCOMPARE(row.applied, row.raw);
    }

    // The real predictor with a random-initialised model on a static scene with fresh noise
    // in every frame: the raw predictions jitter with the noise, the applied values stay
    // steady (std over the frames < 0.02) and clearly steadier than the raw ones.
    void defaultSmoothingSteadiesNoisyClip() {
        const std::string clip = path("noisy.mkv"), model = path("random.hzm");
        test::writeClip(clip, ClipKind::Noisy, cv::Size(96, 72), 20, 25.0);
        test::writeStillMask(path("noisy_mask.png"), cv::Size(96, 72));
        test::writeRandomModel(model);
        PredictorOptions options;
        options.modelPath = model;
        options.device = DeviceChoice::Cpu;
        options.threads = videoPredictorThreads();
        Predictor predictor(options);
        VideoJob job;
        job.compositePath = clip;
        job.maskPath = path("noisy_mask.png");
        job.outputPath = path("noisy_out.mkv");
        const VideoResult result = VideoPipeline(job).run(
            [&](const cv::Mat& image, const cv::Mat& mask) { return predictor.predict(image, mask); });
        QCOMPARE(result.frames, 20LL);
        QCOMPARE(result.predictions, 20LL);
        double rawTotal = 0, smoothedTotal = 0;
        for (const auto& spec : filterSpecs()) {
            std::vector<double> raw, applied;
            for (const auto& row : result.params) {
                raw.push_back(row.raw.*(spec.field));
                applied.push_back(row.applied.*(spec.field));
            }
            const double rawStd = stddev(raw), smoothedStd = stddev(applied);
            qInfo("%-12s raw std %.3g  smoothed std %.3g", spec.key, rawStd, smoothedStd);
            QVERIFY2(smoothedStd < 0.02, spec.key);
            rawTotal += rawStd;
            smoothedTotal += smoothedStd;
        }
        QVERIFY2(rawTotal > 0.01, "the raw predictions should react to the noise");
        QVERIFY2(smoothedTotal < 0.5 * rawTotal, qPrintable(QString("raw %1 smoothed %2").arg(rawTotal).arg(smoothedTotal)));
    }
};

QTEST_GUILESS_MAIN(TestVideoPipeline)
#include "test_video_pipeline.moc"
