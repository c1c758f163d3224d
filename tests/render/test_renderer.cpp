// The fast renderer against the LibTorch filters computed in float64 (the spec's formulas
// written as tensor operations), on many random images, masks and argument sets, plus edge
// cases. Tolerances, as |rendered code - reference * maxCode|:
//   8-bit:  at most 1 level (1/255): rounding takes 0.5, the kernel choice's error budget
//           0.26, the nearest-point curve table 0.1, the interpolated one 0.005.
//   16-bit: at most 1 level (1/65535) as well: rounding 0.5, the kernel choice's error budget
//           0.26, the interpolated Highlight+Shadow table 0.13 (render_plan.cpp).
// Measured worst cases over thousands of random cases are about 0.57 level for both.
// Pixels whose mask is 0 must be bit-identical to the input.
#include <QtTest>

#include <torch/torch.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>
#include <random>

#include "core/filters_torch.h"
#include "core/image_io.h"
#include "core/render/render_internal.h"
#include "core/render/render_kernels.h"
#include "core/render/renderer.h"

using hz::FilterParams;
using hz::renderer::Kernel;

namespace {

struct RenderCase {
    QString image;  // noise, photo, grayish, extremes, uniform:<0..1>
    QString mask;   // full, binary, soft, ellipse, empty, onepixel
    int width = 24, height = 16;
    int depth = CV_8U;
    FilterParams params;
    double amount = 1.0;
    unsigned seed = 1;
};

}  // namespace

Q_DECLARE_METATYPE(RenderCase)
Q_DECLARE_METATYPE(hz::FilterParams)

namespace {

int maxCodeOf(int depth) { return depth == CV_16U ? 65535 : 255; }

cv::Mat makeImage(const RenderCase& rc) {
    std::mt19937 rng(rc.seed);
    const int maxCode = maxCodeOf(rc.depth);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    cv::Mat image(rc.height, rc.width, CV_MAKETYPE(rc.depth, 3));
    const double phase = unit(rng) * 6.0;
    for (int y = 0; y < rc.height; ++y)
        for (int x = 0; x < rc.width; ++x)
            for (int c = 0; c < 3; ++c) {
                double v = 0.0;
                if (rc.image == "noise") {
                    v = unit(rng);
                } else if (rc.image == "photo") {
                    const double u = double(x) / std::max(1, rc.width - 1);
                    const double w = double(y) / std::max(1, rc.height - 1);
                    v = 0.45 + 0.35 * std::sin(3.0 * u + 2.0 * w + phase + c) + 0.08 * (unit(rng) - 0.5);
                } else if (rc.image == "grayish") {
                    // Near-gray pixels: where positive saturation is most sensitive.
                    const double gray = std::fmod(double(x * 7 + y * 13) / 97.0 + phase, 1.0);
                    v = gray + double(int(rng() % 5) - 2) / maxCode;
                } else if (rc.image == "extremes") {
                    const double choices[] = {0.0, 1.0 / maxCode, 1.0 - 1.0 / maxCode, 1.0, unit(rng)};
                    v = choices[rng() % 5];
                } else if (rc.image.startsWith("uniform:")) {
                    v = rc.image.mid(8).toDouble();
                }
                const double code = std::round(std::clamp(v, 0.0, 1.0) * maxCode);
                if (rc.depth == CV_16U) image.at<cv::Vec3w>(y, x)[c] = std::uint16_t(code);
                else image.at<cv::Vec3b>(y, x)[c] = std::uint8_t(code);
            }
    return image;
}

cv::Mat makeMask(const RenderCase& rc) {
    std::mt19937 rng(rc.seed * 7919u + 17u);
    cv::Mat mask(rc.height, rc.width, CV_16UC1, cv::Scalar(0));
    for (int y = 0; y < rc.height; ++y)
        for (int x = 0; x < rc.width; ++x) {
            std::uint16_t m = 0;
            if (rc.mask == "full") m = 65535;
            else if (rc.mask == "binary") m = (rng() % 2) ? 65535 : 0;
            else if (rc.mask == "soft") m = (rng() % 4 == 0) ? 0 : std::uint16_t(rng() % 65536);
            else if (rc.mask == "ellipse") {
                const double dx = (x + 0.5 - rc.width / 2.0) / (rc.width * 0.4);
                const double dy = (y + 0.5 - rc.height / 2.0) / (rc.height * 0.4);
                const double r = std::sqrt(dx * dx + dy * dy);
                m = std::uint16_t(std::lround(65535.0 * std::clamp((1.2 - r) / 0.4, 0.0, 1.0)));
            }
            mask.at<std::uint16_t>(y, x) = m;
        }
    if (rc.mask == "onepixel") mask.at<std::uint16_t>(rc.height / 2, rc.width / 2) = 65535;
    return mask;
}

torch::Tensor imageTensor(const cv::Mat& bgr) {
    const double maxCode = maxCodeOf(bgr.depth());
    auto t = torch::empty({1, 3, bgr.rows, bgr.cols}, torch::kFloat64);
    auto a = t.accessor<double, 4>();
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            for (int c = 0; c < 3; ++c) {
                const double code = bgr.depth() == CV_16U ? bgr.at<cv::Vec3w>(y, x)[c] : bgr.at<cv::Vec3b>(y, x)[c];
                a[0][2 - c][y][x] = code / maxCode;  // BGR -> RGB
            }
    return t;
}

torch::Tensor maskTensor(const cv::Mat& mask16, double amount) {
    auto t = torch::empty({1, 1, mask16.rows, mask16.cols}, torch::kFloat64);
    auto a = t.accessor<double, 4>();
    for (int y = 0; y < mask16.rows; ++y)
        for (int x = 0; x < mask16.cols; ++x) a[0][0][y][x] = amount * (mask16.at<std::uint16_t>(y, x) / 65535.0);
    return t;
}

// The LibTorch float64 result, [1, 3, H, W] RGB in [0, 1].
torch::Tensor reference(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, double amount) {
    return hz::torchfilters::harmonize(imageTensor(image), maskTensor(mask, amount),
                                       hz::torchfilters::argsTensor(params));
}

double codeAt(const cv::Mat& m, int y, int x, int c) {
    return m.depth() == CV_16U ? m.at<cv::Vec3w>(y, x)[c] : m.at<cv::Vec3b>(y, x)[c];
}

struct Comparison {
    double maxError = 0.0;  // in output levels
    QString worst;
    int backgroundMismatches = 0;
};

Comparison compare(const cv::Mat& out, const cv::Mat& image, const cv::Mat& mask, const torch::Tensor& ref) {
    Comparison result;
    const double maxCode = maxCodeOf(image.depth());
    auto a = ref.accessor<double, 4>();
    for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x)
            for (int c = 0; c < 3; ++c) {
                const double got = codeAt(out, y, x, c);
                if (mask.at<std::uint16_t>(y, x) == 0 && got != codeAt(image, y, x, c)) ++result.backgroundMismatches;
                const double error = std::abs(got - a[0][2 - c][y][x] * maxCode);
                if (error > result.maxError) {
                    result.maxError = error;
                    result.worst = QStringLiteral("pixel (%1, %2) channel %3: got %4, reference %5, input %6")
                                       .arg(x).arg(y).arg(c).arg(got).arg(a[0][2 - c][y][x] * maxCode, 0, 'f', 4)
                                       .arg(codeAt(image, y, x, c));
                }
            }
    return result;
}

