// The predictor: pre-processing (size, colour order, scale), the values it returns, and the
// errors a user can run into.
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <array>
#include <thread>

#include "core/image_io.h"
#include "core/model/predictor.h"
#include "tests/model/random_model.h"

using namespace hz;

namespace {

constexpr std::uint64_t kSeed = 21;

// A composite with structure: a colour gradient, a disc of another colour, some noise.
cv::Mat makeComposite(int width, int height, std::uint64_t seed) {
    cv::Mat image(height, width, CV_8UC3);
    cv::RNG rng(seed);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            image.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(40 + 150 * x / width + rng.uniform(-8, 8)),
                                                  cv::saturate_cast<uchar>(90 + rng.uniform(-8, 8)),
                                                  cv::saturate_cast<uchar>(200 - 120 * y / height));
    cv::circle(image, {width / 2, height / 2}, std::min(width, height) / 4, cv::Scalar(30, 180, 240), cv::FILLED);
    return image;
}

cv::Mat makeMask(int width, int height) {
    cv::Mat mask = cv::Mat::zeros(height, width, CV_16UC1);
    cv::circle(mask, {width / 2, height / 2}, std::min(width, height) / 4, cv::Scalar(65535), cv::FILLED);
    return mask;
}

// The network input built by hand, without OpenCV's colour conversion: resize, then read
// each pixel's B, G, R and store it at channel 2, 1, 0.
std::pair<torch::Tensor, torch::Tensor> inputByHand(const cv::Mat& bgr, const cv::Mat& mask16, int size) {
    cv::Mat small, smallMask;
    cv::resize(bgr, small, {size, size}, 0, 0, cv::INTER_LINEAR);
    cv::resize(mask16, smallMask, {size, size}, 0, 0, cv::INTER_LINEAR);
    auto image = torch::empty({1, 3, size, size});
    auto mask = torch::empty({1, 1, size, size});
    auto imageAccess = image.accessor<float, 4>();
    auto maskAccess = mask.accessor<float, 4>();
    for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x) {
            const auto pixel = small.at<cv::Vec3b>(y, x);
            imageAccess[0][0][y][x] = pixel[2] / 255.0f;  // R
            imageAccess[0][1][y][x] = pixel[1] / 255.0f;  // G
            imageAccess[0][2][y][x] = pixel[0] / 255.0f;  // B
            maskAccess[0][0][y][x] = smallMask.at<std::uint16_t>(y, x) / 65535.0f;
        }
    }
    return {image, mask};
}

}  // namespace

