// The model-free parts of training: perturbations, losses, metrics, the Lab baseline, data
// layouts and batches.
#include <QTemporaryDir>
#include <QtTest>

#include "tests/training/training_fixtures.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>

#include "core/filters_torch.h"
#include "core/image_io.h"
#include "core/training/baseline_lab.h"
#include "core/training/batch.h"
#include "core/training/dataset.h"
#include "core/training/loss.h"
#include "core/training/lut.h"
#include "core/training/metrics.h"
#include "core/training/oracle.h"
#include "core/training/perturb.h"

namespace fs = std::filesystem;
using namespace hz::training::fixtures;
using namespace hz::training;

namespace {

torch::Tensor maskOfKind(const QString& kind, int n, int size) {
    if (kind == "all foreground") return torch::ones({n, 1, size, size});
    auto mask = torch::zeros({n, 1, size, size});
    if (kind == "hard half") mask.narrow(3, 0, size / 2).fill_(1.0);
    if (kind == "soft edge") {
        mask.narrow(3, 0, size / 2).fill_(1.0);
        mask.narrow(3, size / 2, 2).fill_(0.4);
    }
    return mask;
}

// Five 48-px photos with masks, loaded the way the trainer loads a --data folder.
TrainingData loadMiniFolder(const QTemporaryDir& tmp) {
    const fs::path dir = fs::path(tmp.path().toStdString()) / "mini";
    writeGenericFolder(dir, 5, 48);
    TrainingData data;
    loadFolder(dir.string(), LoadOptions{}, data);
    return data;
}

}  // namespace