FilterParams params6(double t, double b, double c, double s, double h, double sh) {
    FilterParams p;
    p.temperature = t;
    p.brightness = b;
    p.contrast = c;
    p.saturation = s;
    p.highlight = h;
    p.shadow = sh;
    return p;
}

QString describe(const FilterParams& p) {
    return QStringLiteral("T %1 B %2 C %3 S %4 H %5 Sh %6")
        .arg(p.temperature).arg(p.brightness).arg(p.contrast).arg(p.saturation).arg(p.highlight).arg(p.shadow);
}

// Every kernel worth checking for these parameters on this CPU: the automatic choice and
// the double-precision ones (valid for any parameters); the portable table kernel where
// the automatic choice is the AVX2 one.
std::vector<std::optional<Kernel>> kernelsToCheck(const RenderCase& rc) {
    std::vector<std::optional<Kernel>> kernels{std::nullopt, Kernel::PortableDouble};
    const bool avx2 = hz::renderer::cpuHasAvx2();
    if (avx2) kernels.push_back(Kernel::Avx2Double);
    const Kernel automatic = hz::renderer::chooseKernel(maxCodeOf(rc.depth), rc.params.clamped(), avx2);
    if (automatic == Kernel::Avx2Lut) kernels.push_back(Kernel::PortableLut);
    // Where the automatic choice may be upgraded to AVX-512, check both float kernels.
    if (automatic == Kernel::Avx2Float && hz::renderer::cpuHasAvx512()) {
        kernels.push_back(Kernel::Avx2Float);
        if (rc.depth == CV_8U) kernels.push_back(Kernel::Avx512Float);
    }
    return kernels;
}

}  // namespace

class TestRenderer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void matchesTorchFilters_data();
    void matchesTorchFilters();
    void specTestVector16Bit();
    void highlightShadowTableWithinTolerance_data();
    void highlightShadowTableWithinTolerance();
    void kernelChoiceFollowsErrorModel();
    void suppliedHistogramsGiveIdenticalOutput_data();
    void suppliedHistogramsGiveIdenticalOutput();
    void histogramsCountEveryValue_data();
    void histogramsCountEveryValue();
    void previewUsesHistogramsOfAnotherDepth();
    void momentPassesAgreeWithHistograms_data();
    void imageStatisticsAgreeWithHistograms_data();
    void imageStatisticsAgreeWithHistograms();
    void momentPassesAgreeWithHistograms();
    void threadCountAndInPlaceDoNotChangeOutput();
    void cancelFlagStopsRender();
    void badInputThrows_data();
    void badInputThrows();
    void emptyImageAndBadHistogramsThrow();
};

