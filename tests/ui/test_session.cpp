// The editor's headless pieces: session sidecar, mask operations, compose and export.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <sys/stat.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <fstream>

#include "core/image_io.h"
#include "core/render/renderer.h"
#include "core/session/compose.h"
#include "core/session/export.h"
#include "core/session/mask_ops.h"
#include "core/session/session_file.h"

using namespace hz;

namespace {

cv::Mat randomImage(cv::Size size, int type, unsigned seed) {
    cv::Mat image(size, type);
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0, type == CV_16UC3 ? 65536 : 256);
    cv::GaussianBlur(image, image, cv::Size(0, 0), 1.5);
    return image;
}

cv::Mat discMask(cv::Size size, cv::Point centre, int radius) {
    cv::Mat mask = cv::Mat::zeros(size, CV_16UC1);
    cv::circle(mask, centre, radius, cv::Scalar(65535), cv::FILLED);
    return mask;
}

QByteArray fileBytes(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

bool equalMats(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

FilterParams someParams() {
    FilterParams p;
    p.temperature = 0.1234567;
    p.brightness = -0.2;
    p.contrast = 0.31;
    p.saturation = -0.4;
    p.highlight = 0.25;
    p.shadow = -0.15;
    return p;
}

}  // namespace

class TestSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sidecarRoundTrip();
    void sidecarRejects_data();
    void sidecarRejects();
    void oversizedOrSpecialSidecarIsRefused();
    void roundingMatchesPrintedValues();
    void invertAndFeather();
    void brushStroke_data();
    void brushStroke();
    void strokeIsContinuousAtAnySpeed();
    void overlappingStampsDoNotBuildUp();
    void composeKeepsBackgroundOutsideLayer();
    void composeLayersStacksAndUnitesMasks();
    void sidecarKeepsLayers();
    void exportEqualsRenderAndWrite_data();
    void exportEqualsRenderAndWrite();
    void exportCancels();
    void exportRefusesInputs();
};

void TestSession::sidecarRoundTrip() {
    QTemporaryDir dir;
    const std::string sidecar = dir.filePath("work/edit.hzsession").toStdString();
    QDir(dir.path()).mkpath("work/images");
    SessionFile session;
    session.imagePath = dir.filePath("work/images/photo.jpg").toStdString();
    session.maskPath = "/elsewhere/mask.png";
    session.values = someParams();
    session.predicted = someParams();
    session.predicted->shadow = 0.5;
    session.amount = 0.75;
    session.modelVersion = "test-1";
    writeSession(sidecar, session);

    const std::string text = [&] {
        std::ifstream in(sidecar);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    // Below the sidecar's folder: relative, so the folder can move. Elsewhere: absolute.
    QVERIFY(text.find("\"images/photo.jpg\"") != std::string::npos);
    QVERIFY(text.find("\"/elsewhere/mask.png\"") != std::string::npos);
    QVERIFY(text.find("\"formatVersion\": 1") != std::string::npos);

    const SessionFile back = readSession(sidecar);
    QCOMPARE(back.imagePath, session.imagePath);
    QCOMPARE(back.maskPath, session.maskPath);
    QVERIFY(back.values == roundToSidecarPrecision(session.values));
    QVERIFY(back.predicted.has_value());
    QVERIFY(*back.predicted == roundToSidecarPrecision(*session.predicted));
    QCOMPARE(back.amount, 0.75);
    QCOMPARE(back.modelVersion, std::string("test-1"));

    session.predicted.reset();
    writeSession(sidecar, session);
    QVERIFY(!readSession(sidecar).predicted.has_value());
}

void TestSession::sidecarRejects_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    const QString values = R"("values": {"temperature": 0, "brightness": 0, "contrast": 0, "saturation": 0, "highlight": 0, "shadow": 0})";
    QTest::newRow("not json") << "{oops" << "not a session file";
    QTest::newRow("other format") << R"({"format": "x", "formatVersion": 1})" << "not a Harmonizer Studio session";
    QTest::newRow("newer version") << R"({"format": "harmonizer-studio-session", "formatVersion": 99})" << "newer";
    QTest::newRow("no image") << QString(R"({"format": "harmonizer-studio-session", "formatVersion": 1, %1})").arg(values)
                              << "\"image\" is missing";
    QTest::newRow("value out of range")
        << R"({"format": "harmonizer-studio-session", "formatVersion": 1, "image": "a.jpg", "values": {"temperature": 3, "brightness": 0, "contrast": 0, "saturation": 0, "highlight": 0, "shadow": 0}})"
        << "temperature";
    const QString head = QString(R"("format": "harmonizer-studio-session", "formatVersion": 2, "image": "a.png", %1)").arg(values);
    QTest::newRow("compose without background") << QString(R"({%1, "compose": {"layers": []}})").arg(head) << "\"background\" is missing";
    QTest::newRow("compose layers not a list")
        << QString(R"({%1, "compose": {"background": "b.png", "layers": 3}})").arg(head) << "\"layers\" is missing or not a list";
    QTest::newRow("layer without image")
        << QString(R"({%1, "compose": {"background": "b.png", "layers": [{"x": 1, "y": 2, "scale": 1}]}})").arg(head)
        << "a layer has no \"image\"";
    QTest::newRow("layer scale zero")
        << QString(R"({%1, "compose": {"background": "b.png", "layers": [{"image": "f.png", "x": 1, "y": 2, "scale": 0}]}})").arg(head)
        << "\"scale\" must be above zero";
    QTest::newRow("layer x not a number")
        << QString(R"({%1, "compose": {"background": "b.png", "layers": [{"image": "f.png", "x": "left", "y": 2, "scale": 1}]}})").arg(head)
        << "\"x\" is not a number";
    QTest::newRow("amount out of range")
        << QString(R"({"format": "harmonizer-studio-session", "formatVersion": 1, "image": "a.jpg", %1, "amount": 2})").arg(values)
        << "amount";
}

