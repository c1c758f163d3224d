// The statistics head: its features on hand-made images, its storage in the model file and
// its place in the predictor.
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <filesystem>

#include "core/error.h"
#include "core/model/model_file.h"
#include "core/model/predictor.h"
#include "core/model/statistics_head.h"
#include "tests/model/random_model.h"

namespace fs = std::filesystem;

namespace {

// Feature indices within one region's block (statistics_head.cpp's order).
constexpr int kMeanRed = 0, kLightnessMean = 6, kLightnessP2 = 8, kLightnessP98 = 14, kSaturationMean = 19, kClippedHigh = 27;
constexpr int kForeground = 0, kBackground = hz::kStatisticsPerRegion, kDifference = 2 * hz::kStatisticsPerRegion;
// Boundary block indices (after the region block): mean and median differences across the edge.
constexpr int kEdgeMeanLightness = hz::kStatisticsFeatureCount, kEdgeMedianLightness = hz::kStatisticsFeatureCount + 8,
              kEdgePairedShare = hz::kStatisticsFeatureCount + 19;
const int kAllFeatures = hz::featureCount(hz::StatisticsFeatureSet::RegionsAndBoundary);

// [3, S, S] image of one colour per region, and the [1, S, S] mask of a centred square.
std::pair<torch::Tensor, torch::Tensor> twoColourImage(int side, const std::array<float, 3>& foreground,
                                                       const std::array<float, 3>& background) {
    auto mask = torch::zeros({1, side, side});
    mask.narrow(1, side / 4, side / 2).narrow(2, side / 4, side / 2).fill_(1.0);
    auto image = torch::empty({3, side, side});
    for (int c = 0; c < 3; ++c) image[c] = mask[0] * foreground[std::size_t(c)] + (1 - mask[0]) * background[std::size_t(c)];
    return {image, mask};
}

hz::FilterParams predictWith(const std::string& modelPath, const cv::Mat& image, const cv::Mat& mask) {
    hz::PredictorOptions options;
    options.modelPath = modelPath;
    options.views = 1;
    options.threads = 1;
    hz::Predictor predictor(options);
    return predictor.predict(image, mask);
}

}  // namespace

