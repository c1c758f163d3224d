// Select Subject's refinement without a network: the guided upsampling of a low-resolution
// mask, and Refine Edge (radius, shift, feather). Synthetic photos: a disc on a textured
// background, whose true edge is known analytically.
#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>

#include "core/error.h"
#include "core/subject/refine.h"

using namespace hz::subject;

namespace {

struct Disc {
    cv::Size size;
    cv::Point2d centre;
    double radius;
};

// Signed distance to the disc's outline, px: negative inside.
cv::Mat signedDistance(const Disc& d) {
    cv::Mat dist(d.size, CV_32F);
    for (int y = 0; y < d.size.height; ++y)
        for (int x = 0; x < d.size.width; ++x)
            dist.at<float>(y, x) = static_cast<float>(std::hypot(x - d.centre.x, y - d.centre.y) - d.radius);
    return dist;
}

// The disc in one colour with a little noise on a background of stripes and stronger noise
// (texture the mask must not pick up), 8- or 16-bit.
cv::Mat discPhoto(const Disc& d, int depth) {
    cv::Mat photo(d.size, CV_32FC3);
    cv::RNG rng(7);
    const cv::Mat dist = signedDistance(d);
    for (int y = 0; y < d.size.height; ++y)
        for (int x = 0; x < d.size.width; ++x) {
            cv::Vec3f v;
            if (dist.at<float>(y, x) < 0) {
                v = cv::Vec3f(200, 80, 170);
                for (int c = 0; c < 3; ++c) v[c] += static_cast<float>(rng.uniform(-10.0, 10.0));
            } else {
                const float stripe = static_cast<float>(25.0 * std::sin(x * 0.21 + y * 0.07));
                v = cv::Vec3f(60 + stripe, 120 - stripe, 50 + stripe);
                for (int c = 0; c < 3; ++c) v[c] += static_cast<float>(rng.uniform(-18.0, 18.0));
            }
            photo.at<cv::Vec3f>(y, x) = v;
        }
    cv::Mat out;
    photo.convertTo(out, depth == CV_16U ? CV_16UC3 : CV_8UC3, depth == CV_16U ? 257.0 : 1.0);
    return out;
}

cv::Mat truthMask(const Disc& d) {
    cv::Mat m = signedDistance(d) < 0.f;
    m.convertTo(m, CV_32F, 1.0 / 255.0);
    return m;
}

cv::Mat toMask16(const cv::Mat& maskF) {
    cv::Mat out;
    maskF.convertTo(out, CV_16U, 65535.0);
    return out;
}

// Pixels further than `tolerance` px from the true outline that the mask puts on the wrong
// side of 0.5.
int misplaced(const cv::Mat& maskF, const Disc& d, double tolerance) {
    const cv::Mat dist = signedDistance(d);
    int wrong = 0;
    for (int y = 0; y < maskF.rows; ++y)
        for (int x = 0; x < maskF.cols; ++x) {
            const float s = dist.at<float>(y, x), m = maskF.at<float>(y, x);
            if ((s < -tolerance && m < 0.5f) || (s > tolerance && m >= 0.5f)) ++wrong;
        }
    return wrong;
}

cv::Mat asFloat(const cv::Mat& mask16) {
    cv::Mat f;
    mask16.convertTo(f, CV_32F, 1.0 / 65535.0);
    return f;
}

double area(const cv::Mat& mask16) { return cv::sum(mask16)[0] / 65535.0; }

}  // namespace

class TestRefine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void upsampledEdgeFollowsThePhoto_data();
    void upsampledEdgeFollowsThePhoto();
    void upsampleRejectsBadInput();
    void identityIsAnExactCopy_data();
    void identityIsAnExactCopy();
    void shiftMovesTheEdgeByPixels_data();
    void shiftMovesTheEdgeByPixels();
    void shiftIsMonotonic_data();
    void shiftIsMonotonic();
    void featherSoftens_data();
    void featherSoftens();
    void radiusFollowsThePhotoInsideItsBand_data();
    void radiusFollowsThePhotoInsideItsBand();
    void cancelReturnsEmpty_data();
    void cancelReturnsEmpty();
    void outOfRangeIsAnError_data();
    void outOfRangeIsAnError();
    void specsDescribeTheStruct();
};