void TestSession::sidecarRejects() {
    QFETCH(QString, json);
    QFETCH(QString, expected);
    try {
        sessionFromJson(json.toStdString(), "/tmp/x.hzsession");
        QFAIL("accepted a bad sidecar");
    } catch (const Error& e) {
        const QString message = QString::fromStdString(e.what());
        QVERIFY2(message.contains("/tmp/x.hzsession"), qPrintable(message));
        QVERIFY2(message.contains(expected), qPrintable(message));
    }
}

// A sidecar is read only when it is a regular file of at most a few megabytes: a 200 MB
// file used to be read whole, a FIFO would block the editor.
void TestSession::oversizedOrSpecialSidecarIsRefused() {
    QTemporaryDir dir;
    const std::string big = (dir.path() + "/big.hzsession").toStdString();
    {
        std::ofstream out(big, std::ios::binary);
        out << "{";
        out << std::string(std::size_t(5) << 20, ' ');
        out << "}";
    }
    QString message;
    try {
        readSession(big);
    } catch (const Error& e) {
        message = e.what();
    }
    QVERIFY2(message.startsWith(QString::fromStdString(big)) && message.contains("too large"), qPrintable(message));
    const std::string fifo = (dir.path() + "/fifo.hzsession").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    message.clear();
    try {
        readSession(fifo);
    } catch (const Error& e) {
        message = e.what();
    }
    QVERIFY2(message.contains("not a regular file"), qPrintable(message));
}

void TestSession::roundingMatchesPrintedValues() {
    QCOMPARE(roundToSidecarPrecision(0.1234567), 0.123457);
    QCOMPARE(roundToSidecarPrecision(-0.0000001), 0.0);
    QVERIFY(!std::signbit(roundToSidecarPrecision(-0.0000001)));
    const FilterParams rounded = roundToSidecarPrecision(someParams());
    QCOMPARE(paramsFromJson(paramsToJson(someParams())).temperature, rounded.temperature);
}

void TestSession::invertAndFeather() {
    const cv::Mat mask = discMask(cv::Size(64, 48), cv::Point(32, 24), 10);
    const cv::Mat inverted = invertMask(mask);
    QCOMPARE(inverted.at<std::uint16_t>(24, 32), std::uint16_t(0));
    QCOMPARE(inverted.at<std::uint16_t>(0, 0), std::uint16_t(65535));
    QVERIFY(equalMats(invertMask(inverted), mask));

    const cv::Mat soft = featherMask(mask, 6.0);
    // The edge becomes a ramp; the centre and far corners stay put.
    QCOMPARE(soft.at<std::uint16_t>(24, 32), std::uint16_t(65535));
    QCOMPARE(soft.at<std::uint16_t>(0, 0), std::uint16_t(0));
    const std::uint16_t edge = soft.at<std::uint16_t>(24, 42);
    QVERIFY2(edge > 10000 && edge < 55000, qPrintable(QString::number(edge)));
    QVERIFY(equalMats(featherMask(mask, 0.0), mask));
    QVERIFY_THROWS_EXCEPTION(Error, invertMask(cv::Mat(4, 4, CV_8UC1)));
}