void TestRenderer::matchesTorchFilters_data() {
    QTest::addColumn<RenderCase>("rc");
    auto add = [](const char* name, RenderCase rc) { QTest::newRow(name) << rc; };

    // Each filter alone at -1 and +1, then all together, on a busy image.
    const char* filterNames[] = {"temperature", "brightness", "contrast", "saturation", "highlight", "shadow"};
    for (int f = 0; f < 6; ++f)
        for (double value : {-1.0, 1.0}) {
            RenderCase rc{"noise", "soft", 29, 11, CV_8U, {}, 1.0, unsigned(100 + f)};
            rc.params.set(hz::Filter(f), value);
            QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(filterNames[f]).arg(value))) << rc;
        }
    add("all -1", {"photo", "ellipse", 31, 13, CV_8U, params6(-1, -1, -1, -1, -1, -1)});
    add("all +1", {"photo", "ellipse", 31, 13, CV_8U, params6(1, 1, 1, 1, 1, 1)});
    add("all 0 (identity)", {"noise", "soft", 31, 13, CV_8U, params6(0, 0, 0, 0, 0, 0)});
    add("all +1, 16-bit", {"photo", "ellipse", 31, 13, CV_16U, params6(1, 1, 1, 1, 1, 1)});
    add("all -1, 16-bit", {"photo", "ellipse", 31, 13, CV_16U, params6(-1, -1, -1, -1, -1, -1)});
    add("spec vector, photo", {"photo", "soft", 40, 9, CV_8U, params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1)});
    add("spec vector, 16-bit", {"photo", "soft", 40, 9, CV_16U, params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1)});
    // Steep ends of the pow curves, near-gray pixels under strong saturation.
    add("steep highlight -0.99", {"extremes", "full", 23, 7, CV_8U, params6(0.05, 0.1, 0.2, 0.0, -0.99, 0.0)});
    add("steep shadow 0.99", {"extremes", "full", 23, 7, CV_8U, params6(0.05, 0.1, 0.2, 0.0, 0.0, 0.99)});
    add("steep both, saturation 0.9", {"extremes", "full", 23, 7, CV_8U, params6(0.3, 0.0, 0.1, 0.9, -0.95, 0.95)});
    add("steep both, 16-bit", {"extremes", "full", 23, 7, CV_16U, params6(0.3, 0.0, 0.1, 0.9, -0.95, 0.95)});
    add("saturation 1, grayish", {"grayish", "full", 37, 9, CV_8U, params6(0, 0, 0, 1, 0, 0)});
    add("saturation 0.999, grayish", {"grayish", "full", 37, 9, CV_8U, params6(0.02, 0, 0.1, 0.999, -0.3, 0.2)});
    add("saturation 1, grayish, 16-bit", {"grayish", "full", 37, 9, CV_16U, params6(0, 0, 0, 1, 0, 0)});
    add("saturation 0.5, grayish, 16-bit", {"grayish", "soft", 37, 9, CV_16U, params6(0.1, 0.2, -0.3, 0.5, 0.1, 0.1)});
    add("tiny temperature, steep highlight", {"extremes", "full", 16, 4, CV_8U, params6(1e-8, 0, 0, 0, -0.9, 0)});
    // White ends within 1e-8 of 1, not at 1 (brightness 1e-6 makes its gain exactly 1,
    // the temperature gain of one channel is 1 - 5e-9): float would round it to 1.
    add("white, tiny temperature, steep highlight", {"uniform:1", "full", 16, 4, CV_8U, params6(1e-8, 1e-6, 0, 0, -0.9, 0)});
    add("white, tiny temperature, saturation -0.3", {"uniform:1", "full", 16, 4, CV_8U, params6(1e-8, 1e-6, 0, -0.3, -0.9, 0.1)});
    add("contrast clips (second pass)", {"photo", "full", 33, 9, CV_8U, params6(0.2, 0.6, 0.8, 0.0, 0.0, 0.0)});
    add("contrast clips, 16-bit", {"photo", "full", 33, 9, CV_16U, params6(0.2, 0.6, 0.8, 0.3, 0.0, 0.0)});
    // Uniform images: the statistics are the pixel itself.
    for (const char* level : {"0", "1", "0.5"})
        for (int depth : {CV_8U, CV_16U}) {
            RenderCase rc{QStringLiteral("uniform:%1").arg(level), "full", 9, 3, depth,
                          params6(0.4, -0.3, 0.7, 0.6, 0.3, -0.2)};
            QTest::newRow(qPrintable(QStringLiteral("uniform %1, %2-bit").arg(level).arg(depth == CV_16U ? 16 : 8)))
                << rc;
        }
    add("uniform grey, all +1", {"uniform:0.5", "full", 9, 3, CV_8U, params6(1, 1, 1, 1, 1, 1)});
    // Masks and sizes.
    add("one-pixel mask", {"noise", "onepixel", 17, 5, CV_8U, params6(0.3, 0.3, 0.3, 0.3, 0.3, 0.3)});
    add("empty mask", {"noise", "empty", 17, 5, CV_8U, params6(0.3, 0.3, 0.3, 0.3, 0.3, 0.3)});
    add("binary mask", {"photo", "binary", 17, 5, CV_8U, params6(-0.3, 0.2, 0.5, -0.5, 0.4, 0.1)});
    add("1x1", {"noise", "full", 1, 1, CV_8U, params6(0.5, -0.5, 0.5, -0.5, 0.5, -0.5)});
    add("1x1, 16-bit", {"noise", "full", 1, 1, CV_16U, params6(0.5, -0.5, 0.5, 0.5, 0.5, -0.5)});
    add("8x1 (one SIMD step)", {"noise", "soft", 8, 1, CV_8U, params6(0.2, 0.1, 0.3, 0.4, -0.2, 0.1)});
    add("amount 0.5", {"photo", "ellipse", 30, 10, CV_8U, params6(0.2, 0.1, 0.3, 0.4, -0.2, 0.1), 0.5});
    add("amount 0.3, 16-bit", {"photo", "soft", 30, 10, CV_16U, params6(0.2, 0.1, 0.3, -0.4, -0.2, 0.1), 0.3});
    add("amount 0", {"photo", "soft", 30, 10, CV_8U, params6(0.2, 0.1, 0.3, -0.4, -0.2, 0.1), 0.0});

    // Random images, masks and arguments (fixed seeds). A third of the arguments are 0,
    // some are exactly +-1, the rest uniform in [-1, 1].
    std::mt19937 rng(20240611);
    const QString images[] = {"noise", "photo", "grayish", "extremes"};
    const QString masks[] = {"full", "binary", "soft", "ellipse"};
    for (int i = 0; i < 48; ++i) {
        RenderCase rc;
        rc.image = images[rng() % 4];
        rc.mask = masks[rng() % 4];
        rc.width = 1 + int(rng() % 45);
        rc.height = 1 + int(rng() % 12);
        rc.depth = (i % 3 == 2) ? CV_16U : CV_8U;
        rc.seed = 1000u + unsigned(i);
        std::array<double, 6> values{};
        for (auto& v : values) {
            const unsigned kind = rng() % 9;
            if (kind < 3) v = 0.0;
            else if (kind == 3) v = (rng() % 2) ? 1.0 : -1.0;
            else v = std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
        }
        rc.params = FilterParams::fromArray(values);
        rc.amount = (rng() % 4 == 0) ? std::uniform_real_distribution<double>(0.0, 1.0)(rng) : 1.0;
        QTest::newRow(qPrintable(QStringLiteral("random %1").arg(i))) << rc;
    }
}