void TestRefine::upsampledEdgeFollowsThePhoto_data() {
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("lowRes");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("interpolation");
    QTest::addColumn<double>("blur");  // of the low-resolution mask, in its pixels: a network's soft edge
    QTest::addColumn<double>("offset");  // too large (> 0) or too small, in low-resolution pixels
    QTest::addColumn<int>("atMost");     // misplaced pixels allowed (measured: see README)
    // Wider than the filter's working size (statistics at reduced resolution), at it, squashed
    // into a square like the network's input, 16-bit, blocky (nearest) low-resolution masks.
    // A mask too large or blocky is moved towards the photo's edge, not onto it: the window
    // is half a low-resolution pixel (wider ones did worse on real photos).
    QTest::newRow("1600x1200 from 80 px, soft") << 1600 << 1200 << 80 << CV_8U << int(cv::INTER_AREA) << 1.0 << 0.0 << 0;
    QTest::newRow("1200x1600 from 80 px, soft, 16-bit") << 1200 << 1600 << 80 << CV_16U << int(cv::INTER_AREA) << 1.0 << 0.0 << 0;
    QTest::newRow("2400x1000 from 96 px, softer") << 2400 << 1000 << 96 << CV_8U << int(cv::INTER_AREA) << 2.0 << 0.0 << 0;
    QTest::newRow("320x240 from 40 px, sharp") << 320 << 240 << 40 << CV_8U << int(cv::INTER_AREA) << 0.0 << 0.0 << 0;
    QTest::newRow("2400x1000 from 96 px, too large") << 2400 << 1000 << 96 << CV_8U << int(cv::INTER_AREA) << 1.0 << 0.3 << 4000;
    QTest::newRow("900x600 from 48 px, blocky") << 900 << 600 << 48 << CV_8U << int(cv::INTER_NEAREST) << 0.0 << 0.0 << 5500;
}

void TestRefine::upsampledEdgeFollowsThePhoto() {
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, lowRes);
    QFETCH(int, depth);
    QFETCH(int, interpolation);
    QFETCH(double, blur);
    QFETCH(double, offset);
    const Disc disc{{width, height}, {width * 0.47, height * 0.53}, std::min(width, height) * 0.31};
    const cv::Mat photo = discPhoto(disc, depth);
    const double lowResPixel = static_cast<double>(std::max(width, height)) / lowRes;
    const Disc wrong{disc.size, disc.centre, disc.radius + offset * lowResPixel};
    cv::Mat low;
    cv::resize(truthMask(wrong), low, {lowRes, lowRes}, 0, 0, interpolation);
    if (blur > 0) cv::GaussianBlur(low, low, cv::Size(), blur);
    low = low * 0.996 + 0.002;  // as a network's sigmoid: never quite 0 or 1

    const cv::Mat up = upsampleMaskGuided(low, photo);
    QCOMPARE(up.type(), CV_32FC1);
    QCOMPARE(up.size(), photo.size());
    double lo, hi;
    cv::minMaxLoc(up, &lo, &hi);
    QVERIFY(lo >= 0.0 && hi <= 1.0);
    cv::Mat bilinear;
    cv::resize(low, bilinear, photo.size(), 0, 0, cv::INTER_LINEAR);
    const int guided = misplaced(up, disc, 2.0), plain = misplaced(bilinear, disc, 2.0);
    const QByteArray counts = QString("misplaced beyond 2 px: guided %1, bilinear %2").arg(guided).arg(plain).toUtf8();
    // Never worse than plain bilinear upsampling; where the low-resolution mask is soft
    // but in the right place (as a network's is), within 2 px of the photo's edge everywhere.
    QVERIFY2(guided <= plain, counts.constData());
    QFETCH(int, atMost);
    QVERIFY2(guided <= atMost, counts.constData());
    // The 16-bit variant is the same mask.
    const cv::Mat up16 = upsampleMaskGuided16(low, photo);
    QCOMPARE(up16.type(), CV_16UC1);
    cv::Mat diff;
    cv::absdiff(asFloat(up16), up, diff);
    QVERIFY(cv::norm(diff, cv::NORM_INF) <= 1.0 / 65535.0 + 1e-6);
    // Beyond the filter's reach (the blur and 3 of the low-resolution pixels) the
    // background's texture does not leak into the mask, and near-certain is exact.
    const cv::Mat dist = signedDistance(disc);
    const float far = static_cast<float>((3 + 3 * blur + std::abs(offset)) * lowResPixel);
    double outsideMax, insideMin;
    cv::minMaxLoc(up, nullptr, &outsideMax, nullptr, nullptr, dist > far);
    cv::minMaxLoc(up, &insideMin, nullptr, nullptr, nullptr, dist < -far);
    QVERIFY2(outsideMax == 0.0, qPrintable(QString("background reaches %1").arg(outsideMax)));
    QVERIFY2(insideMin == 1.0, qPrintable(QString("foreground drops to %1").arg(insideMin)));
}