void TestSession::brushStroke_data() {
    QTest::addColumn<bool>("erase");
    QTest::addColumn<double>("opacity");
    QTest::addColumn<int>("expectedCentre");
    QTest::newRow("paint full") << false << 1.0 << 65535;
    QTest::newRow("paint half") << false << 0.5 << 32768;
    QTest::newRow("erase full") << true << 1.0 << 0;
    QTest::newRow("erase half") << true << 0.5 << 32768;
}

void TestSession::brushStroke() {
    QFETCH(bool, erase);
    QFETCH(double, opacity);
    QFETCH(int, expectedCentre);
    cv::Mat mask(100, 100, CV_16UC1, cv::Scalar(erase ? 65535 : 0));
    const cv::Mat before = mask.clone();
    BrushSettings brush;
    brush.radius = 8;
    brush.hardness = 0.5;
    brush.opacity = opacity;
    brush.erase = erase;
    BrushStroke stroke(mask, brush);
    stroke.stampAt(mask, {20.0, 50.0});
    const cv::Rect changed = stroke.lineTo(mask, {80.0, 50.0});
    QVERIFY(!changed.empty());
    QCOMPARE(int(mask.at<std::uint16_t>(50, 50)), expectedCentre);
    // Untouched far away, and the undo patch gives back exactly the old pixels.
    QCOMPARE(mask.at<std::uint16_t>(5, 5), before.at<std::uint16_t>(5, 5));
    const cv::Rect all = stroke.changedRect();
    QVERIFY(all.contains(cv::Point(20, 50)) && all.contains(cv::Point(79, 50)));
    const cv::Mat original = stroke.originalPatch(mask, all);
    QVERIFY(equalMats(original, before(all)));
    pastePatch(mask, all, original);
    QVERIFY(equalMats(mask, before));
}

void TestSession::strokeIsContinuousAtAnySpeed() {
    // A single jump of 300 px (a fast mouse at low zoom) still paints an unbroken line.
    cv::Mat mask = cv::Mat::zeros(200, 400, CV_16UC1);
    BrushSettings brush;
    brush.radius = 3;
    brush.hardness = 1.0;
    BrushStroke stroke(mask, brush);
    stroke.stampAt(mask, {50.5, 100.5});
    stroke.lineTo(mask, {350.5, 100.5});
    for (int x = 50; x <= 350; ++x) QVERIFY2(mask.at<std::uint16_t>(100, x) == 65535, qPrintable(QString::number(x)));
    // Many tiny moves (a slow mouse at high zoom) give the same line as one long move: the
    // stamps are spaced by distance travelled, not by events.
    cv::Mat slow = cv::Mat::zeros(200, 400, CV_16UC1);
    BrushStroke slowStroke(slow, brush);
    slowStroke.stampAt(slow, {50.5, 100.5});
    for (int i = 1; i <= 3000; ++i) slowStroke.lineTo(slow, {50.5 + i * 0.1, 100.5});
    for (int x = 50; x <= 350; ++x) QVERIFY(slow.at<std::uint16_t>(100, x) == 65535);
    QVERIFY(std::abs(cv::countNonZero(slow) - cv::countNonZero(mask)) <= cv::countNonZero(mask) / 50);
}

void TestSession::overlappingStampsDoNotBuildUp() {
    cv::Mat mask = cv::Mat::zeros(60, 60, CV_16UC1);
    BrushSettings brush;
    brush.radius = 10;
    brush.hardness = 0.2;
    brush.opacity = 0.3;
    BrushStroke stroke(mask, brush);
    stroke.stampAt(mask, {30.0, 30.0});
    for (int i = 0; i < 20; ++i) stroke.lineTo(mask, {30.0 + (i % 2), 30.0});
    double lo = 0, hi = 0;
    cv::minMaxLoc(mask, &lo, &hi);
    QCOMPARE(hi, std::round(0.3 * 65535));
}