void TestRenderer::matchesTorchFilters() {
    QFETCH(RenderCase, rc);
    const cv::Mat image = makeImage(rc);
    const cv::Mat mask = makeMask(rc);
    const torch::Tensor ref = reference(image, mask, rc.params, rc.amount);
    for (const auto& kernel : kernelsToCheck(rc)) {
        cv::Mat out;
        hz::RenderOptions options;
        options.amount = rc.amount;
        hz::renderer::RenderReport report;
        QVERIFY(hz::renderer::renderWith(image, mask, rc.params, out, options, kernel, &report));
        QCOMPARE(out.type(), image.type());
        QCOMPARE(out.size(), image.size());
        const Comparison cmp = compare(out, image, mask, ref);
        const QString context = QStringLiteral("kernel %1, %2x%3 %4-bit, %5, amount %6")
                                    .arg(hz::renderer::kernelName(report.kernel)).arg(rc.width).arg(rc.height)
                                    .arg(rc.depth == CV_16U ? 16 : 8).arg(describe(rc.params)).arg(rc.amount);
        QVERIFY2(cmp.backgroundMismatches == 0, qPrintable(context + ": background changed"));
        QVERIFY2(cmp.maxError <= 1.0, qPrintable(context + QStringLiteral(": error %1 levels at ").arg(cmp.maxError) +
                                                 cmp.worst));
    }
}

void TestRenderer::specTestVector16Bit() {
    // Spec section 2: args (0.1, -0.2, 0.3, -0.4, 0.2, -0.1), RGB (0.2, 0.4, 0.6), which
    // 16-bit codes represent exactly (13107, 26214, 39321).
    const FilterParams params = params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1);
    cv::Mat image(1, 1, CV_16UC3, cv::Scalar(39321, 26214, 13107));  // BGR
    const cv::Mat mask(1, 1, CV_16UC1, cv::Scalar(65535));
    const double expectedRgb[3] = {0.227464, 0.340025, 0.479282};
    const torch::Tensor ref = reference(image, mask, params, 1.0);
    for (int c = 0; c < 3; ++c)
        QVERIFY2(std::abs(ref[0][c][0][0].item<double>() - expectedRgb[c]) < 1e-5, "LibTorch filters off the spec");
    for (const auto& kernel : kernelsToCheck({"", "", 1, 1, CV_16U, params})) {
        cv::Mat out;
        QVERIFY(hz::renderer::renderWith(image, mask, params, out, {}, kernel, nullptr));
        for (int c = 0; c < 3; ++c) {
            const double got = out.at<cv::Vec3w>(0, 0)[2 - c] / 65535.0;
            // The spec's 6 decimals plus half a 16-bit level of rounding.
            QVERIFY2(std::abs(got - expectedRgb[c]) < 1e-5 + 0.5 / 65535.0,
                     qPrintable(QStringLiteral("channel %1: %2").arg(c).arg(got, 0, 'f', 7)));
            QVERIFY(std::abs(got * 65535.0 - ref[0][c][0][0].item<double>() * 65535.0) <= 1.0);
        }
    }
}

void TestRenderer::highlightShadowTableWithinTolerance_data() {
    QTest::addColumn<double>("highlight");
    QTest::addColumn<double>("shadow");
    const double values[] = {-1.0, -0.999, -0.95, -0.5, 0.0, 0.3, 1.0};
    for (double h : values)
        for (double sh : {-1.0, -0.5, 0.0, 0.5, 0.95, 0.999, 1.0})
            QTest::newRow(qPrintable(QStringLiteral("h %1 sh %2").arg(h).arg(sh))) << h << sh;
    // Gentle curves, where the piecewise-linear curve covers most of [0, 1].
    for (const auto& [h, sh] : {std::pair{0.2, -0.1}, {0.1, 0.1}, {-0.1, -0.1}, {0.3, -0.3}, {0.0, 0.2}, {-0.2, 0.0}})
        QTest::newRow(qPrintable(QStringLiteral("gentle h %1 sh %2").arg(h).arg(sh))) << h << sh;
}