void TestRefine::upsampleRejectsBadInput() {
    const cv::Mat photo(64, 64, CV_8UC3, cv::Scalar::all(128));
    QVERIFY_THROWS_EXCEPTION(hz::Error, upsampleMaskGuided(cv::Mat(8, 8, CV_8UC1, cv::Scalar(1)), photo));
    QVERIFY_THROWS_EXCEPTION(hz::Error, upsampleMaskGuided(cv::Mat(8, 8, CV_32FC1, cv::Scalar(1)), cv::Mat()));
    QVERIFY_THROWS_EXCEPTION(hz::Error,
                             upsampleMaskGuided(cv::Mat(8, 8, CV_32FC1, cv::Scalar(1)), cv::Mat(64, 64, CV_8UC1)));
}

void TestRefine::identityIsAnExactCopy_data() {
    QTest::addColumn<bool>("withPhoto");
    QTest::newRow("with the photo") << true;
    QTest::newRow("without a photo") << false;
}

void TestRefine::identityIsAnExactCopy() {
    QFETCH(bool, withPhoto);
    cv::Mat mask(120, 90, CV_16UC1);
    cv::RNG(3).fill(mask, cv::RNG::UNIFORM, 0, 65536);
    const cv::Mat photo = withPhoto ? cv::Mat(120, 90, CV_8UC3, cv::Scalar(10, 20, 30)) : cv::Mat();
    const cv::Mat out = refineEdge(mask, photo, RefineEdgeParams{});
    QCOMPARE(out.type(), CV_16UC1);
    QCOMPARE(cv::norm(out, mask, cv::NORM_INF), 0.0);
    QVERIFY(out.data != mask.data);  // a copy: editing it leaves the caller's mask alone
}

void TestRefine::shiftMovesTheEdgeByPixels_data() {
    QTest::addColumn<double>("shift");
    QTest::newRow("grow 0.5") << 0.5;
    QTest::newRow("grow 7.25") << 7.25;
    QTest::newRow("grow 60") << 60.0;
    QTest::newRow("shrink 3.5") << -3.5;
    QTest::newRow("shrink 40") << -40.0;
    QTest::newRow("shrink 100") << -100.0;
}

void TestRefine::shiftMovesTheEdgeByPixels() {
    QFETCH(double, shift);
    const Disc disc{{500, 420}, {250.3, 210.6}, 150.0};
    const cv::Mat mask = toMask16(truthMask(disc));
    RefineEdgeParams params;
    params.shift = shift;
    const cv::Mat out = refineEdge(mask, cv::Mat(), params);
    QCOMPARE(out.size(), mask.size());
    const double expected = M_PI * (disc.radius + shift) * (disc.radius + shift);
    const double got = area(out);
    // The area of the disc grown by `shift`: within 1 % plus a pixel's width along the outline.
    QVERIFY2(std::abs(got - expected) <= 0.01 * expected + 2 * M_PI * (disc.radius + shift),
             qPrintable(QString("area %1, expected %2").arg(got).arg(expected)));
    // And the edge is where it should be.
    const Disc moved{disc.size, disc.centre, disc.radius + shift};
    QCOMPARE(misplaced(asFloat(out), moved, 1.0), 0);
}

