// The network's architecture (spec section 3): size, shapes, modes and the folded copy.
#include <QtTest>

#include <torch/torch.h>

#include "core/model/network.h"
#include "tests/model/random_model.h"

using namespace hz;

namespace {

// EfficientNet-B0 arithmetic written out independently of network.cpp.
std::int64_t expectedParameterCount() {
    const auto convBn = [](std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t groups) {
        return in / groups * out * k * k + 2 * out;  // conv without bias + BN gamma/beta
    };
    std::int64_t count = 2 * convBn(4, 16, 3, 1);  // two stems
    struct Stage { std::int64_t e, k, s, out, n; };
    const Stage stages[] = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                            {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
    std::int64_t in = 32;
    for (const auto& stage : stages) {
        for (std::int64_t r = 0; r < stage.n; ++r) {
            const std::int64_t mid = in * stage.e, squeezed = std::max<std::int64_t>(1, in / 4);
            if (stage.e != 1) count += convBn(in, mid, 1, 1);
            count += convBn(mid, mid, stage.k, mid);
            count += mid * squeezed + squeezed + squeezed * mid + mid;  // SE convs with bias
            count += convBn(mid, stage.out, 1, 1);
            in = stage.out;
        }
    }
    count += convBn(320, 1280, 1, 1);
    count += 2 * (1280 * 160 + 160) + 6 * (320 * 160 + 160) + 6 * (160 + 1);  // W_f, W_g, A_i, B_i
    return count;
}

}  // namespace

class TestNetwork : public QObject {
    Q_OBJECT

    HarmonizerNet calibrated_{nullptr};  // random weights, BatchNorm statistics estimated, eval mode

private Q_SLOTS:
    void initTestCase() {
        // One thread: with two, OpenMP workers spinning against a parallel ctest make every pass many times slower.
        torch::set_num_threads(1);
        calibrated_ = test::makeRandomNet(8);
    }

    void parameterCountMatchesTheSpec() {
        HarmonizerNet net;
        const std::int64_t expected = expectedParameterCount();
        QCOMPARE(net->parameterCount(), expected);
        // Spec: "about 4.73 M parameters".
        QVERIFY(net->parameterCount() > 4'600'000 && net->parameterCount() < 4'850'000);
        QVERIFY(std::abs(double(net->parameterCount()) - 4.73e6) < 0.01 * 4.73e6);
    }

    void outputShape_data() {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("featureSide");
        QTest::newRow("one at 256") << 1 << 256 << 8;
        QTest::newRow("two at 256") << 2 << 256 << 8;
        QTest::newRow("three at 64") << 3 << 64 << 2;
        QTest::newRow("one at 96 (not a multiple of 32)") << 1 << 96 << 3;
    }
    void outputShape() {
        QFETCH(int, batch);
        QFETCH(int, size);
        QFETCH(int, featureSide);
        HarmonizerNet net;
        net->eval();
        torch::NoGradGuard noGrad;
        const auto image = torch::rand({batch, 3, size, size});
        const auto mask = torch::ones({batch, 1, size, size});
        const auto features = net->features(image, mask);
        QCOMPARE(features.sizes().vec(), (std::vector<std::int64_t>{batch, 1280, featureSide, featureSide}));
        const auto output = net->forward(image, mask);
        QCOMPARE(output.sizes().vec(), (std::vector<std::int64_t>{batch, 6}));
    }

    void rejectsMismatchedInputs() {
        HarmonizerNet net;
        net->eval();
        torch::NoGradGuard noGrad;
        QVERIFY_THROWS_EXCEPTION(c10::Error, net->forward(torch::rand({1, 4, 64, 64}), torch::ones({1, 1, 64, 64})));
        QVERIFY_THROWS_EXCEPTION(c10::Error, net->forward(torch::rand({1, 3, 64, 64}), torch::ones({1, 1, 32, 32})));
    }

    void freshNetworkPredictsNearIdentity() {
        torch::manual_seed(3);
        HarmonizerNet net;
        const auto [image, mask] = test::imageLikeBatch(4, 96);
        recalibrateBatchNorm(net, image, mask);
        net->eval();
        torch::NoGradGuard noGrad;
        const auto output = net->forward(image, mask);
        QVERIFY2(output.abs().max().item<double>() < 0.05, "B_i start small so the first outputs are near 0");
        QVERIFY2(output.abs().max().item<double>() > 0, "but not exactly zero (gradients must flow)");
    }

    void evalIsDeterministicTrainingIsNot() {
        torch::manual_seed(5);
        HarmonizerNet net;
        const auto [image, mask] = test::imageLikeBatch(4, 64);
        torch::NoGradGuard noGrad;
        net->eval();
        QVERIFY(torch::equal(net->forward(image, mask), net->forward(image, mask)));
        // Training mode: drop-connect drops residual branches at random, so two passes differ.
        net->train();
        QVERIFY(!torch::equal(net->forward(image, mask), net->forward(image, mask)));
        QVERIFY(net->is_training());
        QVERIFY(net->blocks.back()->dropConnectRate > 0.15 && net->blocks.back()->dropConnectRate <= 0.2);
        QCOMPARE(net->blocks.front()->dropConnectRate, 0.0);
    }

    void gradientsReachEveryParameter() {
        torch::manual_seed(6);
        HarmonizerNet net;
        net->train();
        const auto [image, mask] = test::imageLikeBatch(2, 64);
        net->forward(image, mask).pow(2).sum().backward();
        for (const auto& item : net->named_parameters()) {
            QVERIFY2(item.value().grad().defined(), item.key().c_str());
            QVERIFY2(item.value().grad().abs().sum().item<double>() > 0, item.key().c_str());
        }
    }

    void inputAndMaskBothMatter() {
        torch::NoGradGuard noGrad;
        const auto [image, mask] = test::imageLikeBatch(1, 256);
        const auto base = calibrated_->forward(image, mask);
        QVERIFY((calibrated_->forward(image.flip({1}), mask) - base).abs().max().item<double>() > 1e-2);  // RGB -> BGR
        QVERIFY((calibrated_->forward(image, 1 - mask) - base).abs().max().item<double>() > 1e-2);
    }

    void foldedNetworkMatchesEvalMode_data() {
        QTest::addColumn<bool>("channelsLast");
        QTest::newRow("contiguous") << false;
        QTest::newRow("channels last") << true;
    }
    void foldedNetworkMatchesEvalMode() {
        QFETCH(bool, channelsLast);
        const auto [image, mask] = test::imageLikeBatch(2, 256);
        c10::InferenceMode inference;
        const auto expected = calibrated_->forward(image, mask);
        const FoldedHarmonizerNet folded(calibrated_, torch::kCPU, channelsLast);
        const auto actual = folded.forward(image, mask);
        QCOMPARE(actual.sizes(), expected.sizes());
        const double magnitude = expected.abs().max().item<double>();
        const double error = (actual - expected).abs().max().item<double>();
        QVERIFY2(error < 1e-4 * std::max(1.0, magnitude), qPrintable(QString("max difference %1").arg(error)));
        QVERIFY(magnitude > 0.05);  // the comparison has something to compare
    }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "test_network.moc"