void TestRenderer::highlightShadowTableWithinTolerance() {
    // The table must hold its tolerance for every argument, including near 0 and 1 where
    // the curves are steepest; y is drawn log-uniformly close to both ends. The input is
    // given to the table rounded to float, as the kernels do.
    QFETCH(double, highlight);
    QFETCH(double, shadow);
    const double tolerance = 2e-6;  // the 16-bit table's
    hz::renderer::HsTable table;
    hz::renderer::buildHsTable(table, highlight, shadow, tolerance,
                               hz::renderer::curveSlopeBound(highlight, shadow), false);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    double worst = 0.0;
    for (int i = 0; i < 20000; ++i) {
        double d = (i % 2) ? std::pow(10.0, -16.0 * unit(rng)) * 0.5 : 0.5 * unit(rng);
        d = double(float(d));
        const bool high = i % 4 >= 2;
        const double y = high ? 1.0 - d : d;
        const double exact = table.exact(d, high);
        const double got = table.lookupEncoded(high ? -float(d) : float(d));
        worst = std::max(worst, std::abs(got - exact));
        if (!high) QVERIFY(std::abs(table.lookup(y) - exact) <= tolerance + 1e-7);
    }
    QVERIFY2(worst <= tolerance + 1e-7, qPrintable(QStringLiteral("worst %1, %2 exact bins").arg(worst).arg(table.exactBins)));

    // The 8-bit nearest-point shortcut within its range, and at exactly 0 and 1.
    hz::renderer::buildUniformCurve(table, 8192, 4e-4, 6e-4);
    QVERIFY(table.uniformLow <= table.uniformHigh);
    auto nearestError = [&](double y) {
        const double exact = y < 0.5 ? table.exact(y, false) : table.exact(1.0 - y, true);
        return std::abs(table.uniformCodes[std::size_t(std::lrint(y * 8192))] / 255.0 - exact);
    };
    QVERIFY(nearestError(0.0) <= 1e-7);
    QVERIFY(nearestError(1.0) <= 1e-7);
    for (int i = 0; i < 20000; ++i) {
        const double y = table.uniformLow + (table.uniformHigh - table.uniformLow) * unit(rng);
        QVERIFY2(nearestError(y) <= 4e-4 + 1e-7, qPrintable(QStringLiteral("y %1").arg(y)));
    }

    // The piecewise-linear curve within its range [low, high) (or [low, 1]): random points,
    // both ends and every segment boundary approached from both sides.
    const bool gentle = QByteArray(QTest::currentDataTag()).startsWith("gentle");
    if (gentle) QVERIFY(table.linearHigh - table.linearLow >= 30.0f / hz::renderer::HsTable::kLinearSegments);
    if (table.linearLow <= table.linearHigh) {
        QVERIFY(table.linearWorstError <= 255.0 * 6e-4);
        auto linearError = [&](double y) {
            const double exact = y < 0.5 ? table.exact(y, false) : table.exact(1.0 - y, true);
            return std::abs(table.linearCodes(y) / 255.0 - exact);
        };
        const double low = table.linearLow;
        const double high = table.linearHigh >= 1.0f ? 1.0 : double(std::nextafter(table.linearHigh, 0.0f));
        std::vector<double> ys{low, high};
        for (int k = 1; k < hz::renderer::HsTable::kLinearSegments; ++k) {
            const double edge = double(k) / hz::renderer::HsTable::kLinearSegments;
            if (edge > low && edge < high)
                ys.insert(ys.end(), {edge, double(std::nextafter(float(edge), 0.0f)), double(std::nextafter(float(edge), 1.0f))});
        }
        for (int i = 0; i < 20000; ++i) ys.push_back(double(float(low + (high - low) * unit(rng))));
        for (double y : ys)
            if (y <= high) QVERIFY2(linearError(y) <= 6e-4 + 1e-7, qPrintable(QStringLiteral("y %1").arg(y)));
    }
}

void TestRenderer::kernelChoiceFollowsErrorModel() {
    using hz::renderer::chooseKernel;
    QCOMPARE(chooseKernel(255, params6(0, 0, 0, 0, 0, 0), true), Kernel::Copy);
    // Saturation 0 with gentle curves: one table per channel.
    QCOMPARE(chooseKernel(255, params6(0.3, 0.2, 0.1, 0, 0.2, -0.1), true), Kernel::Avx2Lut);
    QCOMPARE(chooseKernel(255, params6(0.3, 0.2, 0.1, 0, 0.2, -0.1), false), Kernel::PortableLut);
    // Saturation 0 but a steep highlight curve: saturation's 5e-7 would show.
    QCOMPARE(chooseKernel(255, params6(0, 0, 0, 0, -0.9, 0), true), Kernel::Avx2Double);
    QCOMPARE(chooseKernel(255, params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1), true), Kernel::Avx2Float);
    QCOMPARE(chooseKernel(255, params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1), false), Kernel::PortableDouble);
    QCOMPARE(chooseKernel(255, params6(0, 0, 0, 0.9999, 0, 0), true), Kernel::Avx2Double);
    QCOMPARE(chooseKernel(65535, params6(0.1, -0.2, 0.3, -0.4, -0.5, -0.1), true), Kernel::Avx2Double);
}

void TestRenderer::suppliedHistogramsGiveIdenticalOutput_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<FilterParams>("params");
    QTest::addColumn<bool>("clampPass");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    // 61 columns: full SIMD blocks of the statistics passes plus a tail.
    QTest::newRow("8-bit, no clipping") << int(CV_8U) << params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1) << false << 61 << 37;
    QTest::newRow("8-bit, clipping") << int(CV_8U) << params6(0.3, 0.7, 0.6, 0.4, 0.2, -0.1) << true << 61 << 37;
    QTest::newRow("16-bit, clipping") << int(CV_16U) << params6(-0.3, 0.7, 0.6, 0.4, 0.2, -0.1) << true << 61 << 37;
    QTest::newRow("8-bit, saturation 0") << int(CV_8U) << params6(0.5, 0.5, -0.6, 0, 0.2, -0.1) << true << 61 << 37;
    // Rows longer than one statistics segment (4096 pixels): the second pass revisits only
    // segments with a value above a clip point; the others contribute their first-pass sums.
    QTest::newRow("8-bit, clipping in some segments") << int(CV_8U) << params6(0.1, 0.3, 0.5, -0.2, 0.1, 0.0) << true
                                                      << 9001 << 3;
    QTest::newRow("16-bit, clipping in some segments") << int(CV_16U) << params6(-0.1, 0.3, 0.5, 0.2, 0.0, 0.1)
                                                       << true << 9001 << 3;
}

