// The temporal smoothing maths (spec section 5): the time constant reproduces the reference's
// 0.96 at 25 fps, means the same decay per second at any frame rate, and 0 turns it off.
#include <QtTest>

#include <cmath>
#include <random>

#include "core/image_io.h"
#include "core/video/param_smoother.h"

using hz::FilterParams;
using hz::ParamSmoother;

namespace {

FilterParams uniform(double value) {
    FilterParams p;
    for (const auto& spec : hz::filterSpecs()) p.*(spec.field) = value;
    return p;
}

}  // namespace

class TestParamSmoother : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void weight_data() {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<double>("fps");
        QTest::addColumn<double>("expected");
        const double tau = hz::defaultSmoothingSeconds();
        QTest::newRow("default at 25 fps is the reference's 0.96") << tau << 25.0 << 0.96;
        QTest::newRow("default at 50 fps: two steps make one 25 fps step") << tau << 50.0 << std::sqrt(0.96);
        QTest::newRow("default at 12.5 fps: one step makes two 25 fps steps") << tau << 12.5 << 0.96 * 0.96;
        QTest::newRow("one second at 30 fps") << 1.0 << 30.0 << std::exp(-1.0 / 30.0);
        QTest::newRow("zero is off") << 0.0 << 25.0 << 0.0;
        QTest::newRow("zero is off at any rate") << 0.0 << 59.94 << 0.0;
    }
    void weight() {
        QFETCH(double, seconds);
        QFETCH(double, fps);
        QFETCH(double, expected);
        QVERIFY2(std::abs(hz::smoothingWeight(seconds, fps) - expected) < 1e-12,
                 qPrintable(QString::number(hz::smoothingWeight(seconds, fps), 'g', 17)));
    }

    void defaultTimeConstantIsAboutOneSecond() {
        // -1 / (25 ln 0.96) = 0.97986... s
        QVERIFY(std::abs(hz::defaultSmoothingSeconds() - 0.979864) < 1e-6);
    }

    // After one second of a step from 0 to 1, the smoothed value has covered the same
    // fraction 1 - exp(-1 / tau) whatever the frame rate.
    void sameDecayPerSecond_data() {
        QTest::addColumn<int>("fps");
        QTest::newRow("24 fps") << 24;
        QTest::newRow("25 fps") << 25;
        QTest::newRow("30 fps") << 30;
        QTest::newRow("50 fps") << 50;
        QTest::newRow("120 fps") << 120;
    }
    void sameDecayPerSecond() {
        QFETCH(int, fps);
        const double tau = hz::defaultSmoothingSeconds();
        ParamSmoother smoother(tau, fps);
        smoother.update(uniform(0.0));
        FilterParams value;
        for (int i = 0; i < fps; ++i) value = smoother.update(uniform(1.0));
        const double expected = 1.0 - std::exp(-1.0 / tau);  // = 1 - 0.96^25
        QVERIFY2(std::abs(value.brightness - expected) < 1e-9, qPrintable(QString::number(value.brightness, 'g', 12)));
        QVERIFY(std::abs(expected - (1.0 - std::pow(0.96, 25))) < 1e-12);
        for (const auto& spec : hz::filterSpecs()) QCOMPARE(value.*(spec.field), value.brightness);
    }

    // At 25 fps with the default, the output is exactly the reference's recurrence.
    void matchesReferenceRecurrenceAt25fps() {
        ParamSmoother smoother(hz::defaultSmoothingSeconds(), 25.0);
        std::mt19937 rng(5);
        std::uniform_real_distribution<double> dist(-1.0, 1.0);
        double reference = 0;
        for (int t = 0; t < 200; ++t) {
            const double prediction = dist(rng);
            reference = t == 0 ? prediction : 0.96 * reference + 0.04 * prediction;
            FilterParams target = uniform(0.0);
            target.contrast = prediction;
            const FilterParams out = smoother.update(target);
            QVERIFY2(std::abs(out.contrast - reference) < 1e-12, qPrintable(QString("frame %1").arg(t)));
            QCOMPARE(out.brightness, 0.0);
        }
    }

    void firstUpdateIsTheFirstPrediction() {
        ParamSmoother smoother(5.0, 25.0);
        QVERIFY(!smoother.initialised());
        FilterParams first;
        first.temperature = 0.4;
        first.shadow = -0.7;
        QCOMPARE(smoother.update(first), first);
        QVERIFY(smoother.initialised());
        // The second update moves only a little toward the new target.
        const FilterParams second = smoother.update(uniform(0.0));
        QVERIFY(second.temperature > 0.39 && second.temperature < 0.4);
        smoother.reset();
        QCOMPARE(smoother.update(uniform(0.25)), uniform(0.25));
    }

    void zeroIsRaw() {
        ParamSmoother smoother(0.0, 25.0);
        std::mt19937 rng(9);
        std::uniform_real_distribution<double> dist(-1.0, 1.0);
        for (int t = 0; t < 50; ++t) {
            FilterParams target;
            for (const auto& spec : hz::filterSpecs()) target.*(spec.field) = dist(rng);
            QCOMPARE(smoother.update(target), target);
        }
    }

    void invalidArgumentsAreErrors_data() {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<double>("fps");
        QTest::newRow("negative time constant") << -1.0 << 25.0;
        QTest::newRow("zero fps") << 1.0 << 0.0;
        QTest::newRow("negative fps") << 1.0 << -25.0;
        QTest::newRow("nan fps") << 1.0 << std::nan("");
        QTest::newRow("infinite time constant") << HUGE_VAL << 25.0;
    }
    void invalidArgumentsAreErrors() {
        QFETCH(double, seconds);
        QFETCH(double, fps);
        QVERIFY_THROWS_EXCEPTION(hz::Error, ParamSmoother(seconds, fps));
    }
};

QTEST_GUILESS_MAIN(TestParamSmoother)
#include "test_param_smoother.moc"
