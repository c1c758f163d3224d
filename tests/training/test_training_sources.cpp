// The newer training sources: colour-grading LUTs (.cube) and the LUT family, the
// image/ + mask/ layout with its source-photo keys, photos without masks, BSDS object masks,
// and the per-filter R^2 diagnostic that catches a collapsed network.
#include <QTemporaryDir>
#include <QtTest>

#include "tests/training/training_fixtures.h"

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "core/image_io.h"
#include "core/training/batch.h"
#include "core/training/dataset.h"
#include "core/training/evalset.h"
#include "core/training/evaluator.h"
#include "core/training/perturb.h"
#include "core/training/lut.h"

namespace fs = std::filesystem;
using namespace hz::training;
using namespace hz::training::fixtures;

namespace {

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

cv::Mat randomRgb(int size, int seed) {
    cv::Mat rgb(size, size, CV_32FC3);
    cv::RNG(seed).fill(rgb, cv::RNG::UNIFORM, 0.0f, 1.0f);
    return rgb;
}

}  // namespace

class TestTrainingSources : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void cubeLutsInterpolate_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<QString>("function");
        QTest::newRow("identity 2") << 2 << "identity";
        QTest::newRow("identity 17") << 17 << "identity";
        QTest::newRow("affine 5") << 5 << "affine";
        QTest::newRow("channel swap 9") << 9 << "swap";
    }
    void cubeLutsInterpolate() {
        // Trilinear interpolation reproduces any affine map exactly, so these have exact answers.
        QFETCH(int, size);
        QFETCH(QString, function);
        std::function<cv::Vec3f(float, float, float)> f = [](float r, float g, float b) { return cv::Vec3f(r, g, b); };
        if (function == "affine") f = [](float r, float g, float b) { return cv::Vec3f(0.5f * r + 0.2f, 0.3f * g + 0.1f * b, 0.9f * b); };
        if (function == "swap") f = [](float r, float g, float b) { return cv::Vec3f(b, r, g); };
        QTemporaryDir tmp;
        const fs::path path = fs::path(tmp.path().toStdString()) / "a.cube";
        writeText(path, cubeText(size, f));
        const Lut3d lut = readCubeLut(path.string());
        QCOMPARE(lut.size, size);
        QCOMPARE(lut.name, std::string("a"));
        const cv::Mat rgb = randomRgb(16, size);
        const cv::Mat out = lut.apply(rgb);
        double worst = 0;
        for (int y = 0; y < rgb.rows; ++y)
            for (int x = 0; x < rgb.cols; ++x) {
                const cv::Vec3f in = rgb.at<cv::Vec3f>(y, x), expected = f(in[0], in[1], in[2]);
                worst = std::max(worst, cv::norm(out.at<cv::Vec3f>(y, x) - expected, cv::NORM_INF));
            }
        QVERIFY2(worst < 1e-4, qPrintable(QString("worst %1").arg(worst)));
    }

    void cubeLutErrorsNameTheFileAndLine_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no size") << "0 0 0\n" << "before LUT_3D_SIZE";
        QTest::newRow("size too large") << "LUT_3D_SIZE 1000\n" << "2..256";
        QTest::newRow("too few entries") << "LUT_3D_SIZE 2\n0 0 0\n1 1 1\n" << "needs 8";
        QTest::newRow("not a number") << "LUT_3D_SIZE 2\n0 0 x\n" << ":2: expected three numbers";
        QTest::newRow("1D LUT") << "LUT_1D_SIZE 16\n" << "1D LUT";
        QTest::newRow("empty file") << "" << "no LUT_3D_SIZE";
    }
    void cubeLutErrorsNameTheFileAndLine() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const fs::path path = fs::path(tmp.path().toStdString()) / "bad.cube";
        writeText(path, text.toStdString());
        try {
            readCubeLut(path.string());
            QFAIL("accepted");
        } catch (const hz::Error& error) {
            QVERIFY2(QString(error.what()).contains(expected), error.what());
            QVERIFY(QString(error.what()).contains("bad.cube"));
        }
    }

    void lutCompositeTouchesOnlyTheForeground() {
        const Lut3d lut = tableLut(2, [](float r, float g, float b) { return cv::Vec3f(1.0f - r * 0.8f, g * 0.5f, 0.2f + 0.6f * b); });
        const cv::Mat rgb = randomRgb(24, 3);
        cv::Mat mask(24, 24, CV_32FC1, cv::Scalar(0));
        mask(cv::Rect(4, 4, 10, 10)).setTo(1.0);
        mask(cv::Rect(14, 4, 2, 10)).setTo(0.5);
        const cv::Mat composite = applyLutComposite(rgb, mask, lut, 0.8);
        const cv::Mat graded = lut.apply(rgb);
        for (int y = 0; y < 24; ++y)
            for (int x = 0; x < 24; ++x) {
                const cv::Vec3f in = rgb.at<cv::Vec3f>(y, x), out = composite.at<cv::Vec3f>(y, x);
                const float m = mask.at<float>(y, x);
                if (m == 0) QVERIFY(in == out);  // background bit for bit
                else QVERIFY(cv::norm(out - (in + 0.8f * m * (graded.at<cv::Vec3f>(y, x) - in)), cv::NORM_INF) < 1e-6);
            }
    }

    void lutSplitKeepsValidationLutsApart() {
        std::vector<Lut3d> luts(100);
        for (int i = 0; i < 100; ++i) luts[std::size_t(i)].name = std::to_string(i + 1);
        const auto train = lutSplit(luts, false), val = lutSplit(luts, true);
        QCOMPARE(int(train.size() + val.size()), 100);
        QVERIFY(val.size() >= 8 && val.size() <= 35);
        for (const auto& v : val)
            for (const auto& t : train) QVERIFY(v.name != t.name);
    }

    void imageMaskLayoutKeepsNearDuplicatesTogether() {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "mixed";
        fs::create_directories(dir / "image");
        fs::create_directories(dir / "mask");
        const std::vector<std::string> stems = {"airplane00_000000281693", "person03_000000281693", "blackswan_00000",
                                                "blackswan_00010", "d10091-20120914-152206", "d10091-20120915-101010",
                                                "horse001"};
        for (std::size_t i = 0; i < stems.size(); ++i) {
            cv::imwrite((dir / "image" / (stems[i] + ".jpg")).string(), syntheticPhoto(40, 30, int(i)));
            cv::imwrite((dir / "mask" / (stems[i] + ".png")).string(), centreMask(40, 30));
        }
        cv::imwrite((dir / "image" / "no_mask.jpg").string(), syntheticPhoto(40, 30, 9));
        TrainingData data;
        LoadOptions options;
        loadFolder(dir.string(), options, data);
        QCOMPARE(int(data.items.size()), int(stems.size()));
        QVERIFY(data.masklessPhotos.empty());  // not kept unless asked for
        const auto source = [&](int i) {
            for (const auto& item : data.items)
                if (item.name == "mixed/" + stems[std::size_t(i)]) return data.photoOf(item).sourceId;
            return std::string("(not loaded)");
        };
        QCOMPARE(source(0), source(1));          // COCO instances of one photo
        QCOMPARE(source(0), std::string("coco:000000281693"));
        QCOMPARE(source(2), source(3));          // frames of one video
        QCOMPARE(source(4), source(5));          // one time-lapse scene
        QVERIFY(source(0) != source(2) && source(2) != source(4) && source(6) != source(4));
    }

    void photosWithoutMasksBorrowOne() {
        QTemporaryDir tmp;
        const fs::path root(tmp.path().toStdString());
        writeGenericFolder(root / "masked", 4, 40);
        fs::create_directories(root / "plain" / "image");
        for (int i = 0; i < 3; ++i) cv::imwrite((root / "plain" / "image" / ("p" + std::to_string(i) + ".jpg")).string(), syntheticPhoto(50, 40, 20 + i));
        TrainingData data;
        LoadOptions options;
        QVERIFY_THROWS_EXCEPTION(hz::Error, loadFolder((root / "plain").string(), options, data));  // not asked for
        options.keepMasklessPhotos = true;
        loadFolder((root / "masked").string(), options, data);
        loadFolder((root / "plain").string(), options, data);
        QCOMPARE(int(data.masklessPhotos.size()), 3);
        QCOMPARE(int(data.items.size()), 4);
        QCOMPARE(addBorrowedMaskItems(data, 1), 3);
        QCOMPARE(int(data.items.size()), 7);
        for (int i = 4; i < 7; ++i) {
            const auto& item = data.items[std::size_t(i)];
            QCOMPARE(item.mask.size(), data.photoOf(item).bgr.size());
            QVERIFY(cv::countNonZero(item.mask) > 0);
        }
    }

    void bsdsObjectMasksBecomeItems() {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "bsds500";
        fs::create_directories(dir / "images" / "train");
        fs::create_directories(dir / "segs" / "train");
        fs::create_directories(dir / "object_masks");
        cv::imwrite((dir / "images" / "train" / "101.jpg").string(), syntheticPhoto(60, 40, 1));
        cv::Mat labels(40, 60, CV_16UC1, cv::Scalar(1));
        labels(cv::Rect(0, 0, 20, 40)).setTo(2);
        labels(cv::Rect(20, 0, 20, 40)).setTo(3);
        cv::imwrite((dir / "segs" / "train" / "101_0.png").string(), labels);
        cv::imwrite((dir / "object_masks" / "101.png").string(), centreMask(60, 40));
        TrainingData data;
        loadFolder(dir.string(), LoadOptions{}, data);
        bool found = false;
        for (const auto& item : data.items) found = found || item.name == "bsds500/101_object";
        QVERIFY(found);
        for (const auto& item : data.items) QCOMPARE(data.photoOf(item).sourceId, std::string("bsds500:101"));
    }

    void evalSetsRecordPerturbationsAndLuts() {
        QTemporaryDir tmp;
        const fs::path root(tmp.path().toStdString());
        writeGenericFolder(root / "photos", 5, 32);
        TrainingData data;
        loadFolder((root / "photos").string(), LoadOptions{}, data);
        std::vector<int> items{0, 1, 2, 3, 4};
        QCOMPARE(writeEvalSet(data, items, items, Family::SixFilter, 7, (root / "Six").string()), 5);
        std::ifstream csv(root / "Six" / kPerturbationsFile);
        std::string header, line;
        std::getline(csv, header);
        QCOMPARE(header, std::string("composite,temperature,brightness,contrast,saturation,highlight,shadow"));
        int rows = 0;
        while (std::getline(csv, line)) ++rows;
        QCOMPARE(rows, 5);
        // LUT family: needs LUTs; background of the composite equals the real photo.
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeEvalSet(data, items, items, Family::Lut, 7, (root / "LutNone").string()));
        const Lut3d warm =
            tableLut(2, [](float r, float g, float b) { return cv::Vec3f(0.2f + 0.8f * r, 0.1f + 0.7f * g, 0.6f * b); }, "warm");
        const std::vector<Lut3d> luts{warm};
        QCOMPARE(writeEvalSet(data, items, items, Family::Lut, 7, (root / "Lut").string(), &luts), 5);
        const cv::Mat composite = hz::loadImage((root / "Lut" / "composite_images" / "photos-photo0_1_1.png").string()).pixels;
        const cv::Mat real = hz::loadImage((root / "Lut" / "real_images" / "photos-photo0.png").string()).pixels;
        const cv::Mat mask = hz::loadMask((root / "Lut" / "masks" / "photos-photo0_1.png").string());
        QVERIFY(cv::countNonZero(cv::Mat(composite != real).reshape(1)) > 0);
        cv::Mat background = mask == 0;
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x)
                if (background.at<uchar>(y, x)) QVERIFY(composite.at<cv::Vec3b>(y, x) == real.at<cv::Vec3b>(y, x));
    }

    void filterR2SeesCollapse() {
        std::vector<EvalRow> rows(40);
        std::mt19937 rng(3);
        std::uniform_real_distribution<double> u(-0.4, 0.4);
        for (auto& row : rows) {
            std::array<double, hz::kFilterCount> r{};
            for (double& v : r) v = u(rng);
            row.perturbation = r;
            row.restoring = restoringArgs(r);
        }
        // Perfect predictions: R^2 = 1 for every filter.
        for (auto& row : rows) row.predicted = hz::FilterParams::fromArray(*row.restoring);
        for (double r2 : filterR2(rows)) QVERIFY(std::abs(r2 - 1.0) < 1e-9);
        // -r is not the truth for the gamma curves: Highlight and Shadow then fall short of 1.
        for (auto& row : rows) {
            const auto& r = *row.perturbation;
            row.predicted = hz::FilterParams::fromArray({-r[0], -r[1], -r[2], -r[3], -r[4], -r[5]});
        }
        const auto negated = filterR2(rows);
        QVERIFY(negated[4] < 0.99 && negated[5] < 0.99);
        QVERIFY(std::abs(negated[1] - 1.0) < 1e-9);
        // One answer for everything (the hedge): R^2 <= 0 for every filter.
        for (auto& row : rows) row.predicted = hz::FilterParams::fromArray({0.01, -0.1, 0.05, -0.4, 0.0, 0.02});
        for (double r2 : filterR2(rows)) QVERIFY(r2 <= 0.0);
        // The oracle's values are scored on their own: perfect there while the predictions hedge.
        for (auto& row : rows) row.oracleValues = hz::FilterParams::fromArray(*row.restoring);
        for (double r2 : filterR2(rows, &EvalRow::oracleValues)) QVERIFY(std::abs(r2 - 1.0) < 1e-9);
        for (double r2 : filterR2(rows)) QVERIFY(r2 <= 0.0);
        // Rows without restoring values are ignored; too few rows give no figure.
        rows.resize(1);
        QVERIFY(filterR2(rows).empty());
    }
};

QTEST_GUILESS_MAIN(TestTrainingSources)
#include "test_training_sources.moc"