void TestRenderer::suppliedHistogramsGiveIdenticalOutput() {
    QFETCH(int, depth);
    QFETCH(FilterParams, params);
    QFETCH(bool, clampPass);
    QFETCH(int, width);
    QFETCH(int, height);
    const RenderCase rc{"photo", "soft", width, height, depth, params};
    const cv::Mat image = makeImage(rc);
    const cv::Mat mask = makeMask(rc);
    const hz::ImageHistograms histograms = hz::computeHistograms(image);
    QCOMPARE(histograms.pixelCount, std::uint64_t(width) * std::uint64_t(height));
    cv::Mat computed, supplied;
    hz::renderer::RenderReport report;
    QVERIFY(hz::renderer::renderWith(image, mask, params, computed, {}, std::nullopt, &report));
    QCOMPARE(report.clampMoments, clampPass);
    hz::RenderOptions options;
    options.histograms = &histograms;
    QVERIFY(hz::render(image, mask, params, supplied, options));
    QCOMPARE(cv::norm(computed, supplied, cv::NORM_INF), 0.0);
}

void TestRenderer::histogramsCountEveryValue_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("width");
    QTest::newRow("8-bit") << int(CV_8U) << 45;
    QTest::newRow("16-bit") << int(CV_16U) << 45;
    QTest::newRow("8-bit, one column") << int(CV_8U) << 1;
}

void TestRenderer::histogramsCountEveryValue() {
    QFETCH(int, depth);
    QFETCH(int, width);
    const cv::Mat image = makeImage({"noise", "full", width, 31, depth, {}});
    const hz::ImageHistograms h = hz::computeHistograms(image);
    QCOMPARE(h.depth, depth);
    QCOMPARE(h.pixelCount, std::uint64_t(width) * 31u);
    std::array<std::vector<std::uint64_t>, 3> expected;
    for (auto& channel : expected) channel.assign(depth == CV_16U ? 65536 : 256, 0);
    for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x)
            for (int c = 0; c < 3; ++c) ++expected[std::size_t(c)][std::size_t(codeAt(image, y, x, c))];
    QVERIFY(h.bgr == expected);
}

void TestRenderer::previewUsesHistogramsOfAnotherDepth() {
    // The editor renders a preview with the statistics of the full image, which may be
    // 16-bit while the preview is 8-bit. Here the 16-bit image is the 8-bit one times 257,
    // so its statistics in [0, 1] are the 8-bit image's own.
    const RenderCase rc{"photo", "soft", 40, 12, CV_8U, params6(0.3, 0.4, 0.5, 0.3, -0.2, 0.1)};
    const cv::Mat image = makeImage(rc);
    const cv::Mat mask = makeMask(rc);
    cv::Mat image16;
    image.convertTo(image16, CV_16UC3, 257.0);
    const hz::ImageHistograms histograms16 = hz::computeHistograms(image16);
    hz::RenderOptions options;
    options.histograms = &histograms16;
    cv::Mat out;
    QVERIFY(hz::render(image, mask, rc.params, out, options));
    const Comparison cmp = compare(out, image, mask, reference(image, mask, rc.params, 1.0));
    QVERIFY2(cmp.maxError <= 1.0, qPrintable(cmp.worst));
    QCOMPARE(cmp.backgroundMismatches, 0);
}

void TestRenderer::momentPassesAgreeWithHistograms_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("width");
    // Widths around the SSE2 (16 pixels) and AVX2 (32 pixels) step sizes.
    for (int depth : {CV_8U, CV_16U})
        for (int width : {1, 15, 16, 17, 31, 32, 33, 47, 64, 101, 129, 700})
            QTest::newRow(qPrintable(QStringLiteral("%1-bit, %2 wide").arg(depth == CV_16U ? 16 : 8).arg(width)))
                << depth << width;
}

void TestRenderer::momentPassesAgreeWithHistograms() {
    // Every statistics routine (SSE2, AVX2 where available) must produce the histogram's
    // integers exactly: that is what makes supplied and computed statistics interchangeable.
    QFETCH(int, depth);
    QFETCH(int, width);
    const cv::Mat image = makeImage({"extremes", "full", width, 3, depth, {}, 1.0, unsigned(width)});
    const hz::ImageHistograms histograms = hz::computeHistograms(image);
    const hz::renderer::BasicMoments expected = hz::renderer::basicMomentsOf(histograms);
    const int maxCode = maxCodeOf(depth);
    hz::renderer::ClampMoments thresholds;
    thresholds.threshold = {std::uint32_t(maxCode / 3), std::uint32_t(maxCode / 2), std::uint32_t(maxCode - 1)};
    const hz::renderer::ClampMoments expectedClamp = hz::renderer::clampMomentsOf(histograms, thresholds);
    const bool sixteen = depth == CV_16U;
    std::vector<std::pair<const char*, bool>> variants{{"sse2", false}};
    if (hz::renderer::cpuHasAvx2()) variants.push_back({"avx2", true});
    for (const auto& [name, avx2] : variants) {
        hz::renderer::BasicMoments basic;
        hz::renderer::ClampMoments clamp;
        clamp.threshold = thresholds.threshold;
        for (int y = 0; y < image.rows; ++y) {
            if (sixteen) {
                (avx2 ? hz::renderer::avx2BasicMoments16 : hz::renderer::accumulateBasicMoments16)(
                    image.ptr<std::uint16_t>(y), width, basic);
                (avx2 ? hz::renderer::avx2ClampMoments16 : hz::renderer::accumulateClampMoments16)(
                    image.ptr<std::uint16_t>(y), width, clamp);
            } else {
                (avx2 ? hz::renderer::avx2BasicMoments8 : hz::renderer::accumulateBasicMoments8)(
                    image.ptr<std::uint8_t>(y), width, basic);
                (avx2 ? hz::renderer::avx2ClampMoments8 : hz::renderer::accumulateClampMoments8)(
                    image.ptr<std::uint8_t>(y), width, clamp);
            }
        }
        QVERIFY2(basic.sum == expected.sum, name);
        QVERIFY2(basic.max == expected.max, name);
        QVERIFY2(clamp.sumOfMin == expectedClamp.sumOfMin, name);
        QVERIFY2(clamp.countAbove == expectedClamp.countAbove, name);
    }
    if (!sixteen && hz::renderer::cpuHasAvx512()) {
        // The fused pass, per row and over the whole (continuous) image in one call.
        for (const bool wholeImage : {false, true}) {
            hz::renderer::BasicMoments basic;
            hz::renderer::ClampMoments clamp;
            clamp.threshold = thresholds.threshold;
            if (wholeImage)
                hz::renderer::avx512FusedMoments8(image.ptr<std::uint8_t>(0), width * image.rows, basic, clamp);
            else
                for (int y = 0; y < image.rows; ++y)
                    hz::renderer::avx512FusedMoments8(image.ptr<std::uint8_t>(y), width, basic, clamp);
            QVERIFY(basic.sum == expected.sum);
            QVERIFY(basic.max == expected.max);
            QVERIFY(clamp.sumOfMin == expectedClamp.sumOfMin);
            QVERIFY(clamp.countAbove == expectedClamp.countAbove);
        }
    }
}