class TestTrainingData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void sixFilterArgsAreReproducibleAndInRange() {
        std::mt19937 a(42), b(42), c(43);
        for (int round = 0; round < 50; ++round) {
            const auto first = drawSixFilterArgs(a);
            QVERIFY(first == drawSixFilterArgs(b));
            for (int i = 0; i < hz::kFilterCount; ++i) QVERIFY(std::abs(first[std::size_t(i)]) <= kPerturbationRanges[std::size_t(i)]);
        }
        QVERIFY(drawSixFilterArgs(a) != drawSixFilterArgs(c));
    }

    // The values the evaluation's R^2 and the argument loss take as the truth must undo the
    // perturbation they are derived from, filter by filter, and do better than -r where the
    // filter's statistics move (Temperature, Contrast).
    void restoringArgsUndoTheirPerturbation_data() {
        QTest::addColumn<int>("filter");
        QTest::addColumn<double>("perturbation");
        QTest::addColumn<double>("tolerance");
        const char* names[] = {"temperature", "brightness", "contrast", "saturation", "highlight", "shadow"};
        // Temperature cannot undo itself: a warm shift scales red up by 1.3 and blue down
        // by 0.81 here, and no cool shift scales them back by both 1/1.3 and 1/0.81, so its
        // inverse is only the nearest member of the family (about 0.2 for r = -0.24, max
        // error near 0.1). Contrast's floor() is a staircase. The rest invert to rounding.
        const double tolerances[] = {0.11, 1e-5, 3e-3, 1e-5, 1e-5, 1e-5};
        for (int f = 0; f < hz::kFilterCount; ++f)
            for (double sign : {-1.0, 1.0}) {
                const double r = sign * 0.8 * kPerturbationRanges[std::size_t(f)];
                QTest::newRow(qPrintable(QString("%1 %2").arg(names[f]).arg(r))) << f << r << tolerances[f];
            }
    }
    void restoringArgsUndoTheirPerturbation() {
        QFETCH(int, filter);
        QFETCH(double, perturbation);
        QFETCH(double, tolerance);
        torch::manual_seed(17);
        // Mid-range colours, so that no step clips and the inverse is exact where it can be.
        const auto photo = 0.3 + 0.2 * torch::rand({1, 3, 12, 12}, torch::kFloat64);
        const auto mask = torch::ones({1, 1, 12, 12}, torch::kFloat64);
        std::array<double, hz::kFilterCount> r{};
        r[std::size_t(filter)] = perturbation;
        const auto rTensor = torch::tensor(std::vector<double>(r.begin(), r.end()), torch::kFloat64).reshape({1, 6});
        const auto restoring = restoringArgsFor(photo, mask, rTensor);
        const auto byFormula = restoringArgs(r);
        const auto f = hz::Filter(filter);
        const auto perturbed = hz::torchfilters::apply(f, photo, torch::full({1}, perturbation, torch::kFloat64));
        QVERIFY((perturbed - photo).abs().max().item<double>() > 0.02);
        const auto restoredBy = [&](double x) {
            return hz::torchfilters::apply(f, perturbed, torch::full({1}, x, torch::kFloat64));
        };
        const auto maxError = [&](double x) { return (restoredBy(x) - photo).abs().max().item<double>(); };
        const auto meanSquaredError = [&](double x) { return (restoredBy(x) - photo).pow(2).mean().item<double>(); };
        const double searched = restoring[0][filter].item<double>();
        QVERIFY2(maxError(searched) < tolerance, qPrintable(QString("max error %1 at %2").arg(maxError(searched)).arg(searched)));
        // The search minimises the squared error, so it never does worse than the formula.
        QVERIFY(meanSquaredError(searched) <= meanSquaredError(byFormula[std::size_t(filter)]) + 1e-12);
        // The other five are identities, so their restoring value is 0.
        for (int i = 0; i < hz::kFilterCount; ++i)
            if (i != filter) QVERIFY(std::abs(restoring[0][i].item<double>()) < 1e-9);
        // The tensor form of the formula agrees with the scalar one.
        const auto asTensor = restoringArgs(rTensor);
        for (int i = 0; i < hz::kFilterCount; ++i)
            QVERIFY(std::abs(asTensor[0][i].item<double>() - byFormula[std::size_t(i)]) < 1e-12);
    }

    void imagesAndMasksOfEitherDepthAreScaledToUnit_data() {
        QTest::addColumn<int>("depth");
        QTest::newRow("8-bit") << CV_8U;
        QTest::newRow("16-bit") << CV_16U;
    }
    void imagesAndMasksOfEitherDepthAreScaledToUnit() {
        QFETCH(int, depth);
        const double full = depth == CV_8U ? 255.0 : 65535.0;
        cv::Mat bgr(2, 2, CV_MAKETYPE(depth, 3), cv::Scalar(0, full / 2, full));  // B 0, G half, R full
        cv::Mat mask(2, 2, depth, cv::Scalar(full));
        const auto image = imagesToTensor({bgr});
        const auto masks = masksToTensor({mask});
        QVERIFY(std::abs(image[0][0][1][1].item<double>() - 1.0) < 1e-6);  // R first: the network's order
        QVERIFY(std::abs(image[0][1][1][1].item<double>() - 0.5) < 0.01);
        QVERIFY(std::abs(image[0][2][1][1].item<double>()) < 1e-6);
        QVERIFY(masks.max().item<double>() <= 1.0 + 1e-6);
        QVERIFY(std::abs(masks[0][0][1][1].item<double>() - 1.0) < 1e-6);
    }

    // On a partial mask the statistics mix foreground and background, so Temperature's
    // restoring value is found by search and beats -r on the foreground error.
    void areaShrinkKeepsAspectAndMeans_data() {
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("maxSide");
        QTest::addColumn<int>("expectedHeight");
        QTest::addColumn<int>("expectedWidth");
        QTest::newRow("square halves") << 8 << 8 << 4 << 4 << 4;
        QTest::newRow("wide keeps aspect") << 6 << 12 << 4 << 2 << 4;
        QTest::newRow("tall keeps aspect") << 12 << 6 << 4 << 4 << 2;
        QTest::newRow("already fits") << 5 << 3 << 8 << 5 << 3;
    }
    void areaShrinkKeepsAspectAndMeans() {
        QFETCH(int, height);
        QFETCH(int, width);
        QFETCH(int, maxSide);
        QFETCH(int, expectedHeight);
        QFETCH(int, expectedWidth);
        torch::manual_seed(3);
        const auto images = torch::rand({2, 3, height, width}, torch::kFloat64);
        const auto small = areaShrinkToLongSide(images, maxSide);
        QCOMPARE(small.size(2), std::int64_t(expectedHeight));
        QCOMPARE(small.size(3), std::int64_t(expectedWidth));
        // Exact integer factors here, so area averaging keeps every channel's mean.
        const double meanGap = (small.mean({2, 3}) - images.mean({2, 3})).abs().max().item<double>();
        QVERIFY2(meanGap < 1e-12, qPrintable(QString::number(meanGap)));
    }

    void restoringTemperatureOnAPartialMaskBeatsTheNegation() {
        torch::manual_seed(23);
        const auto photo = 0.3 + 0.2 * torch::rand({1, 3, 16, 16}, torch::kFloat64);
        const auto mask = maskOfKind("hard half", 1, 16).to(torch::kFloat64);
        const auto r = torch::tensor({0.24, 0.0, 0.0, 0.0, 0.0, 0.0}, torch::kFloat64).reshape({1, 6});
        const SixFilterPair pair = makeSixFilterPair(photo, mask, r);
        const auto errorAt = [&](double x) {
            const auto out = hz::torchfilters::blend(
                hz::torchfilters::apply(hz::Filter::Temperature, pair.composite, torch::full({1}, x, torch::kFloat64)),
                pair.composite, mask);
            return ((out - pair.targets[0]).pow(2) * mask).sum().item<double>();
        };
        const double searched = restoringArgsFor(photo, mask, r)[0][0].item<double>();
        QVERIFY2(std::abs(searched + 0.24) > 1e-3, qPrintable(QString::number(searched)));
        QVERIFY(errorAt(searched) < errorAt(-0.24));
        QVERIFY(errorAt(searched) <= errorAt(searched + 0.01) && errorAt(searched) <= errorAt(searched - 0.01));
    }

    void argumentLossIsZeroOnlyForTheRestoringValues() {
        const auto restoring = torch::tensor({0.1f, -0.2f, 0.3f, -0.4f, 0.2f, -0.1f}).reshape({1, 6});
        QVERIFY(argumentLoss(restoring, restoring).item<double>() == 0.0);
        auto off = restoring.clone();
        off[0][3] = 0.0f;  // saturation 0.4 short, range 0.6
        QVERIFY(std::abs(argumentLoss(off, restoring).item<double>() - 0.4 / 0.6) < 1e-5);
    }

    void sixFilterPairBlendsOnlyForeground_data() {
        QTest::addColumn<QString>("maskKind");
        QTest::newRow("hard half") << "hard half";
        QTest::newRow("soft edge") << "soft edge";
        QTest::newRow("all foreground") << "all foreground";
    }
    void sixFilterPairBlendsOnlyForeground() {
        QFETCH(QString, maskKind);
        torch::manual_seed(3);
        const auto real = torch::rand({3, 3, 16, 16});
        const auto mask = maskOfKind(maskKind, 3, 16);
        std::mt19937 rng(5);
        std::vector<float> values;
        for (int i = 0; i < 3; ++i) {
            const auto r = drawSixFilterArgs(rng);
            values.insert(values.end(), r.begin(), r.end());
        }
        const auto args = torch::from_blob(values.data(), {3, 6}, torch::kFloat32).clone();
        const SixFilterPair pair = makeSixFilterPair(real, mask, args);
        QCOMPARE(int(pair.targets.size()), 6);
        QVERIFY(torch::equal(pair.targets[5], real));  // the last restore step's target is the real photo
        const auto background = (mask == 0).expand_as(real);
        for (const auto& image : pair.targets)
            QVERIFY(torch::equal(image.masked_select(background), real.masked_select(background)));
        QVERIFY(torch::equal(pair.composite.masked_select(background), real.masked_select(background)));
        // And the foreground did change.
        const auto foreground = (mask > 0.5).expand_as(real);
        QVERIFY((pair.composite - real).abs().masked_select(foreground).max().item<double>() > 1e-3);
    }

    void sixFilterPairIsReproducible() {
        const auto real = torch::rand({2, 3, 8, 8});
        const auto mask = maskOfKind("hard half", 2, 8);
        const auto args = torch::tensor({0.1f, -0.2f, 0.3f, -0.4f, 0.2f, -0.1f, -0.3f, 0.5f, -0.5f, 0.6f, -0.4f, 0.4f}).reshape({2, 6});
        QVERIFY(torch::equal(makeSixFilterPair(real, mask, args).composite, makeSixFilterPair(real, mask, args).composite));
    }

    void transferKeepsBackgroundAndIsReproducible() {
        cv::Mat rgb, reference;
        syntheticPhoto(24, 24, 1).convertTo(rgb, CV_32F, 1.0 / 255);
        syntheticPhoto(24, 24, 7).convertTo(reference, CV_32F, 1.0 / 255);
        cv::Mat mask;
        centreMask(24, 24).convertTo(mask, CV_32F, 1.0 / 255);
        const cv::Mat referenceMask = cv::Mat::ones(24, 24, CV_32F);
        for (std::uint32_t seed = 0; seed < 20; ++seed) {
            std::mt19937 a(seed), b(seed);
            const TransferRecipe recipe = drawTransferRecipe(a);
            QVERIFY(recipe.labTransfer || recipe.whiteBalance || recipe.toneCurve);
            const cv::Mat first = applyTransfer(rgb, mask, reference, referenceMask, recipe);
            const cv::Mat second = applyTransfer(rgb, mask, reference, referenceMask, drawTransferRecipe(b));
            QCOMPARE(cv::norm(first, second, cv::NORM_INF), 0.0);
            cv::Mat difference;
            cv::absdiff(first, rgb, difference);
            QCOMPARE(cv::norm(difference, cv::NORM_INF, mask == 0), 0.0);
        }
    }

    void stepLossIsZeroOnlyForEqualForeground_data() {
        QTest::addColumn<QString>("change");
        QTest::addColumn<bool>("expectZero");
        QTest::newRow("identical") << "none" << true;
        QTest::newRow("background differs") << "background" << true;
        QTest::newRow("foreground differs") << "foreground" << false;
    }
    void stepLossIsZeroOnlyForEqualForeground() {
        QFETCH(QString, change);
        QFETCH(bool, expectZero);
        const auto target = torch::rand({2, 3, 8, 8});
        const auto mask = maskOfKind("hard half", 2, 8);
        auto prediction = target.clone();
        if (change == "background") prediction.narrow(3, 4, 4).add_(0.3);
        if (change == "foreground") prediction.narrow(3, 0, 4).add_(0.3);
        const auto loss = maskedStepLoss(prediction, target, mask);
        QCOMPARE(loss.size(0), 2);
        if (expectZero) {
            QVERIFY(loss.abs().max().item<double>() < 1e-6);
        } else {
            // 3 channels x (sqrt(0.09 + 1e-6) - 1e-3 + 10 * 0.09) per foreground pixel.
            const double expected = 3.0 * (std::sqrt(0.09 + 1e-6) - 1e-3 + 0.9);
            QVERIFY(std::abs(loss[0].item<double>() - expected) < 1e-3);
        }
    }

    void dynamicLossGradientReachesTheArguments() {
        torch::manual_seed(11);
        const auto real = torch::rand({2, 3, 12, 12});
        const auto mask = maskOfKind("hard half", 2, 12);
        const auto perturbation = torch::tensor({0.2f, -0.3f, 0.3f, 0.4f, -0.2f, 0.3f, -0.1f, 0.2f, -0.3f, -0.5f, 0.3f, -0.2f}).reshape({2, 6});
        const SixFilterPair pair = makeSixFilterPair(real, mask, perturbation);
        auto args = torch::zeros({2, 6}, torch::requires_grad());
        const auto steps = hz::torchfilters::restoreSteps(pair.composite, args);
        const DynamicLoss loss = dynamicLoss(steps, pair.targets, mask);
        QVERIFY(loss.total.dim() == 0);
        QVERIFY(std::isfinite(loss.total.item<double>()) && loss.total.item<double>() > 0);
        QCOMPARE(int(loss.perStep.size()), 6);
        loss.total.backward();
        QVERIFY(args.grad().defined());
        QVERIFY(torch::isfinite(args.grad()).all().item<bool>());
        QVERIFY(args.grad().abs().sum().item<double>() > 0);
    }

    void metricsMatchHandComputedValues_data() {
        QTest::addColumn<int>("foregroundDelta");
        QTest::addColumn<int>("backgroundDelta");
        QTest::addColumn<double>("mse");
        QTest::addColumn<double>("fmse");
        QTest::addColumn<double>("psnr");
        // 2x2 image, left column foreground: 2 fg pixels, 2 bg pixels, 3 channels.
        QTest::newRow("identical") << 0 << 0 << 0.0 << 0.0 << kPsnrCap;
        QTest::newRow("foreground off by 20") << 20 << 0 << 200.0 << 400.0 << 10 * std::log10(65025.0 / 200.0);
        QTest::newRow("background off by 10") << 0 << 10 << 50.0 << 0.0 << 10 * std::log10(65025.0 / 50.0);
        QTest::newRow("both") << 20 << 10 << 250.0 << 400.0 << 10 * std::log10(65025.0 / 250.0);
    }
    void metricsMatchHandComputedValues() {
        QFETCH(int, foregroundDelta);
        QFETCH(int, backgroundDelta);
        QFETCH(double, mse);
        QFETCH(double, fmse);
        QFETCH(double, psnr);
        const cv::Mat reference(2, 2, CV_8UC3, cv::Scalar(100, 120, 140));
        cv::Mat result = reference.clone();
        result.col(0) += cv::Scalar::all(foregroundDelta);
        result.col(1) -= cv::Scalar::all(backgroundDelta);
        cv::Mat mask16(2, 2, CV_16UC1, cv::Scalar(0));
        mask16.col(0).setTo(40000);  // above half scale: foreground
        const ImageMetrics m = computeMetrics(result, reference, mask16);
        QCOMPARE(m.foregroundPixels, 2L);
        QVERIFY(std::abs(m.mse - mse) < 1e-9);
        QVERIFY(std::abs(m.fmse - fmse) < 1e-9);
        QVERIFY(std::abs(m.psnr - psnr) < 1e-9);
    }

    // The filters' ceiling (eval --oracle) must find values that undo a composite made by
    // the filters themselves: far below the composite's error, and about nothing to do on
    // a composite that is already the real photo.
    void everyFilterHasAGradientAtZero_data() {
        QTest::addColumn<int>("filter");
        for (int f = 0; f < hz::kFilterCount; ++f)
            QTest::newRow(hz::filterSpecs()[std::size_t(f)].key) << f;
    }
    // Fitted-argument targets and the filters' ceiling are fitted from zero by gradient
    // descent: a filter whose gradient vanishes there is never fitted at all.
    void everyFilterHasAGradientAtZero() {
        QFETCH(int, filter);
        const cv::Mat photo = syntheticPhoto(48, 40, 9);
        const auto image = imagesToTensor({photo}).to(torch::kFloat64);
        const auto x = torch::zeros({1}, torch::kFloat64).requires_grad_(true);
        const auto out = hz::torchfilters::apply(hz::Filter(filter), image, x);
        QVERIFY2(torch::allclose(out, image.clamp(0.0, 1.0), 0.0, 1e-5), "x = 0 must be the identity");
        // Weighted so that a shift between channels shows too (a plain sum can cancel).
        const auto weights = torch::arange(1, 4, torch::kFloat64).reshape({1, 3, 1, 1});
        (out * weights).sum().backward();
        QVERIFY2(std::abs(x.grad().item<double>()) > 1e-3, qPrintable(QString::number(x.grad().item<double>())));
    }

    void oracleFitUndoesAFilterComposite_data() {
        QTest::addColumn<QVector<double>>("perturbation");
        QTest::addColumn<double>("maxShareOfCompositeError");
        QTest::newRow("brightness") << QVector<double>{0, 0.4, 0, 0, 0, 0} << 0.02;
        QTest::newRow("saturation") << QVector<double>{0, 0, 0, -0.5, 0, 0} << 0.02;
        QTest::newRow("warm and dark") << QVector<double>{0.25, -0.3, 0, 0, 0, 0} << 0.15;
        // A fit starts at zero, where temperature once had no gradient and never moved.
        QTest::newRow("warm only") << QVector<double>{0.3, 0, 0, 0, 0, 0} << 0.05;
        QTest::newRow("cool only") << QVector<double>{-0.3, 0, 0, 0, 0, 0} << 0.05;
        QTest::newRow("all six") << QVector<double>{-0.2, 0.3, 0.3, 0.4, -0.3, 0.3} << 0.15;
        QTest::newRow("nothing to undo") << QVector<double>{0, 0, 0, 0, 0, 0} << 0.0;
    }
    void oracleFitUndoesAFilterComposite() {
        QFETCH(QVector<double>, perturbation);
        QFETCH(double, maxShareOfCompositeError);
        const cv::Mat real = syntheticPhoto(96, 80, 5);
        const cv::Mat mask = centreMask(96, 80);
        const auto args = torch::tensor(std::vector<double>(perturbation.begin(), perturbation.end()), torch::kFloat64).reshape({1, 6});
        const auto composite = tensorToBgr8(hz::torchfilters::harmonize(imagesToTensor({real}).to(torch::kFloat64),
                                                                       masksToTensor({mask}).to(torch::kFloat64), args)[0]);
        const hz::FilterParams fitted = fitFilterValues(composite, mask, real);
        const auto fittedArgs = hz::torchfilters::argsTensor(fitted, torch::kFloat64);
        const cv::Mat restored = tensorToBgr8(hz::torchfilters::harmonize(imagesToTensor({composite}).to(torch::kFloat64),
                                                                         masksToTensor({mask}).to(torch::kFloat64), fittedArgs)[0]);
        const double before = computeMetrics(composite, real, mask).fmse;
        const double after = computeMetrics(restored, real, mask).fmse;
        if (maxShareOfCompositeError == 0.0) {
            QVERIFY2(before == 0.0, "the composite should be the real photo");
            QVERIFY2(after < 0.5, qPrintable(QString("fMSE %1 on a composite with nothing to undo").arg(after)));
            for (const double value : fitted.toArray()) QVERIFY(std::abs(value) < 0.02);
            return;
        }
        QVERIFY(before > 20.0);
        QVERIFY2(after <= maxShareOfCompositeError * before,
                 qPrintable(QString("fMSE %1 -> %2").arg(before).arg(after)));
        // A start that is already right is kept, not walked away from.
        const hz::FilterParams fromFitted = fitFilterValues(composite, mask, real, {hz::FilterParams{}, fitted});
        const cv::Mat again = tensorToBgr8(hz::torchfilters::harmonize(imagesToTensor({composite}).to(torch::kFloat64),
                                                                      masksToTensor({mask}).to(torch::kFloat64),
                                                                      hz::torchfilters::argsTensor(fromFitted, torch::kFloat64))[0]);
        QVERIFY(computeMetrics(again, real, mask).fmse <= after * 1.05 + 0.5);
    }

    void metricsBinariseTheMaskAtHalf() {
        const cv::Mat reference(1, 2, CV_8UC3, cv::Scalar::all(0));
        const cv::Mat result(1, 2, CV_8UC3, cv::Scalar::all(6));
        cv::Mat mask(1, 2, CV_32FC1);
        mask.at<float>(0, 0) = 0.5f;   // counts
        mask.at<float>(0, 1) = 0.49f;  // does not
        const ImageMetrics m = computeMetrics(result, reference, mask);
        QCOMPARE(m.foregroundPixels, 1L);
        QCOMPARE(m.fmse, 36.0);
        QVERIFY_THROWS_EXCEPTION(hz::Error, computeMetrics(result, cv::Mat(2, 2, CV_8UC3), mask));
    }

    void labBaselineKeepsBackgroundAndMovesForeground() {
        cv::Mat image(32, 32, CV_8UC3, cv::Scalar(60, 140, 90));
        cv::Mat mask16(32, 32, CV_16UC1, cv::Scalar(0));
        cv::rectangle(image, cv::Rect(8, 8, 16, 16), cv::Scalar(200, 80, 220), cv::FILLED);
        cv::rectangle(mask16, cv::Rect(8, 8, 16, 16), cv::Scalar(65535), cv::FILLED);
        // Soft rim: partially blended, still not background.
        cv::rectangle(mask16, cv::Rect(7, 7, 18, 18), cv::Scalar(30000), 1);
        LabBaselineOptions full;
        full.strength = 1.0;
        const cv::Mat out = labBaseline(image, mask16, full);
        QCOMPARE(out.type(), image.type());
        cv::Mat difference;
        cv::absdiff(out, image, difference);
        QCOMPARE(cv::norm(difference, cv::NORM_INF, mask16 == 0), 0.0);
        const cv::Mat fg = mask16 == 65535;
        const cv::Scalar before = cv::mean(image, fg), after = cv::mean(out, fg), background = cv::mean(image, mask16 == 0);
        QVERIFY(cv::norm(after - background) < 0.5 * cv::norm(before - background));

        // The default half strength lands between the input and the full transfer.
        const cv::Scalar middle = cv::mean(labBaseline(image, mask16), fg);
        QVERIFY(cv::norm(middle - background) < cv::norm(before - background));
        QVERIFY(cv::norm(middle - background) > cv::norm(after - background));

        QVERIFY_THROWS_EXCEPTION(hz::Error, labBaseline(image, cv::Mat(32, 32, CV_8UC1)));
    }

    void stableHashAndSplitAreFixed() {
        // FNV-1a 64 of "a": a published test vector; the split must not change between builds.
        QCOMPARE(stableHash("a"), std::uint64_t(0xaf63dc4c8601ec8cull));
        int val = 0;
        for (int i = 0; i < 2000; ++i) val += isValidationSource("photo" + std::to_string(i)) ? 1 : 0;
        QVERIFY(val > 140 && val < 260);  // about 10%
        QCOMPARE(isValidationSource("x", 0), false);
        QCOMPARE(isValidationSource("x", 100), true);
    }

    void maskFromSegmentationCoversFiveToFiftyPercent() {
        cv::Mat labels(40, 40, CV_16UC1);
        for (int y = 0; y < 40; ++y)
            for (int x = 0; x < 40; ++x) labels.at<std::uint16_t>(y, x) = std::uint16_t(1 + (y / 10) * 4 + x / 10);  // 16 segments
        for (std::uint32_t seed = 0; seed < 20; ++seed) {
            std::mt19937 rng(seed);
            const cv::Mat mask = maskFromSegmentation(labels, rng);
            QVERIFY(!mask.empty());
            const double fraction = cv::countNonZero(mask) / 1600.0;
            QVERIFY2(fraction >= 0.05 && fraction <= 0.5, qPrintable(QString::number(fraction)));
        }
        std::mt19937 rng(1);
        QVERIFY(maskFromSegmentation(cv::Mat(10, 10, CV_16UC1, cv::Scalar(3)), rng).empty());
    }

    void genericLayoutLoadsAndSplitsBySource() {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "mini";
        writeGenericFolder(dir, 6, 40);
        LoadOptions options;
        options.maxShortSide = 20;
        TrainingData data;
        loadFolder(dir.string(), options, data);
        QCOMPARE(int(data.items.size()), 6);
        QCOMPARE(data.photos[0].bgr.size(), cv::Size(20, 20));  // downscaled
        QCOMPARE(data.items[0].mask.size(), cv::Size(20, 20));
        QCOMPARE(data.items[0].mask.type(), CV_8UC1);
        const auto train = splitItems(data, Split::Train), val = splitItems(data, Split::Val);
        QCOMPARE(int(train.size() + val.size()), 6);
        for (int index : val) QVERIFY(isValidationSource(data.photoOf(data.items[std::size_t(index)]).sourceId));

        QVERIFY_THROWS_EXCEPTION(hz::Error, loadFolder((dir / "nothing").string(), options, data));
        fs::create_directories(dir / "empty");
        QVERIFY_THROWS_EXCEPTION(hz::Error, loadFolder((dir / "empty").string(), options, data));
    }

    void iHarmony4ListingResolvesNamesWithUnderscores() {
        QTemporaryDir tmp;
        const fs::path subset = fs::path(tmp.path().toStdString()) / "HTest";
        for (const char* sub : {"composite_images", "masks", "real_images"}) fs::create_directories(subset / sub);
        const cv::Mat photo = syntheticPhoto(16, 16, 2);
        cv::imwrite((subset / "real_images" / "a_b_7.jpg").string(), photo);
        cv::imwrite((subset / "masks" / "a_b_7_1.png").string(), centreMask(16, 16));
        cv::imwrite((subset / "composite_images" / "a_b_7_1_2.jpg").string(), photo);
        cv::imwrite((subset / "composite_images" / "a_b_7_1_3.jpg").string(), photo);
        std::ofstream(subset / "HTest_test.txt") << "composite_images/a_b_7_1_3.jpg\n";

        auto triples = listIHarmony4(subset.string(), "", "test");
        QCOMPARE(int(triples.size()), 1);
        QCOMPARE(QString::fromStdString(triples[0].name), QString("a_b_7"));
        QCOMPARE(QString::fromStdString(fs::path(triples[0].mask).filename().string()), QString("a_b_7_1.png"));
        // From the parent folder, and without a list for "train": every composite.
        QCOMPARE(int(listIHarmony4(subset.parent_path().string(), "", "train").size()), 2);
        QVERIFY(looksLikeIHarmony4(subset.parent_path().string()));

        // A second subset reusing the same file names: each list resolves inside its own subset.
        const fs::path twin = subset.parent_path() / "HTwin";
        fs::copy(subset, twin, fs::copy_options::recursive);
        fs::remove(twin / "HTest_test.txt");
        std::ofstream(twin / "HTwin_test.txt") << "composite_images/a_b_7_1_3.jpg\n";
        const auto both = listIHarmony4(subset.parent_path().string(), "", "test");
        QCOMPARE(int(both.size()), 2);
        QCOMPARE(QString::fromStdString(both[0].subset), QString("HTest"));
        QCOMPARE(QString::fromStdString(both[1].subset), QString("HTwin"));
        QVERIFY(both[1].composite.find("HTwin") != std::string::npos);

        std::ofstream(subset / "bad.txt") << "composite_images/missing_1_1.jpg\n";
        QVERIFY_THROWS_EXCEPTION(hz::Error, listIHarmony4(subset.string(), (subset / "bad.txt").string(), "test"));
    }

    void trainingBatchHasTheDocumentedShape() {
        QTemporaryDir tmp;
        const TrainingData data = loadMiniFolder(tmp);
        const auto pool = splitItems(data, Split::All);
        BatchConfig config;
        config.size = 32;
        std::mt19937 a(9), b(9);
        const Batch batch = makeTrainingBatch(data, pool, 6, config, a);
        QCOMPARE(batch.sixFilterCount, 3);
        QCOMPARE(batch.composite.sizes().vec(), (std::vector<std::int64_t>{6, 3, 32, 32}));
        QCOMPARE(batch.real.sizes().vec(), (std::vector<std::int64_t>{6, 3, 32, 32}));
        QCOMPARE(batch.mask.sizes().vec(), (std::vector<std::int64_t>{6, 1, 32, 32}));
        QCOMPARE(int(batch.targets.size()), 6);
        QCOMPARE(batch.targets[0].size(0), 3);
        QVERIFY(batch.composite.min().item<double>() >= 0 && batch.composite.max().item<double>() <= 1);
        // Same seed, same batch.
        const Batch again = makeTrainingBatch(data, pool, 6, config, b);
        QVERIFY(torch::equal(batch.composite, again.composite));
        QVERIFY(torch::equal(batch.mask, again.mask));

        const ValidationSet first = makeValidationSet(data, pool, Family::Transfer, 24);
        const ValidationSet second = makeValidationSet(data, pool, Family::Transfer, 24);
        QCOMPARE(first.size(), std::int64_t(pool.size()));
        QVERIFY(torch::equal(first.composite, second.composite));
        QVERIFY(!torch::equal(first.composite, first.real));
    }

    // Each sample says which family made it (train-head reports and weights LUT samples apart).
    void trainingBatchRecordsEachSamplesFamily_data() {
        QTest::addColumn<bool>("withLuts");
        QTest::addColumn<double>("lutProbability");
        QTest::addColumn<int>("expectedLuts");  // of the 10 other-half samples; -1: some but not all
        QTest::newRow("no LUTs given") << false << 1.0 << 0;
        QTest::newRow("LUT probability 0") << true << 0.0 << 0;
        QTest::newRow("LUT probability 1") << true << 1.0 << 10;
        QTest::newRow("LUT probability 0.5") << true << 0.5 << -1;
    }
    void trainingBatchRecordsEachSamplesFamily() {
        QFETCH(bool, withLuts);
        QFETCH(double, lutProbability);
        QFETCH(int, expectedLuts);
        QTemporaryDir tmp;
        const TrainingData data = loadMiniFolder(tmp);
        const auto pool = splitItems(data, Split::All);
        const Lut3d warm =
            tableLut(2, [](float r, float g, float b) { return cv::Vec3f(0.1f + 0.9f * r, 0.05f + 0.8f * g, 0.7f * b); });
        const std::vector<Lut3d> luts{warm};
        BatchConfig config;
        config.size = 32;
        config.luts = withLuts ? &luts : nullptr;
        config.lutProbability = lutProbability;
        config.pairProbability = 0.0;  // real pairs count as transfer
        std::mt19937 rng(4);
        const Batch batch = makeTrainingBatch(data, pool, 20, config, rng);
        QCOMPARE(int(batch.families.size()), 20);
        int lutSamples = 0;
        for (int i = 0; i < 20; ++i) {
            const Family family = batch.families[std::size_t(i)];
            if (i < batch.sixFilterCount) QCOMPARE(family, Family::SixFilter);
            else QVERIFY(family != Family::SixFilter);
            lutSamples += family == Family::Lut;
        }
        if (expectedLuts >= 0) QCOMPARE(lutSamples, expectedLuts);
        else QVERIFY2(lutSamples > 0 && lutSamples < 10, qPrintable(QString("%1 LUT samples of 10").arg(lutSamples)));
    }

    // --mild-share: with every sample mild, a half's composites sit on average much closer to
    // their photos than at full strength, and the background is still the photo bit for bit.
    void mildSamplesAreCloserToTheirPhotos_data() {
        QTest::addColumn<bool>("sixFilterHalf");
        QTest::newRow("six-filter half") << true;
        QTest::newRow("other half") << false;
    }
    void mildSamplesAreCloserToTheirPhotos() {
        QFETCH(bool, sixFilterHalf);
        QTemporaryDir tmp;
        const TrainingData data = loadMiniFolder(tmp);
        const auto pool = splitItems(data, Split::All);
        const int batchSize = 48, half = batchSize / 2;
        const auto foregroundChange = [&](double mildProbability) {
            BatchConfig config;
            config.size = 32;
            config.mildProbability = mildProbability;
            std::mt19937 rng(12);
            const Batch batch = makeTrainingBatch(data, pool, batchSize, config, rng);
            const auto part = [&](const torch::Tensor& t) { return t.narrow(0, sixFilterHalf ? 0 : half, half); };
            const torch::Tensor difference = (part(batch.composite) - part(batch.real)).abs();
            const torch::Tensor background = (part(batch.mask) == 0).expand_as(difference);
            if (difference.masked_select(background).max().item<float>() != 0.0f) return -1.0;  // background touched
            return (difference * part(batch.mask)).sum().item<double>() / part(batch.mask).sum().item<double>();
        };
        const double full = foregroundChange(0.0), mild = foregroundChange(1.0);
        QVERIFY2(full > 0 && mild >= 0, "the background must equal the photo");
        QVERIFY2(mild < 0.75 * full, qPrintable(QString("mean foreground change %1 (full) against %2 (mild)").arg(full).arg(mild)));
    }

    // --fit-arg-weight (other half) and --six-fit-arg-weight (six-filter half): each carries
    // the filters' best values for its samples, only when asked for, and they bring its
    // composites closer to the real photos than doing nothing; the fit is deterministic, so a
    // resumed run sees the same batch.
    void halvesCarryFittedValues_data() {
        QTest::addColumn<bool>("sixFilterHalf");
        QTest::newRow("other half") << false;
        QTest::newRow("six-filter half") << true;
    }
    void halvesCarryFittedValues() {
        QFETCH(bool, sixFilterHalf);
        QTemporaryDir tmp;
        const TrainingData data = loadMiniFolder(tmp);
        const auto pool = splitItems(data, Split::All);
        BatchConfig config;
        config.size = 32;
        (sixFilterHalf ? config.sixFitSide : config.otherFitSide) = 24;
        const auto fittedOf = [&](const Batch& b) { return sixFilterHalf ? b.sixFitted : b.otherFitted; };
        const auto unaskedOf = [&](const Batch& b) { return sixFilterHalf ? b.otherFitted : b.sixFitted; };
        std::mt19937 a(4), b(4);
        const Batch batch = makeTrainingBatch(data, pool, 6, config, a);
        QCOMPARE(fittedOf(batch).sizes().vec(), (std::vector<std::int64_t>{3, 6}));
        QVERIFY(!unaskedOf(batch).defined());
        QVERIFY(fittedOf(batch).abs().max().item<double>() <= 1.0);
        const auto half = [&](const torch::Tensor& t) { return t.narrow(0, sixFilterHalf ? 0 : 3, 3); };
        const auto fitted = hz::torchfilters::harmonize(half(batch.composite), half(batch.mask), fittedOf(batch));
        const double before = finalStepLoss(half(batch.composite), half(batch.real), half(batch.mask)).item<double>();
        const double after = finalStepLoss(fitted, half(batch.real), half(batch.mask)).item<double>();
        QVERIFY2(after < 0.5 * before, qPrintable(QString("final-step loss %1 -> %2").arg(before).arg(after)));
        const Batch again = makeTrainingBatch(data, pool, 6, config, b);
        QVERIFY(torch::equal(fittedOf(batch), fittedOf(again)));
        config.sixFitSide = config.otherFitSide = 0;
        std::mt19937 c(4);
        QVERIFY(!fittedOf(makeTrainingBatch(data, pool, 6, config, c)).defined());
    }
};

QTEST_GUILESS_MAIN(TestTrainingData)
#include "test_training_data.moc"