class TestPredictor : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string modelPath_;   // outputs spread about 0.6 on image-like inputs
    std::string weakPath_;    // about 0.1: never near the clamp, for exact comparisons
    std::string strongPath_;  // about 5: often beyond [-1, 1]

    PredictorOptions options() const {
        PredictorOptions o;
        o.modelPath = modelPath_;
        o.device = DeviceChoice::Cpu;
        // With every core, OpenMP workers spinning against a parallel ctest run make each
        // prediction many times slower; one thread keeps the test fast and its result is the same.
        o.threads = 1;
        return o;
    }

    // The weak model as a plain network in eval mode: the reference the predictor must match.
    HarmonizerNet weakNetwork() const {
        HarmonizerNet net;
        loadModel(weakPath_, net);
        net->eval();
        return net;
    }

    // The weak network's raw outputs for the composite squeezed into side x side by hand.
    std::array<double, kFilterCount> weakRawOutputs(const cv::Mat& image, const cv::Mat& mask, int side) const {
        HarmonizerNet net = weakNetwork();
        torch::NoGradGuard noGrad;
        const auto [rgb, mask01] = inputByHand(image, mask, side);
        const auto raw = net->forward(rgb, mask01);
        std::array<double, kFilterCount> values{};
        for (int i = 0; i < kFilterCount; ++i) values[i] = raw[0][i].item<double>();
        return values;
    }

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        QVERIFY(dir_.isValid());
        modelPath_ = dir_.filePath("random.hzm").toStdString();
        weakPath_ = dir_.filePath("weak.hzm").toStdString();
        strongPath_ = dir_.filePath("strong.hzm").toStdString();
        auto net = test::makeRandomNet(kSeed, /*outputSpread=*/0.6);
        saveModel(modelPath_, net, {});
        torch::NoGradGuard noGrad;
        const auto scaleOutputs = [&](double factor) {
            for (auto& output : net->outputs) {
                output->weight.mul_(factor);
                output->bias.mul_(factor);
            }
        };
        scaleOutputs(1.0 / 6.0);
        saveModel(weakPath_, net, {});
        scaleOutputs(50.0);
        saveModel(strongPath_, net, {});
    }

    void preprocessingKeepsColourOrderAndScale_data() {
        QTest::addColumn<int>("depth");
        QTest::newRow("8-bit") << CV_8U;
        QTest::newRow("16-bit") << CV_16U;
    }
    void preprocessingKeepsColourOrderAndScale() {
        QFETCH(int, depth);
        const double full = depth == CV_8U ? 255.0 : 65535.0;
        // A uniform BGR image (B, G, R) = (0.1, 0.5, 0.9) of full scale, not square.
        const cv::Mat image(300, 500, CV_MAKETYPE(depth, 3), cv::Scalar(0.1 * full, 0.5 * full, 0.9 * full));
        cv::Mat mask = cv::Mat::zeros(300, 500, CV_16UC1);
        mask(cv::Rect(0, 0, 250, 300)).setTo(65535);  // left half
        const auto input = prepareNetworkInput(image, mask, 64);
        QCOMPARE(input.image.sizes().vec(), (std::vector<std::int64_t>{1, 3, 64, 64}));
        QCOMPARE(input.mask.sizes().vec(), (std::vector<std::int64_t>{1, 1, 64, 64}));
        const double tolerance = 1.0 / full;
        QVERIFY(std::abs(input.image[0][0].mean().item<double>() - 0.9) < tolerance);  // R first
        QVERIFY(std::abs(input.image[0][1].mean().item<double>() - 0.5) < tolerance);
        QVERIFY(std::abs(input.image[0][2].mean().item<double>() - 0.1) < tolerance);
        // Aspect not kept: the left half of the mask is the left half of the square.
        QCOMPARE(input.mask[0][0][10][5].item<float>(), 1.0f);
        QCOMPARE(input.mask[0][0][50][60].item<float>(), 0.0f);
        QCOMPARE(input.mask.min().item<float>(), 0.0f);
    }

    void predictionEqualsTheNetworkOnAHandBuiltRgbTensor() {
        const cv::Mat image = makeComposite(640, 480, 1);
        const cv::Mat mask = makeMask(640, 480);
        PredictorOptions weak = options();
        weak.modelPath = weakPath_;
        weak.views = 1;
        Predictor predictor(weak);
        QCOMPARE(predictor.metadata().inputSize, 256);
        const auto predicted = predictor.predict(image, mask).toArray();

        HarmonizerNet net = weakNetwork();
        torch::NoGradGuard noGrad;
        const auto [rgb, mask01] = inputByHand(image, mask, 256);
        const auto raw = net->forward(rgb, mask01);
        const auto swapped = net->forward(rgb.flip({1}), mask01);  // what a BGR mix-up would give
        double maxError = 0, swapDistance = 0;
        for (int i = 0; i < kFilterCount; ++i) {
            const double expected = std::clamp(raw[0][i].item<double>(), -1.0, 1.0);
            maxError = std::max(maxError, std::abs(predicted[i] - expected));
            swapDistance = std::max(swapDistance, std::abs(predicted[i] - std::clamp(swapped[0][i].item<double>(), -1.0, 1.0)));
        }
        QVERIFY2(maxError < 1e-4, qPrintable(QString("max error %1").arg(maxError)));
        QVERIFY2(swapDistance > 100 * std::max(maxError, 1e-6), "the test must be able to tell RGB from BGR");
    }

    void viewsAverageTheClampedPredictionsOfFlipsAndTransposes_data() {
        QTest::addColumn<int>("views");
        QTest::newRow("2 views (mirror)") << 2;
        QTest::newRow("4 views (flips)") << 4;
        QTest::newRow("8 views (flips and transposes)") << 8;
    }

    void viewsAverageTheClampedPredictionsOfFlipsAndTransposes() {
        QFETCH(int, views);
        const cv::Mat image = makeComposite(320, 240, 3);
        const cv::Mat mask = makeMask(320, 240);
        PredictorOptions o = options();
        o.modelPath = weakPath_;
        o.views = views;
        Predictor predictor(o);
        const auto predicted = predictor.predict(image, mask).toArray();

        HarmonizerNet net = weakNetwork();
        torch::NoGradGuard noGrad;
        const auto [rgb, mask01] = inputByHand(image, mask, 256);
        std::array<double, kFilterCount> expected{};
        double spread = 0;  // how much the views disagree: the test must be able to tell them apart
        std::array<double, kFilterCount> first{};
        for (int v = 0; v < views; ++v) {
            auto view = [&](torch::Tensor t) {
                if (v >= 4) t = t.transpose(2, 3);
                if (v & 1) t = t.flip({3});
                if (v & 2) t = t.flip({2});
                return t;
            };
            const auto raw = net->forward(view(rgb), view(mask01));
            for (int i = 0; i < kFilterCount; ++i) {
                const double value = std::clamp(raw[0][i].item<double>(), -1.0, 1.0);
                expected[i] += value / views;
                if (v == 0) first[i] = value;
                spread = std::max(spread, std::abs(value - first[i]));
            }
        }
        double maxError = 0;
        for (int i = 0; i < kFilterCount; ++i) maxError = std::max(maxError, std::abs(predicted[i] - expected[i]));
        QVERIFY2(maxError < 1e-4, qPrintable(QString("max error %1").arg(maxError)));
        QVERIFY2(spread > 100 * std::max(maxError, 1e-6), "the views must give different predictions");
    }

    void outputGainScalesTheRawOutputsBeforeClamping() {
        const cv::Mat image = makeComposite(320, 240, 4);
        const cv::Mat mask = makeMask(320, 240);
        PredictorOptions o = options();
        o.modelPath = weakPath_;
        o.views = 1;
        const auto plain = Predictor(o).predict(image, mask).toArray();
        o.outputGain = 1.5;
        const auto scaled = Predictor(o).predict(image, mask).toArray();

        const auto raw = weakRawOutputs(image, mask, 256);
        double maxError = 0, change = 0;
        for (int i = 0; i < kFilterCount; ++i) {
            maxError = std::max(maxError, std::abs(scaled[i] - std::clamp(1.5 * raw[i], -1.0, 1.0)));
            change = std::max(change, std::abs(scaled[i] - plain[i]));
        }
        QVERIFY2(maxError < 1e-4, qPrintable(QString("max error %1").arg(maxError)));
        QVERIFY2(change > 1e-3, "the gain must change the prediction");
        o.outputGain = 0.0;
        QVERIFY_THROWS_EXCEPTION(hz::Error, Predictor{o});
    }

    void inputSizeOverrideResizesToThatSide() {
        const cv::Mat image = makeComposite(320, 240, 5);
        const cv::Mat mask = makeMask(320, 240);
        PredictorOptions o = options();
        o.modelPath = weakPath_;
        o.views = 1;
        o.inputSize = 160;
        const auto predicted = Predictor(o).predict(image, mask).toArray();

        const auto raw = weakRawOutputs(image, mask, 160);
        const auto rawAtFileSize = weakRawOutputs(image, mask, 256);
        double maxError = 0, change = 0;
        for (int i = 0; i < kFilterCount; ++i) {
            maxError = std::max(maxError, std::abs(predicted[i] - std::clamp(raw[i], -1.0, 1.0)));
            change = std::max(change, std::abs(predicted[i] - std::clamp(rawAtFileSize[i], -1.0, 1.0)));
        }
        QVERIFY2(maxError < 1e-4, qPrintable(QString("max error %1").arg(maxError)));
        QVERIFY2(change > 1e-4, "another input side must give another prediction");
        o.inputSize = 16;
        QVERIFY_THROWS_EXCEPTION(hz::Error, Predictor{o});
    }

    void extraInputSizesJoinTheAverage_data() {
        QTest::addColumn<bool>("fromFile");
        QTest::newRow("asked for in the options") << false;
        QTest::newRow("stored in the model file") << true;
    }

    void extraInputSizesJoinTheAverage() {
        QFETCH(bool, fromFile);
        const cv::Mat image = makeComposite(320, 240, 6);
        const cv::Mat mask = makeMask(320, 240);
        PredictorOptions o = options();
        o.modelPath = weakPath_;
        o.views = 1;
        if (fromFile) {
            HarmonizerNet net = weakNetwork();
            ModelMetadata metadata;
            metadata.extraInputSizes = {160, 320};
            o.modelPath = dir_.filePath("scales.hzm").toStdString();
            saveModel(o.modelPath, net, metadata);
        } else {
            o.extraInputSizes = std::vector<int>{160, 320};
        }
        const auto predicted = Predictor(o).predict(image, mask).toArray();

        std::array<double, kFilterCount> expected{}, atInputSize{};
        for (int side : {256, 160, 320}) {
            const auto raw = weakRawOutputs(image, mask, side);
            for (int i = 0; i < kFilterCount; ++i) {
                expected[i] += std::clamp(raw[i], -1.0, 1.0) / 3.0;
                if (side == 256) atInputSize[i] = std::clamp(raw[i], -1.0, 1.0);
            }
        }
        double maxError = 0, change = 0;
        for (int i = 0; i < kFilterCount; ++i) {
            maxError = std::max(maxError, std::abs(predicted[i] - expected[i]));
            change = std::max(change, std::abs(predicted[i] - atInputSize[i]));
        }
        QVERIFY2(maxError < 1e-4, qPrintable(QString("max error %1").arg(maxError)));
        QVERIFY2(change > 1e-4, "the extra sides must change the prediction");

        // An empty list in the options is the input size alone, whatever the file says.
        o.extraInputSizes = std::vector<int>{};
        const auto alone = Predictor(o).predict(image, mask).toArray();
        for (int i = 0; i < kFilterCount; ++i) QVERIFY(std::abs(alone[i] - atInputSize[i]) < 1e-4);
        o.extraInputSizes = std::vector<int>{16};
        QVERIFY_THROWS_EXCEPTION(hz::Error, Predictor{o});
    }

    void invalidViewCountIsRefused() {
        PredictorOptions o = options();
        o.modelPath = weakPath_;
        o.views = 3;
        QVERIFY_THROWS_EXCEPTION(hz::Error, Predictor{o});
    }

    void valuesAreClampedAndDeterministic() {
        PredictorOptions strong = options();
        strong.modelPath = strongPath_;
        Predictor predictor(strong);
        int clampedValues = 0;
        for (int i = 0; i < 6; ++i) {
            const cv::Mat image = makeComposite(200 + 30 * i, 150, 10 + i);
            const cv::Mat mask = makeMask(200 + 30 * i, 150);
            const auto first = predictor.predict(image, mask);
            QCOMPARE(predictor.predict(image, mask), first);
            for (double value : first.toArray()) {
                QVERIFY(value >= -1.0 && value <= 1.0);
                clampedValues += std::abs(value) == 1.0;
            }
        }
        QVERIFY2(clampedValues > 0, "the strong model must have hit the clamp");
    }

    void sixteenBitInputPredictsLikeEightBit() {
        // At the network's own size there is no resampling, so v8 / 255 == v16 / 65535 exactly.
        const cv::Mat image8 = makeComposite(256, 256, 2);
        cv::Mat image16;
        image8.convertTo(image16, CV_16UC3, 257.0);
        const cv::Mat mask = makeMask(256, 256);
        Predictor predictor(options());
        const auto a = predictor.predict(image8, mask).toArray();
        const auto b = predictor.predict(image16, mask).toArray();
        for (int i = 0; i < kFilterCount; ++i)
            QVERIFY2(std::abs(a[i] - b[i]) < 1e-4, qPrintable(QString("%1: %2 vs %3").arg(i).arg(a[i]).arg(b[i])));
    }

    void reportsTimingAndDevice() {
        Predictor predictor(options());
        predictor.predict(makeComposite(256, 256, 3), makeMask(256, 256));
        const auto timing = predictor.lastTiming();
        QVERIFY(timing.forwardMs > 0);
        QVERIFY(timing.preprocessMs >= 0 && timing.postprocessMs >= 0);
        QCOMPARE(predictor.deviceName(), std::string("cpu"));
        QCOMPARE(predictor.modelPath(), modelPath_);
    }

    void defaultThreadsUseEveryCore() {
        PredictorOptions o = options();
        o.threads = 0;
        Predictor predictor(o);
        QCOMPARE(torch::get_num_threads(), int(std::max(1u, std::thread::hardware_concurrency())));
        torch::set_num_threads(1);
    }

    void userErrors_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty mask") << "empty-mask" << "mask is empty: nothing to harmonize";
        QTest::newRow("mask of another size") << "mask-size" << "mask is 100x80 but the image is 120x80";
        QTest::newRow("8-bit mask") << "mask-type" << "mask must be 16-bit";
        QTest::newRow("float image") << "image-type" << "8- or 16-bit";
        QTest::newRow("no image") << "no-image" << "image is empty";
    }
    void userErrors() {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        cv::Mat image = makeComposite(120, 80, 4);
        cv::Mat mask = makeMask(120, 80);
        if (kind == "empty-mask") mask.setTo(0);
        if (kind == "mask-size") mask = makeMask(100, 80);
        if (kind == "mask-type") mask.convertTo(mask, CV_8UC1, 1.0 / 257);
        if (kind == "image-type") image.convertTo(image, CV_32FC3);
        if (kind == "no-image") image = cv::Mat();
        Predictor predictor(options());
        QString message;
        try {
            predictor.predict(image, mask);
        } catch (const Error& e) {
            message = e.what();
        }
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void missingModelNamesThePath() {
        PredictorOptions o = options();
        o.modelPath = dir_.filePath("nothing-here.hzm").toStdString();
        QString message;
        try {
            Predictor predictor(o);
        } catch (const Error& e) {
            message = e.what();
        }
        QVERIFY2(message.contains("nothing-here.hzm") && message.contains("does not exist"), qPrintable(message));
    }

    void devices() {
        QCOMPARE(parseDeviceChoice("auto"), DeviceChoice::Auto);
        QCOMPARE(parseDeviceChoice("cpu"), DeviceChoice::Cpu);
        QCOMPARE(parseDeviceChoice("cuda"), DeviceChoice::Cuda);
        QVERIFY_THROWS_EXCEPTION(Error, parseDeviceChoice("gpu"));
        PredictorOptions o = options();
        o.device = DeviceChoice::Auto;
        Predictor automatic(o);
        QCOMPARE(automatic.deviceName(), std::string(torch::cuda::is_available() ? "cuda:0" : "cpu"));
        if (torch::cuda::is_available()) QSKIP("CUDA is available here; the unavailable-CUDA error cannot be tested");
        o.device = DeviceChoice::Cuda;
        QVERIFY_THROWS_EXCEPTION(Error, Predictor{o});
    }
};

QTEST_GUILESS_MAIN(TestPredictor)
#include "test_predictor.moc"