void TestRenderer::imageStatisticsAgreeWithHistograms_data() {
    QTest::addColumn<int>("depth");
    QTest::addColumn<FilterParams>("params");
    QTest::addColumn<QString>("guess");  // sampled, right, wrong (8-bit AVX-512 only)
    QTest::addColumn<bool>("roi");       // a region of a larger image: rows not contiguous
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    const FilterParams clipping = params6(0.3, 0.7, 0.6, 0.4, 0.2, -0.1);
    QTest::newRow("8-bit, sampled guess") << int(CV_8U) << clipping << "sampled" << false << 301 << 203;
    QTest::newRow("8-bit, right guess") << int(CV_8U) << clipping << "right" << false << 301 << 203;
    QTest::newRow("8-bit, wrong guess") << int(CV_8U) << clipping << "wrong" << false << 301 << 203;
    QTest::newRow("8-bit, region, sampled") << int(CV_8U) << clipping << "sampled" << true << 131 << 70;
    QTest::newRow("8-bit, region, wrong guess") << int(CV_8U) << clipping << "wrong" << true << 131 << 70;
    QTest::newRow("8-bit, 1x1") << int(CV_8U) << clipping << "sampled" << false << 1 << 1;
    QTest::newRow("8-bit, no contrast") << int(CV_8U) << params6(0.3, 0.2, 0, 0.4, 0, 0) << "sampled" << false << 97 << 41;
    QTest::newRow("8-bit, nothing clips") << int(CV_8U) << params6(0.1, -0.2, 0.3, -0.4, 0.2, -0.1) << "sampled"
                                          << false << 97 << 41;
    QTest::newRow("16-bit") << int(CV_16U) << params6(-0.3, 0.7, 0.6, 0.4, 0.2, -0.1) << "sampled" << false << 97 << 41;
}

void TestRenderer::imageStatisticsAgreeWithHistograms() {
    // The statistics render() takes from the image (one fused pass at guessed thresholds, or
    // two passes) must equal the histograms' integers for every channel Contrast uses,
    // whether the guess was right or not.
    QFETCH(int, depth);
    QFETCH(FilterParams, params);
    QFETCH(QString, guess);
    QFETCH(bool, roi);
    QFETCH(int, width);
    QFETCH(int, height);
    const cv::Mat whole = makeImage({"photo", "full", width + (roi ? 9 : 0), height + (roi ? 4 : 0), depth, {}});
    const cv::Mat image = roi ? whole(cv::Rect(5, 2, width, height)) : whole;
    QCOMPARE(image.isContinuous(), !roi || height == 1);
    const FilterParams p = params.clamped();
    const hz::ImageHistograms histograms = hz::computeHistograms(image);
    const hz::renderer::BasicMoments expected = hz::renderer::basicMomentsOf(histograms);
    hz::renderer::ClampMoments thresholds;
    const bool clampNeeded = hz::renderer::needsClampMoments(p, hz::renderer::toneConstants(p, expected), expected, thresholds);
    hz::renderer::ClampMoments given = thresholds;
    if (guess == "wrong")
        for (auto& t : given.threshold) t = t > 0 ? t - 1 : 1;
    hz::renderer::ImageStatistics stats;
    QVERIFY(hz::renderer::statisticsOfImage(image, p, 2, nullptr, stats, guess == "sampled" ? nullptr : &given));
    QVERIFY(stats.basic.sum == expected.sum);
    QVERIFY(stats.basic.max == expected.max);
    QCOMPARE(stats.basic.pixelCount, expected.pixelCount);
    QCOMPARE(stats.clampNeeded, clampNeeded);
    if (clampNeeded) {
        const hz::renderer::ClampMoments exact = hz::renderer::clampMomentsOf(histograms, thresholds);
        for (int c = 0; c < 3; ++c) {
            if (thresholds.threshold[c] >= std::uint32_t(maxCodeOf(depth))) continue;  // channel not used
            QCOMPARE(stats.clamp.threshold[c], thresholds.threshold[c]);
            QCOMPARE(stats.clamp.sumOfMin[c], exact.sumOfMin[c]);
            QCOMPARE(stats.clamp.countAbove[c], exact.countAbove[c]);
        }
    }
    const bool fusable = depth == CV_8U && p.contrast != 0.0 && hz::renderer::cpuHasAvx512();
    if (guess == "right" || guess == "wrong") {
        QCOMPARE(stats.fused, fusable);
        QCOMPARE(stats.guessMissed, fusable && clampNeeded && guess == "wrong");
    }
    if (!fusable) QVERIFY(!stats.fused);
}