class TestStatisticsHead : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void featuresOfTwoFlatColours_data() {
        QTest::addColumn<int>("side");
        QTest::addColumn<float>("foregroundGrey");
        QTest::addColumn<float>("backgroundGrey");
        QTest::newRow("dark on light, 128") << 128 << 0.2f << 0.8f;
        QTest::newRow("light on dark, 256") << 256 << 0.9f << 0.1f;
        QTest::newRow("equal, 64 (upsampled)") << 64 << 0.5f << 0.5f;
    }
    void featuresOfTwoFlatColours() {
        QFETCH(int, side);
        QFETCH(float, foregroundGrey);
        QFETCH(float, backgroundGrey);
        const auto [image, mask] = twoColourImage(side, {foregroundGrey, foregroundGrey, foregroundGrey},
                                                  {backgroundGrey, backgroundGrey, backgroundGrey});
        const auto f = hz::statisticsFeatures(image, mask);
        QCOMPARE(f.size(0), std::int64_t(kAllFeatures));
        QCOMPARE(hz::statisticsFeatures(image, mask, hz::StatisticsFeatureSet::Regions).size(0),
                 std::int64_t(hz::kStatisticsFeatureCount));
        const float* v = f.data_ptr<float>();
        QVERIFY(std::abs(v[kForeground + kMeanRed] - foregroundGrey) < 1e-3f);
        QVERIFY(std::abs(v[kBackground + kMeanRed] - backgroundGrey) < 1e-3f);
        QVERIFY(std::abs(v[kDifference + kMeanRed] - (foregroundGrey - backgroundGrey)) < 1e-3f);
        // A flat region: every lightness percentile is its mean; grey has no saturation.
        QVERIFY(std::abs(v[kForeground + kLightnessP2] - v[kForeground + kLightnessP98]) < 1e-3f);
        QVERIFY(std::abs(v[kForeground + kLightnessP2] - v[kForeground + kLightnessMean]) < 1e-3f);
        QVERIFY(std::abs(v[kForeground + kSaturationMean]) < 1e-4f);
        QCOMPARE(v[kForeground + kLightnessMean] > v[kBackground + kLightnessMean], foregroundGrey > backgroundGrey);
        // The centred square covers a quarter of the picture.
        QVERIFY(std::abs(v[hz::kStatisticsFeatureCount - 1] - 0.25f) < 0.02f);
        for (int i = 0; i < kAllFeatures; ++i) QVERIFY2(std::isfinite(v[i]), "features must be finite");
        // Across the edge the difference is the two greys' (every foreground pixel near the edge
        // has background within reach).
        QVERIFY(std::abs(v[kEdgeMedianLightness]) > 0.0f || foregroundGrey == backgroundGrey);
        QCOMPARE(v[kEdgeMeanLightness] > 0.01f, foregroundGrey > backgroundGrey);
        QVERIFY(std::abs(v[kEdgePairedShare] - 1.0f) < 1e-6f);
    }

    // A scene with a vertical light gradient; the foreground is a square off the centre, so its
    // mean differs from the background's even when nothing was recoloured. The boundary block
    // sees only the recolouring.
    void boundaryFeaturesMeasureTheRecolouringAcrossTheEdge_data() {
        QTest::addColumn<float>("lift");
        QTest::addColumn<float>("redShift");
        QTest::newRow("untouched") << 0.0f << 0.0f;
        QTest::newRow("brightened") << 0.15f << 0.0f;
        QTest::newRow("darkened") << -0.15f << 0.0f;
        QTest::newRow("warmed") << 0.0f << 0.1f;
    }
    void boundaryFeaturesMeasureTheRecolouringAcrossTheEdge() {
        QFETCH(float, lift);
        QFETCH(float, redShift);
        constexpr int side = 128;
        auto mask = torch::zeros({1, side, side});
        mask.narrow(1, 20, 40).narrow(2, 30, 50).fill_(1.0);
        const auto rows = torch::linspace(0.2, 0.8, side).view({1, side, 1}).expand({1, side, side});
        auto image = torch::cat({rows * 0.9, rows, rows * 0.8}, 0).contiguous();  // a warm grey gradient
        image = image + mask * (lift + torch::tensor({redShift, 0.0f, 0.0f}).view({3, 1, 1}));
        const float* v = hz::statisticsFeatures(image, mask).data_ptr<float>();
        const float edgeL = v[kEdgeMeanLightness], edgeA = v[kEdgeMeanLightness + 1];
        if (lift == 0.0f && redShift == 0.0f) {
            // The region block's foreground-background lightness difference is far from 0;
            // across the edge there is nothing.
            QVERIFY(std::abs(v[kDifference + kLightnessMean]) > 0.1f);
            QVERIFY2(std::abs(edgeL) < 0.01f && std::abs(edgeA) < 0.01f, qPrintable(QString("%1 %2").arg(edgeL).arg(edgeA)));
        }
        if (lift != 0.0f) {
            QCOMPARE(edgeL > 0.0f, lift > 0.0f);
            QVERIFY(std::abs(edgeL) > 0.1f);
            QCOMPARE(v[kEdgeMedianLightness] > 0.0f, lift > 0.0f);
            QVERIFY(std::abs(edgeA) < 0.02f);  // a change of light, not of hue
        }
        if (redShift > 0.0f) QVERIFY2(edgeA > 0.05f, qPrintable(QString::number(edgeA)));  // Lab a: toward red
    }

    void featureCountsNameTheirSet() {
        QCOMPARE(hz::featureSetWithCount(hz::kStatisticsFeatureCount), hz::StatisticsFeatureSet::Regions);
        QCOMPARE(hz::featureSetWithCount(kAllFeatures), hz::StatisticsFeatureSet::RegionsAndBoundary);
        QVERIFY_THROWS_EXCEPTION(hz::Error, hz::featureSetWithCount(50));
    }

    void saturationAndClippingAreSeen() {
        const auto [image, mask] = twoColourImage(128, {1.0f, 0.1f, 0.1f}, {0.5f, 0.5f, 0.5f});
        const float* v = hz::statisticsFeatures(image, mask).data_ptr<float>();
        QVERIFY(v[kForeground + kSaturationMean] > 0.7f);
        QVERIFY(v[kDifference + kSaturationMean] > 0.7f);
        QVERIFY(v[kForeground + kClippedHigh] > 0.99f);
        QVERIFY(v[kBackground + kClippedHigh] < 0.01f);
    }

    void emptyForegroundIsMeasuredOnTheWholeImage() {
        auto [image, mask] = twoColourImage(128, {0.3f, 0.3f, 0.3f}, {0.7f, 0.7f, 0.7f});
        mask.zero_();
        const auto f = hz::statisticsFeatures(image, mask);
        QVERIFY(torch::isfinite(f).all().item<bool>());
        // No edge: the boundary block is zeros.
        QVERIFY(torch::equal(f.narrow(0, hz::kStatisticsFeatureCount, hz::kBoundaryFeatureCount),
                             torch::zeros({hz::kBoundaryFeatureCount})));
        // Whole image: a quarter at 0.3, the rest at 0.7.
        QVERIFY(std::abs(f.data_ptr<float>()[kForeground + kMeanRed] - 0.6f) < 0.01f);
        QVERIFY_THROWS_EXCEPTION(hz::Error, hz::statisticsFeatures(image.narrow(0, 0, 2), mask));
    }

    void freshHeadReturnsTheNetworksValues() {
        torch::manual_seed(3);
        hz::StatisticsHead head(16);
        const auto features = torch::rand({5, kAllFeatures});
        const auto values = torch::rand({5, 6}) * 2 - 1;
        QVERIFY(torch::equal(head->forward(features, values), values));
    }

    void headRoundTripsThroughTheModelFile_data() {
        QTest::addColumn<bool>("boundary");
        QTest::newRow("region features (heads before the boundary block)") << false;
        QTest::newRow("region and boundary features") << true;
    }
    void headRoundTripsThroughTheModelFile() {
        QFETCH(bool, boundary);
        const auto set = boundary ? hz::StatisticsFeatureSet::RegionsAndBoundary : hz::StatisticsFeatureSet::Regions;
        const int count = hz::featureCount(set);
        const std::string path = (fs::path(dir_.path().toStdString()) / "with_head.hzm").string();
        auto net = hz::test::makeRandomNet(5);
        hz::StatisticsHead head(24, set);
        torch::manual_seed(6);
        {
            torch::NoGradGuard noGrad;
            for (auto& p : head->parameters()) p.copy_(torch::randn_like(p) * 0.1);
            head->setFeatureScaling(torch::rand({10, count}));
        }
        hz::ModelMetadata metadata;
        metadata.modelVersion = "head-test";
        metadata.statisticsHeadNotes = "trained for a test";
        hz::saveModel(path, net, metadata, &head);

        hz::HarmonizerNet loadedNet;
        hz::StatisticsHead loadedHead{nullptr};
        const auto loaded = hz::loadModel(path, loadedNet, &loadedHead);
        QCOMPARE(loaded.statisticsHeadHidden, 24);
        QCOMPARE(loaded.statisticsHeadNotes, std::string("trained for a test"));
        QCOMPARE(loaded.statisticsFeatureSet, set);
        QVERIFY(!loadedHead.is_empty());
        QCOMPARE(loadedHead->featureSet(), set);
        const auto features = torch::rand({3, count});
        const auto values = torch::rand({3, 6}) - 0.5;
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(loadedHead->forward(features, values), head->forward(features, values)));
        // Without a holder the network still loads (the trainer and calibrate use that).
        hz::HarmonizerNet networkOnly;
        QCOMPARE(hz::loadModel(path, networkOnly).modelVersion, std::string("head-test"));
        // A file without a head leaves the holder empty.
        const std::string plain = (fs::path(dir_.path().toStdString()) / "plain.hzm").string();
        hz::saveModel(plain, net, metadata);
        hz::StatisticsHead none(8);
        QCOMPARE(hz::loadModel(plain, loadedNet, &none).statisticsHeadHidden, 0);
        QVERIFY(none.is_empty());
    }

    void inconsistentHeadIsRefusedNamingTheFile_data() {
        QTest::addColumn<QString>("headMetadata");
        QTest::addColumn<bool>("tensorsPresent");
        QTest::newRow("tensors without metadata") << QString() << true;
        QTest::newRow("metadata without tensors") << R"({"hidden": 8, "notes": ""})" << false;
        // No "features": a file from before the boundary block, but these tensors read 137.
        QTest::newRow("feature count older than the tensors") << R"({"hidden": 8, "notes": ""})" << true;
        QTest::newRow("unknown feature count") << R"({"hidden": 8, "features": 50, "notes": ""})" << true;
    }
    void inconsistentHeadIsRefusedNamingTheFile() {
        QFETCH(QString, headMetadata);
        QFETCH(bool, tensorsPresent);
        const std::string path = (fs::path(dir_.path().toStdString()) / "broken_head.hzm").string();
        auto net = hz::test::makeRandomNet(7);
        hz::StatisticsHead head(8);
        std::string json = R"({"format_version": 1, "architecture": "harmonizer-efficientnet-b0", "input_size": 256,
            "filter_order": ["temperature", "brightness", "contrast", "saturation", "highlight", "shadow"],
            "model_version": "broken", "training_notes": "", "output_gain": 1)";
        if (!headMetadata.isEmpty()) json += R"(, "statistics_head": )" + headMetadata.toStdString();
        json += "}";
        hz::writeHzmModule(path, json, *net, tensorsPresent ? head.get() : nullptr, hz::kStatisticsHeadPrefix);
        hz::HarmonizerNet loaded;
        hz::StatisticsHead loadedHead{nullptr};
        try {
            hz::loadModel(path, loaded, &loadedHead);
            QFAIL("an inconsistent head must be refused");
        } catch (const hz::Error& error) {
            QVERIFY2(std::string(error.what()).find(path) != std::string::npos, error.what());
        }
    }

    void predictorAppliesTheHead_data() { headRoundTripsThroughTheModelFile_data(); }
    void predictorAppliesTheHead() {
        QFETCH(bool, boundary);
        // A head that adds +0.3 to temperature and -0.2 to shadow, whatever it sees.
        const fs::path dir(dir_.path().toStdString());
        auto net = hz::test::makeRandomNet(11, 0.2);
        hz::ModelMetadata metadata;
        hz::saveModel((dir / "net.hzm").string(), net, metadata);
        hz::StatisticsHead head(8, boundary ? hz::StatisticsFeatureSet::RegionsAndBoundary : hz::StatisticsFeatureSet::Regions);
        {
            // Scaling from features of the matching size: a size mismatch would throw in predict.
            torch::NoGradGuard noGrad;
            head->setFeatureScaling(torch::rand({4, hz::featureCount(head->featureSet())}));
        }
        {
            torch::NoGradGuard noGrad;
            head->output->bias[0] = 0.3;
            head->output->bias[5] = -0.2;
        }
        hz::saveModel((dir / "net_head.hzm").string(), net, metadata, &head);

        cv::Mat image(96, 128, CV_8UC3);
        cv::randu(image, 0, 255);
        cv::Mat mask(96, 128, CV_16UC1, cv::Scalar(0));
        mask(cv::Rect(30, 20, 60, 50)).setTo(65535);
        const auto without = predictWith((dir / "net.hzm").string(), image, mask).toArray();
        const auto with = predictWith((dir / "net_head.hzm").string(), image, mask).toArray();
        QVERIFY(std::abs(with[0] - std::min(1.0, without[0] + 0.3)) < 1e-5);
        QVERIFY(std::abs(with[5] - std::max(-1.0, without[5] - 0.2)) < 1e-5);
        for (int k = 1; k < 5; ++k) QVERIFY(std::abs(with[std::size_t(k)] - without[std::size_t(k)]) < 1e-6);
    }

private:
    QTemporaryDir dir_;
};

QTEST_GUILESS_MAIN(TestStatisticsHead)
#include "test_statistics_head.moc"