void TestSession::composeKeepsBackgroundOutsideLayer() {
    const cv::Mat background = randomImage(cv::Size(120, 80), CV_8UC3, 1);
    ForegroundLayer layer;
    layer.pixels = cv::Mat(40, 30, CV_16UC3, cv::Scalar(65535, 0, 0));  // other depth on purpose
    layer.alpha16 = cv::Mat(40, 30, CV_16UC1, cv::Scalar(65535));
    layer.alpha16(cv::Rect(0, 0, 30, 10)).setTo(cv::Scalar(32768));
    LayerPlacement placement;
    placement.x = 50;
    placement.y = 20;
    placement.scale = 0.5;
    const Composite out = composeLayer(background, layer, placement);
    QCOMPARE(out.image.type(), background.type());
    const cv::Rect bounds = layerBounds(layer.pixels.size(), placement);
    QCOMPARE(bounds, cv::Rect(50, 20, 15, 20));
    cv::Mat outside = cv::Mat::ones(background.size(), CV_8UC1);
    outside(bounds).setTo(0);
    cv::Mat diff;
    cv::absdiff(out.image, background, diff);
    cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
    QCOMPARE(cv::countNonZero(diff & outside), 0);
    QCOMPARE(out.image.at<cv::Vec3b>(35, 57), cv::Vec3b(255, 0, 0));
    QCOMPARE(out.mask16.at<std::uint16_t>(35, 57), std::uint16_t(65535));
    QCOMPARE(out.mask16.at<std::uint16_t>(5, 5), std::uint16_t(0));
    // Half alpha: halfway between background and blue.
    const cv::Vec3b bg = background.at<cv::Vec3b>(21, 57), mixed = out.image.at<cv::Vec3b>(21, 57);
    QVERIFY(std::abs(int(mixed[0]) - (int(bg[0]) + 255) / 2) <= 1);
    // Partly outside the background: clipped, no throw.
    placement.x = 110;
    QVERIFY(cv::countNonZero(composeLayer(background, layer, placement).mask16) > 0);
    placement.scale = 0;
    QVERIFY_THROWS_EXCEPTION(Error, composeLayer(background, layer, placement));
}

void TestSession::composeLayersStacksAndUnitesMasks() {
    const cv::Mat background = randomImage(cv::Size(120, 80), CV_8UC3, 3);
    ForegroundLayer a, b;
    a.pixels = cv::Mat(20, 20, CV_8UC3, cv::Scalar(0, 0, 255));
    a.alpha16 = cv::Mat(20, 20, CV_16UC1, cv::Scalar(32768));  // half
    b.pixels = cv::Mat(20, 20, CV_8UC3, cv::Scalar(0, 255, 0));
    b.alpha16 = cv::Mat(20, 20, CV_16UC1, cv::Scalar(32768));
    const LayerPlacement pa{10, 10, 1.0}, pb{20, 10, 1.0};  // overlap in x 20..29
    // One layer is exactly composeLayer.
    const Composite one = composeLayers(background, {{&a, pa}});
    const Composite single = composeLayer(background, a, pa);
    QCOMPARE(cv::norm(one.image, single.image, cv::NORM_INF), 0.0);
    QCOMPARE(cv::norm(one.mask16, single.mask16, cv::NORM_INF), 0.0);
    // Two: b over a over the background; the mask is their union.
    const Composite two = composeLayers(background, {{&a, pa}, {&b, pb}});
    const Composite expected = composeLayer(single.image, b, pb);
    QCOMPARE(cv::norm(two.image, expected.image, cv::NORM_INF), 0.0);
    QCOMPARE(two.mask16.at<std::uint16_t>(15, 12), std::uint16_t(32768));  // a only
    QCOMPARE(two.mask16.at<std::uint16_t>(15, 35), std::uint16_t(32768));  // b only
    // Both: 0.5 + 0.5 * 0.5 = 0.75.
    QVERIFY(std::abs(int(two.mask16.at<std::uint16_t>(15, 25)) - int(std::lround(0.75 * 65535))) <= 1);
    QCOMPARE(two.mask16.at<std::uint16_t>(60, 100), std::uint16_t(0));
    // Outside every layer the background stays bit for bit.
    QCOMPARE(two.image.at<cv::Vec3b>(60, 100), background.at<cv::Vec3b>(60, 100));
    // No layers: the bare background.
    QCOMPARE(cv::norm(composeLayers(background, {}).image, background, cv::NORM_INF), 0.0);
}