void TestRenderer::threadCountAndInPlaceDoNotChangeOutput() {
    const RenderCase rc{"photo", "ellipse", 301, 203, CV_8U, params6(0.2, 0.3, 0.4, 0.5, -0.1, 0.2)};
    const cv::Mat image = makeImage(rc);
    const cv::Mat mask = makeMask(rc);
    cv::Mat one, three;
    hz::RenderOptions options;
    options.threads = 1;
    QVERIFY(hz::render(image, mask, rc.params, one, options));
    options.threads = 3;
    QVERIFY(hz::render(image, mask, rc.params, three, options));
    QCOMPARE(cv::norm(one, three, cv::NORM_INF), 0.0);
    cv::Mat inPlace = image.clone();
    QVERIFY(hz::render(inPlace, mask, rc.params, inPlace));
    QCOMPARE(cv::norm(one, inPlace, cv::NORM_INF), 0.0);
    // A region of interest (rows not contiguous) renders like the same pixels alone.
    const cv::Rect roi(5, 7, 200, 100);
    cv::Mat roiOut, cropOut;
    QVERIFY(hz::render(image(roi), mask(roi), rc.params, roiOut));
    QVERIFY(hz::render(image(roi).clone(), mask(roi).clone(), rc.params, cropOut));
    QCOMPARE(cv::norm(roiOut, cropOut, cv::NORM_INF), 0.0);
}

void TestRenderer::cancelFlagStopsRender() {
    const RenderCase rc{"photo", "full", 64, 64, CV_8U, params6(0.2, 0.3, 0.4, 0.5, -0.1, 0.2)};
    const cv::Mat image = makeImage(rc);
    const cv::Mat mask = makeMask(rc);
    std::atomic<bool> cancel{true};
    hz::RenderOptions options;
    options.cancel = &cancel;
    cv::Mat out;
    QVERIFY(!hz::render(image, mask, rc.params, out, options));
    cancel = false;
    QVERIFY(hz::render(image, mask, rc.params, out, options));
}

void TestRenderer::badInputThrows_data() {
    QTest::addColumn<int>("imageType");
    QTest::addColumn<int>("maskType");
    QTest::addColumn<int>("maskWidth");
    QTest::addColumn<double>("amount");
    QTest::addColumn<double>("brightness");
    QTest::newRow("grey image") << int(CV_8UC1) << int(CV_16UC1) << 8 << 1.0 << 0.5;
    QTest::newRow("float image") << int(CV_32FC3) << int(CV_16UC1) << 8 << 1.0 << 0.5;
    QTest::newRow("BGRA image") << int(CV_8UC4) << int(CV_16UC1) << 8 << 1.0 << 0.5;
    QTest::newRow("8-bit mask") << int(CV_8UC3) << int(CV_8UC1) << 8 << 1.0 << 0.5;
    QTest::newRow("mask size") << int(CV_8UC3) << int(CV_16UC1) << 7 << 1.0 << 0.5;
    QTest::newRow("amount above 1") << int(CV_8UC3) << int(CV_16UC1) << 8 << 1.5 << 0.5;
    QTest::newRow("amount NaN") << int(CV_8UC3) << int(CV_16UC1) << 8 << std::nan("") << 0.5;
    QTest::newRow("NaN argument") << int(CV_16UC3) << int(CV_16UC1) << 8 << 1.0 << std::nan("");
}

void TestRenderer::badInputThrows() {
    QFETCH(int, imageType);
    QFETCH(int, maskType);
    QFETCH(int, maskWidth);
    QFETCH(double, amount);
    QFETCH(double, brightness);
    const cv::Mat image(4, 8, imageType, cv::Scalar::all(10));
    const cv::Mat mask(4, maskWidth, maskType, cv::Scalar(1000));
    FilterParams params;
    params.brightness = brightness;
    hz::RenderOptions options;
    options.amount = amount;
    cv::Mat out;
    QVERIFY_THROWS_EXCEPTION(hz::Error, hz::render(image, mask, params, out, options));
}

void TestRenderer::emptyImageAndBadHistogramsThrow() {
    cv::Mat out;
    QVERIFY_THROWS_EXCEPTION(hz::Error, hz::render(cv::Mat(0, 0, CV_8UC3), cv::Mat(0, 0, CV_16UC1), {}, out));
    QVERIFY_THROWS_EXCEPTION(hz::Error, hz::computeHistograms(cv::Mat(3, 3, CV_8UC1)));
    const cv::Mat image(4, 8, CV_8UC3, cv::Scalar::all(10));
    const cv::Mat mask(4, 8, CV_16UC1, cv::Scalar(1000));
    FilterParams params;
    params.contrast = 0.5;
    hz::ImageHistograms histograms = hz::computeHistograms(image);
    histograms.bgr[1].resize(100);
    hz::RenderOptions options;
    options.histograms = &histograms;
    QVERIFY_THROWS_EXCEPTION(hz::Error, hz::render(image, mask, params, out, options));
    histograms = hz::computeHistograms(image);
    histograms.pixelCount += 1;
    QVERIFY_THROWS_EXCEPTION(hz::Error, hz::render(image, mask, params, out, options));
}

QTEST_GUILESS_MAIN(TestRenderer)
#include "test_renderer.moc"
