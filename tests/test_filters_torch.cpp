// The differentiable filters: the spec's test vector, identities, and autograd against
// finite differences (float64).
#include <QtTest>

#include <torch/torch.h>

#include "core/filters_torch.h"

using namespace hz;
namespace tf = hz::torchfilters;

namespace {

torch::Tensor randomImages(int n, int h, int w, std::uint64_t seed) {
    torch::manual_seed(seed);
    // Keep away from 0 and 1 where the clamps cut the gradient to zero.
    return torch::rand({n, 3, h, w}, torch::kFloat64) * 0.8 + 0.1;
}

}  // namespace

class TestFiltersTorch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void specTestVector() {
        const auto pixel = torch::tensor({0.2, 0.4, 0.6}, torch::kFloat64).reshape({1, 3, 1, 1});
        const auto args = torch::tensor({0.1, -0.2, 0.3, -0.4, 0.2, -0.1}, torch::kFloat64).reshape({1, 6});
        const auto mask = torch::ones({1, 1, 1, 1}, torch::kFloat64);
        const auto out = tf::harmonize(pixel, mask, args).flatten();
        QVERIFY(std::abs(out[0].item<double>() - 0.227464) < 1e-6);
        QVERIFY(std::abs(out[1].item<double>() - 0.340025) < 1e-6);
        QVERIFY(std::abs(out[2].item<double>() - 0.479282) < 1e-6);
    }

    void zeroIsIdentity_data() {
        QTest::addColumn<int>("filter");
        for (const auto& spec : filterSpecs()) QTest::newRow(spec.key) << int(spec.filter);
    }
    void zeroIsIdentity() {
        QFETCH(int, filter);
        const auto images = randomImages(3, 9, 7, 11);
        const auto out = tf::apply(Filter(filter), images, torch::zeros({3}, torch::kFloat64));
        // As written, x = 0 leaves eps traces: brightness gains 1/(1 + 1e-6), saturation
        // k = 1/(1 + 1e-6) - 1, the pow curves move values by 1e-9. Far below one 16-bit level.
        QVERIFY(torch::allclose(out, images, 0, 2e-6));
    }

    void positiveMeansMore_data() {
        QTest::addColumn<int>("filter");
        QTest::addColumn<double>("x");
        for (const auto& spec : filterSpecs()) {
            QTest::newRow((std::string(spec.key) + " +0.5").c_str()) << int(spec.filter) << 0.5;
            QTest::newRow((std::string(spec.key) + " -0.5").c_str()) << int(spec.filter) << -0.5;
        }
    }
    void positiveMeansMore() {
        QFETCH(int, filter);
        QFETCH(double, x);
        const auto images = randomImages(1, 16, 16, 5) * 0.6 + 0.2;
        const auto out = tf::apply(Filter(filter), images, torch::full({1}, x, torch::kFloat64));
        const double sign = x > 0 ? 1 : -1;
        auto measure = [&](const torch::Tensor& t) -> double {
            switch (Filter(filter)) {
                case Filter::Temperature: return (t[0][0].mean() - t[0][2].mean()).item<double>();  // warmer: red - blue
                case Filter::Brightness:
                case Filter::Highlight:
                case Filter::Shadow: return t.mean().item<double>();
                case Filter::Contrast: return t.std().item<double>();
                case Filter::Saturation:
                    return (std::get<0>(t.max(1)) - std::get<0>(t.min(1))).mean().item<double>();
            }
            return 0;
        };
        QVERIFY(sign * (measure(out) - measure(images)) > 0);
    }

    void statisticsArePerSample() {
        const auto a = randomImages(1, 8, 8, 1);
        const auto b = randomImages(1, 8, 8, 2) * 0.3;
        const auto args = torch::tensor({{0.3, 0.2, 0.5, 0.4, -0.3, 0.2}, {-0.2, 0.1, -0.4, 0.6, 0.2, -0.3}},
                                        torch::kFloat64);
        const auto batched = tf::restoreSteps(torch::cat({a, b}), args).back();
        const auto alone = tf::restoreSteps(b, args.slice(0, 1, 2)).back();
        QVERIFY(torch::allclose(batched.slice(0, 1, 2), alone, 0, 1e-12));
    }

    void backgroundUntouchedByBlend() {
        const auto images = randomImages(2, 6, 6, 3);
        auto mask = torch::zeros({2, 1, 6, 6}, torch::kFloat64);
        mask.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 3)}, 1.0);
        const auto args = torch::full({2, 6}, 0.4, torch::kFloat64);
        const auto out = tf::harmonize(images, mask, args);
        const auto background = mask == 0;
        QVERIFY(torch::equal(out.masked_select(background.expand_as(out)), images.masked_select(background.expand_as(out))));
    }

    void gradientsMatchFiniteDifferences_data() {
        QTest::addColumn<int>("filter");
        QTest::addColumn<double>("x");
        for (const auto& spec : filterSpecs()) {
            if (spec.filter == Filter::Contrast) continue;  // straight-through: its own test
            for (double x : {-0.6, -0.2, 0.3, 0.7})
                QTest::newRow((std::string(spec.key) + " " + std::to_string(x)).c_str()) << int(spec.filter) << x;
        }
    }
    void gradientsMatchFiniteDifferences() {
        QFETCH(int, filter);
        QFETCH(double, x);
        // Moderate values so no clamp is active; loss = weighted sum so every pixel matters.
        const auto images = (randomImages(1, 5, 4, 7) * 0.5 + 0.25);
        const auto weights = torch::rand_like(images);
        auto arg = torch::full({1}, x, torch::dtype(torch::kFloat64).requires_grad(true));
        auto image = images.clone().requires_grad_(true);
        auto loss = (tf::apply(Filter(filter), image, arg) * weights).sum();
        loss.backward();
        const double h = 1e-6;
        auto lossAt = [&](const torch::Tensor& img, double value) {
            return (tf::apply(Filter(filter), img, torch::full({1}, value, torch::kFloat64)) * weights).sum().item<double>();
        };
        const double numericArg = (lossAt(images, x + h) - lossAt(images, x - h)) / (2 * h);
        QVERIFY2(std::abs(numericArg - arg.grad().item<double>()) < 1e-5 * std::max(1.0, std::abs(numericArg)),
                 qPrintable(QString("d/dx numeric %1 autograd %2").arg(numericArg).arg(arg.grad().item<double>())));
        // A few pixels of the image gradient.
        for (int index : {0, 7, 23, 41, 59}) {
            auto plus = images.clone();
            auto minus = images.clone();
            plus.view(-1)[index] += h;
            minus.view(-1)[index] -= h;
            const double numeric = (lossAt(plus, x) - lossAt(minus, x)) / (2 * h);
            const double analytic = image.grad().view(-1)[index].item<double>();
            QVERIFY2(std::abs(numeric - analytic) < 1e-5 * std::max(1.0, std::abs(numeric)),
                     qPrintable(QString("pixel %1: numeric %2 autograd %3").arg(index).arg(numeric).arg(analytic)));
        }
    }

    void contrastUsesContinuousGradient() {
        const auto images = randomImages(1, 5, 5, 9) * 0.2 + 0.4;
        for (double x : {0.3, -0.3}) {
            auto arg = torch::full({1}, x, torch::dtype(torch::kFloat64).requires_grad(true));
            const auto out = tf::contrast(images, arg);
            // Forward uses floor(255 x) as written.
            const double gain = x > 0 ? 255.0 / (256.0 - std::floor(255.0 * x)) - 1.0 : x;
            const auto mean = images.mean();
            QVERIFY(torch::allclose(out, (images + (images - mean) * gain).clamp(0, 1), 0, 1e-12));
            const auto weights = torch::linspace(0, 1, images.numel(), torch::kFloat64).reshape(images.sizes());
            (out * weights).sum().backward();
            // d/dx of sum(w (C - t) g(x)) = sum(w (C - t)) g'(x), with g' of the continuous form.
            const double slope = x > 0 ? 255.0 * 255.0 / std::pow(256.0 - 255.0 * x, 2) : 1.0;
            const double expected = (weights * (images - mean)).sum().item<double>() * slope;
            QVERIFY(std::abs(arg.grad().item<double>() - expected) < 1e-9);
            QVERIFY(std::abs(expected) > 1e-3);
        }
    }

    void argumentsAreClamped() {
        const auto images = randomImages(1, 4, 4, 4);
        const auto over = tf::apply(Filter::Brightness, images, torch::full({1}, -3.0, torch::kFloat64));
        const auto atLimit = tf::apply(Filter::Brightness, images, torch::full({1}, -1.0, torch::kFloat64));
        QVERIFY(torch::equal(over, atLimit));
    }
};

QTEST_APPLESS_MAIN(TestFiltersTorch)
#include "test_filters_torch.moc"