void TestRefine::shiftIsMonotonic_data() {
    QTest::addColumn<bool>("soft");
    QTest::newRow("binary mask") << false;
    QTest::newRow("soft mask") << true;
}

void TestRefine::shiftIsMonotonic() {
    QFETCH(bool, soft);
    const Disc disc{{300, 260}, {140.5, 131.2}, 80.0};
    cv::Mat maskF = truthMask(disc);
    if (soft) cv::GaussianBlur(maskF, maskF, cv::Size(), 4.0);
    const cv::Mat mask = toMask16(maskF);
    double previous = -1;
    cv::Mat previousMask;
    for (double shift : {-30.0, -5.0, -1.5, -0.25, 0.0, 0.25, 1.0, 3.5, 12.0, 40.0}) {
        RefineEdgeParams params;
        params.shift = shift;
        const cv::Mat out = refineEdge(mask, cv::Mat(), params);
        const double a = area(out);
        QVERIFY2(a > previous, qPrintable(QString("area %1 at shift %2 after %3").arg(a).arg(shift).arg(previous)));
        if (!previousMask.empty()) {
            // Pixel by pixel too: growing never takes anything away.
            cv::Mat lower = out < previousMask;
            QCOMPARE(cv::countNonZero(lower), 0);
        }
        previous = a;
        previousMask = out;
    }
}

void TestRefine::featherSoftens_data() {
    QTest::addColumn<double>("feather");
    QTest::newRow("1.5 px (exact kernel)") << 1.5;
    QTest::newRow("8 px (three boxes)") << 8.0;
    QTest::newRow("60 px") << 60.0;
}

void TestRefine::featherSoftens() {
    QFETCH(double, feather);
    const Disc disc{{600, 600}, {300.0, 300.0}, 200.0};
    const cv::Mat mask = toMask16(truthMask(disc));
    RefineEdgeParams params;
    params.feather = feather;
    const cv::Mat out = asFloat(refineEdge(mask, cv::Mat(), params));
    cv::Mat soft = (out > 0.02f) & (out < 0.98f);
    QCOMPARE(cv::countNonZero((asFloat(mask) > 0.02f) & (asFloat(mask) < 0.98f)), 0);
    // A ring of soft pixels about 4.1 sigma wide (a Gaussian's 2 % .. 98 % span), along the outline.
    const double ring = 2 * M_PI * disc.radius * 4.1 * feather;
    QVERIFY2(std::abs(cv::countNonZero(soft) - ring) < 0.25 * ring + 2 * M_PI * disc.radius,
             qPrintable(QString("%1 soft pixels, expected about %2").arg(cv::countNonZero(soft)).arg(ring)));
    // The mass stays (a blur moves it, the outline curves a little: 2 %).
    QVERIFY(std::abs(cv::sum(out)[0] - area(mask)) < 0.02 * area(mask));
    // On the outline (between pixels 499 and 500 of row 300) the mask is half way, while the
    // blur is small against the disc's curvature.
    if (feather <= 10) QVERIFY(std::abs(0.5f * (out.at<float>(300, 499) + out.at<float>(300, 500)) - 0.5f) < 0.05f);
}

void TestRefine::radiusFollowsThePhotoInsideItsBand_data() {
    QTest::addColumn<double>("radius");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("block");  // px: how coarse the mask is, so its error fits in the band
    QTest::newRow("4 px (statistics at full resolution)") << 4.0 << CV_8U << 6;
    QTest::newRow("12 px") << 12.0 << CV_8U << 20;
    QTest::newRow("12 px, 16-bit photo") << 12.0 << CV_16U << 20;
    QTest::newRow("30 px (statistics at reduced resolution)") << 30.0 << CV_8U << 20;
}