void TestSession::sidecarKeepsLayers() {
    QTemporaryDir dir;
    const std::string sidecar = dir.filePath("comp.hzsession").toStdString();
    SessionFile session;
    session.imagePath = dir.filePath("comp.composite.png").toStdString();
    session.maskPath = dir.filePath("comp.mask.png").toStdString();
    SessionCompose compose;
    compose.backgroundPath = dir.filePath("bg.jpg").toStdString();
    compose.layers.push_back({dir.filePath("fg.png").toStdString(), "", 12.5, -3.0, 0.625});
    compose.layers.push_back({"/elsewhere/pasted.png", "/elsewhere/pasted.mask.png", 100.0, 40.0, 2.0});
    compose.active = 0;
    session.compose = compose;
    writeSession(sidecar, session);
    const SessionFile back = readSession(sidecar);
    QCOMPARE(back.formatVersion, 2);
    QVERIFY(back.compose.has_value());
    QCOMPARE(back.compose->backgroundPath, compose.backgroundPath);
    QCOMPARE(int(back.compose->layers.size()), 2);
    for (int i = 0; i < 2; ++i) {
        const SessionLayer &x = back.compose->layers[i], &y = compose.layers[i];
        QCOMPARE(x.imagePath, y.imagePath);
        QCOMPARE(x.maskPath, y.maskPath);
        QCOMPARE(x.x, y.x);
        QCOMPARE(x.y, y.y);
        QCOMPARE(x.scale, y.scale);
    }
    QCOMPARE(back.compose->active, 0);
    // Paths beside the sidecar are stored relative to it.
    std::ifstream in(sidecar);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    QVERIFY(text.find("\"fg.png\"") != std::string::npos);
    // Without layers: version 1, no compose section.
    session.compose.reset();
    writeSession(sidecar, session);
    QCOMPARE(readSession(sidecar).formatVersion, 1);
    QVERIFY(!readSession(sidecar).compose.has_value());
}

void TestSession::exportEqualsRenderAndWrite_data() {
    QTest::addColumn<QString>("extension");
    QTest::addColumn<int>("type");
    QTest::addColumn<double>("amount");
    QTest::newRow("png 8-bit") << "png" << CV_8UC3 << 1.0;
    QTest::newRow("jpeg 8-bit q80") << "jpg" << CV_8UC3 << 0.6;
    QTest::newRow("tiff 16-bit") << "tif" << CV_16UC3 << 0.85;
    QTest::newRow("png 16-bit") << "png" << CV_16UC3 << 1.0;
}

void TestSession::exportEqualsRenderAndWrite() {
    QFETCH(QString, extension);
    QFETCH(int, type);
    QFETCH(double, amount);
    QTemporaryDir dir;
    // Tall enough for several bands: the banded render must equal one whole render.
    const cv::Mat image = randomImage(cv::Size(97, 1300), type, 7);
    cv::Mat mask = discMask(image.size(), cv::Point(48, 600), 300);
    cv::GaussianBlur(mask, mask, cv::Size(0, 0), 5);
    const FilterParams params = someParams();

    ExportSettings settings;
    settings.path = dir.filePath("exported." + extension).toStdString();
    settings.jpegQuality = 80;
    double lastProgress = 0;
    QVERIFY(exportRendered(image, mask, params, amount, settings, [&](double p) { lastProgress = p; }));
    QCOMPARE(lastProgress, 1.0);

    // What `harmonizer-cli apply` does with the printed values.
    RenderOptions options;
    options.amount = roundToSidecarPrecision(amount);
    cv::Mat reference;
    QVERIFY(render(image, mask, paramsFromJson(paramsToJson(params)), reference, options));
    const QString referencePath = dir.filePath("reference." + extension);
    writeImageAtomic(referencePath.toStdString(), reference, {}, [] { WriteOptions o; o.jpegQuality = 80; return o; }());
    const QByteArray exported = fileBytes(QString::fromStdString(settings.path));
    QVERIFY(!exported.isEmpty());
    QVERIFY2(exported == fileBytes(referencePath), "export differs from render + writeImageAtomic");
    QCOMPARE(cv::imread(settings.path, cv::IMREAD_UNCHANGED).depth(), image.depth());
}

void TestSession::exportCancels() {
    QTemporaryDir dir;
    const cv::Mat image = randomImage(cv::Size(64, 64), CV_8UC3, 3);
    std::atomic<bool> cancel{true};
    ExportSettings settings;
    settings.path = dir.filePath("never.png").toStdString();
    QVERIFY(!exportRendered(image, discMask(image.size(), {32, 32}, 10), someParams(), 1.0, settings, {}, &cancel));
    QVERIFY(!QFile::exists(dir.filePath("never.png")));
}

void TestSession::exportRefusesInputs() {
    QTemporaryDir dir;
    const cv::Mat image = randomImage(cv::Size(32, 32), CV_8UC3, 4);
    const QString input = dir.filePath("input.png");
    writeImageAtomic(input.toStdString(), image);
    ExportSettings settings;
    settings.path = input.toStdString();
    settings.inputs = {input.toStdString()};
    QVERIFY_THROWS_EXCEPTION(Error, exportRendered(image, discMask(image.size(), {16, 16}, 5), {}, 1.0, settings));
    settings.path = dir.filePath("out.gif").toStdString();
    QVERIFY_THROWS_EXCEPTION(Error, exportRendered(image, discMask(image.size(), {16, 16}, 5), {}, 1.0, settings));
}

QTEST_GUILESS_MAIN(TestSession)
#include "test_session.moc"