void TestRefine::radiusFollowsThePhotoInsideItsBand() {
    QFETCH(double, radius);
    QFETCH(int, depth);
    QFETCH(int, block);
    // A mask that misses the photo's edge by up to half a block in a jagged way (as painted).
    const Disc disc{{480, 400}, {230.0, 205.0}, 130.0};
    const cv::Mat photo = discPhoto(disc, depth);
    cv::Mat rough;
    cv::resize(truthMask(disc), rough, {480 / block, 400 / block}, 0, 0, cv::INTER_AREA);
    cv::resize(rough, rough, disc.size, 0, 0, cv::INTER_NEAREST);
    const cv::Mat mask = toMask16(rough);
    const double tolerance = block <= 8 ? 1.0 : 2.0;
    const int before = misplaced(rough, disc, tolerance);
    QVERIFY2(before > 100, qPrintable(QString("only %1 misplaced pixels: the test proves nothing").arg(before)));

    RefineEdgeParams params;
    params.radius = radius;
    const cv::Mat out = refineEdge(mask, photo, params);
    QCOMPARE(out.type(), CV_16UC1);
    const int after = misplaced(asFloat(out), disc, tolerance);
    QVERIFY2(after < before / 10, qPrintable(QString("%1 misplaced pixels before, %2 after").arg(before).arg(after)));
    // Beyond the band nothing changes, bit for bit.
    cv::Mat inside = rough >= 0.5f, edge, far;
    cv::morphologyEx(inside, edge, cv::MORPH_GRADIENT, cv::Mat());
    cv::Mat dist;
    cv::distanceTransform(~edge, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
    far = dist > static_cast<float>(radius + 1);
    cv::Mat changed = (out != mask) & far;
    QCOMPARE(cv::countNonZero(changed), 0);
}

void TestRefine::cancelReturnsEmpty_data() {
    QTest::addColumn<double>("radius");
    QTest::addColumn<double>("shift");
    QTest::addColumn<double>("feather");
    QTest::newRow("identity") << 0.0 << 0.0 << 0.0;
    QTest::newRow("every stage") << 5.0 << 2.0 << 3.0;
}

void TestRefine::cancelReturnsEmpty() {
    QFETCH(double, radius);
    QFETCH(double, shift);
    QFETCH(double, feather);
    const Disc disc{{200, 160}, {100.0, 80.0}, 50.0};
    const cv::Mat photo = discPhoto(disc, CV_8U);
    const cv::Mat mask = toMask16(truthMask(disc));
    RefineEdgeParams params{radius, shift, feather};
    std::atomic<bool> cancel{true};
    QVERIFY(refineEdge(mask, photo, params, &cancel).empty());
    cancel = false;
    QVERIFY(!refineEdge(mask, photo, params, &cancel).empty());
}

void TestRefine::outOfRangeIsAnError_data() {
    QTest::addColumn<double>("radius");
    QTest::addColumn<double>("shift");
    QTest::addColumn<double>("feather");
    QTest::addColumn<QString>("message");
    QTest::newRow("radius too large") << 251.0 << 0.0 << 0.0 << "radius";
    QTest::newRow("negative feather") << 0.0 << 0.0 << -1.0 << "feather";
    QTest::newRow("shift too small") << 0.0 << -101.0 << 0.0 << "shift";
    QTest::newRow("not a number") << 0.0 << std::nan("") << 0.0 << "shift";
}

void TestRefine::outOfRangeIsAnError() {
    QFETCH(double, radius);
    QFETCH(double, shift);
    QFETCH(double, feather);
    QFETCH(QString, message);
    const cv::Mat mask(10, 10, CV_16UC1, cv::Scalar(0));
    try {
        refineEdge(mask, cv::Mat(10, 10, CV_8UC3), RefineEdgeParams{radius, shift, feather});
        QFAIL("no error");
    } catch (const hz::Error& e) {
        QVERIFY2(QString(e.what()).contains(message), e.what());
    }
}

void TestRefine::specsDescribeTheStruct() {
    RefineEdgeParams params;
    int i = 0;
    for (const auto& spec : refineEdgeSpecs()) {
        QVERIFY(spec.minimum <= spec.defaultValue && spec.defaultValue <= spec.maximum);
        QCOMPARE(params.*spec.member, spec.defaultValue);
        params.*spec.member = ++i;
    }
    QCOMPARE(params.radius, 1.0);
    QCOMPARE(params.shift, 2.0);
    QCOMPARE(params.feather, 3.0);
}

QTEST_GUILESS_MAIN(TestRefine)
#include "test_refine.moc"
