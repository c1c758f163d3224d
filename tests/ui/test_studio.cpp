// harmonizer-studio through its real widgets on the offscreen platform: open the sample,
// Harmonize with a model file written here, sliders, preview, undo, painting with
// simulated mouse events, export, session round trip, errors, compose mode.
#include <QAction>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSlider>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QUndoStack>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <memory>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/predictor.h"
#include "core/render/renderer.h"
#include "core/session/session_file.h"
#include "ui/commands.h"
#include "ui/editor_document.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/params_panel.h"
#include "ui/preview_controller.h"
#include "ui/preview_renderer.h"
#include "tests/photo/photo_fixtures.h"

using namespace hz;
using namespace hz::ui;

namespace {

const QString kSampleImage = QStringLiteral(HZ_SAMPLE_DIR "/composite.jpg");
const QString kSampleMask = QStringLiteral(HZ_SAMPLE_DIR "/mask.png");
constexpr int kWait = 60000;

QByteArray fileBytes(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool equalMats(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

QAction* findAction(QWidget* window, const QString& text) {
    for (QAction* action : window->findChildren<QAction*>())
        if (action->text().remove('&') == text) return action;
    return nullptr;
}

}  // namespace

class TestStudio : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void opensSampleAndShowsPreview();
    void harmonizeGivesPredictorValues();
    void sliderChangesPreviewAndUndoRestores_data();
    void sliderChangesPreviewAndUndoRestores();
    void sliderDragIsOneUndoStep();
    void resetButtons();
    void paintStrokeChangesMask_data();
    void paintStrokeChangesMask();
    void bracketKeysResizeBrush();
    void maskOperationsAreUndoable_data();
    void maskOperationsAreUndoable();
    void exportEqualsRenderAndWrite_data();
    void exportEqualsRenderAndWrite();
    void exportKeepsPhotoMetadata_data();
    void exportKeepsPhotoMetadata();
    void displayGoesThroughTheProfile();
    void layerDisplayCarriesAlphaAtScreenSize_data();
    void layerDisplayCarriesAlphaAtScreenSize();
    void sessionRoundTrip();
    void missingModelExplainsAndEditorStillWorks();
    void badFilesKeepCurrentWork_data();
    void badFilesKeepCurrentWork();
    void beforeAfterAndSplit();
    void wheelZoomKeepsPointUnderCursor();
    void strokeWhileTheLevelIsOnItsWayShowsOnIt();
    void composeMoveAndFlatten();
    void dropImageAndMask();
    void unsavedChangesAreNotLostSilently_data();
    void unsavedChangesAreNotLostSilently();

private:
    std::unique_ptr<MainWindow> makeWindow(const QString& modelPath);
    bool waitForPreview(MainWindow& window);

    QTemporaryDir dir_;
    QString modelPath_;
    std::unique_ptr<MainWindow> window_;
};

void TestStudio::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    QVERIFY2(QFile::exists(kSampleImage), qPrintable(kSampleImage));
    // A random-initialised network: its values are arbitrary but must equal hz::Predictor's.
    modelPath_ = dir_.filePath("random.hzm");
    torch::manual_seed(5);
    HarmonizerNet net;
    ModelMetadata metadata;
    metadata.modelVersion = "test-random";
    for (const auto& spec : filterSpecs()) metadata.filterOrder.push_back(spec.key);
    saveModel(modelPath_.toStdString(), net, metadata);
}

std::unique_ptr<MainWindow> TestStudio::makeWindow(const QString& modelPath) {
    StudioOptions options;
    options.modelPath = modelPath.toStdString();
    options.confirmClose = false;
    options.threads = 1;
    options.autoHarmonize = false;  // these tests press Harmonize themselves
    auto window = std::make_unique<MainWindow>(options);
    window->resize(1100, 760);
    window->show();
    return window;
}

bool TestStudio::waitForPreview(MainWindow& window) {
    PreviewController* preview = window.preview();
    return QTest::qWaitFor(
        [&] {
            return preview->hasLevel() && preview->lastRequestedGeneration() > 0 &&
                   window.canvas()->previewGeneration() >= preview->lastRequestedGeneration();
        },
        kWait);
}

void TestStudio::init() {
    window_ = makeWindow(modelPath_);
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QVERIFY2(window_->openImage(kSampleImage, kSampleMask), qPrintable(window_->lastError()));
    QVERIFY(waitForPreview(*window_));
}

void TestStudio::cleanup() { window_.reset(); }

void TestStudio::opensSampleAndShowsPreview() {
    EditorDocument* doc = window_->document();
    const LoadedImage sample = loadImage(kSampleImage.toStdString());
    QVERIFY(equalMats(*doc->image(), sample.pixels));
    QVERIFY(equalMats(doc->mask(), loadMask(kSampleMask.toStdString(), sample.pixels.size())));
    // The preview is rendered at the view's scale, not at full size (fit: smaller than 717x1024 here).
    const QImage preview = window_->canvas()->previewImage();
    QVERIFY(!preview.isNull());
    QVERIFY(preview.height() < sample.pixels.rows);
    QVERIFY(window_->canvas()->isFitMode());
    QVERIFY(window_->windowTitle().contains("composite.jpg"));
}

void TestStudio::harmonizeGivesPredictorValues() {
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    QPushButton* button = window_->paramsPanel()->harmonizeButton();
    QTest::mouseClick(button, Qt::LeftButton);
    // The window says it is working while the worker predicts.
    QVERIFY(window_->isHarmonizing() || finished.count() == 1);
    QVERIFY(finished.count() == 1 || !button->isEnabled());
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QCOMPARE(finished.first().first().toBool(), true);

    PredictorOptions options;
    options.modelPath = modelPath_.toStdString();
    options.threads = 1;
    options.views = kStillImageViews;  // what the editor asks for
    Predictor predictor(options);
    EditorDocument* doc = window_->document();
    const FilterParams expected = predictor.predict(*doc->image(), doc->mask());
    QVERIFY(doc->predicted().has_value());
    for (const auto& spec : filterSpecs()) {
        QCOMPARE(doc->params().*(spec.field), expected.*(spec.field));
        QCOMPARE(window_->paramsPanel()->slider(spec.filter)->value(), int(std::lround(expected.*(spec.field) * 100)));
    }
    QVERIFY(*doc->predicted() == expected);
    QCOMPARE(doc->modelVersion(), QString("test-random"));
    QVERIFY(window_->findChild<QLabel*>("inferenceLabel")->text().contains("ms"));
    QVERIFY(window_->findChild<QLabel*>("deviceLabel")->text().contains("cpu"));
    QVERIFY(button->isEnabled());
    // Undo takes the prediction back.
    QCOMPARE(doc->undoStack()->undoText(), QString("Harmonize"));
    doc->undoStack()->undo();
    QVERIFY(doc->params().isIdentity());
    QVERIFY(!doc->predicted().has_value());
}

void TestStudio::sliderChangesPreviewAndUndoRestores_data() {
    QTest::addColumn<int>("filter");
    for (const auto& spec : filterSpecs()) QTest::newRow(spec.key) << int(spec.filter);
}

void TestStudio::sliderChangesPreviewAndUndoRestores() {
    QFETCH(int, filter);
    const QImage before = window_->canvas()->previewImage().copy();
    QSlider* slider = window_->paramsPanel()->slider(Filter(filter));
    slider->setFocus();
    for (int i = 0; i < 4; ++i) QTest::keyClick(slider, Qt::Key_PageUp);  // +40
    QCOMPARE(slider->value(), 40);
    QCOMPARE(window_->document()->params().get(Filter(filter)), 0.4);
    QVERIFY(waitForPreview(*window_));
    QVERIFY2(window_->canvas()->previewImage() != before, "the preview did not change");

    QUndoStack* stack = window_->document()->undoStack();
    QVERIFY(findAction(window_.get(), "Undo " + stack->undoText()) != nullptr);  // Edit menu shows what undo does
    while (stack->canUndo()) stack->undo();
    QCOMPARE(slider->value(), 0);
    QVERIFY(waitForPreview(*window_));
    QVERIFY2(window_->canvas()->previewImage() == before, "undo did not restore the preview");
}

void TestStudio::sliderDragIsOneUndoStep() {
    QSlider* slider = window_->paramsPanel()->slider(Filter::Saturation);
    QUndoStack* stack = window_->document()->undoStack();
    const int steps = stack->count();
    // A drag: the slider is down while its value moves through many positions.
    const QRect handle = slider->rect();
    QTest::mousePress(slider, Qt::LeftButton, {}, handle.center());
    QVERIFY(slider->isSliderDown());
    for (int x = handle.center().x(); x < handle.right() - 5; x += 7) QTest::mouseMove(slider, QPoint(x, handle.center().y()));
    QTest::mouseRelease(slider, Qt::LeftButton, {}, QPoint(handle.right() - 6, handle.center().y()));
    QVERIFY(slider->value() > 30);
    QCOMPARE(stack->count(), steps + 1);
    QCOMPARE(window_->document()->params().saturation, slider->value() / 100.0);
    stack->undo();
    QCOMPARE(window_->document()->params().saturation, 0.0);
    // Typing in the spin box is a step of its own.
    QDoubleSpinBox* spin = window_->paramsPanel()->spinBox(Filter::Saturation);
    spin->setValue(-25.5);
    QCOMPARE(window_->document()->params().saturation, -0.255);
    QCOMPARE(slider->value(), -26);
}

void TestStudio::resetButtons() {
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    window_->harmonize();
    QVERIFY(finished.wait(kWait));
    const FilterParams predicted = *window_->document()->predicted();
    window_->paramsPanel()->slider(Filter::Brightness)->setValue(-70);
    QCOMPARE(window_->document()->params().brightness, -0.7);
    QTest::mouseClick(window_->paramsPanel()->resetPredictedButton(), Qt::LeftButton);
    QVERIFY(window_->document()->params() == predicted);
    QTest::mouseClick(window_->paramsPanel()->resetZeroButton(), Qt::LeftButton);
    QVERIFY(window_->document()->params().isIdentity());
    QVERIFY(*window_->document()->predicted() == predicted);  // the prediction is kept
    window_->paramsPanel()->amountSlider()->setValue(35);
    QCOMPARE(window_->document()->amount(), 0.35);
}

void TestStudio::paintStrokeChangesMask_data() {
    QTest::addColumn<bool>("erase");
    QTest::newRow("paint") << false;
    QTest::newRow("erase") << true;
}

void TestStudio::paintStrokeChangesMask() {
    QFETCH(bool, erase);
    EditorDocument* doc = window_->document();
    if (erase) window_->invertMask();  // something to erase in the corner
    const cv::Mat before = doc->mask().clone();
    window_->selectTool(erase ? Tool::Erase : Tool::Paint);
    window_->setBrushSize(30);
    window_->setBrushHardness(1.0);
    ImageCanvas* canvas = window_->canvas();
    // A stroke across the top-left corner, which the sample mask leaves as background.
    const QPoint a = canvas->imageToWidget(QPointF(40, 40)).toPoint();
    const QPoint b = canvas->imageToWidget(QPointF(200, 60)).toPoint();
    const int undoSteps = doc->undoStack()->count();
    QTest::mousePress(canvas, Qt::LeftButton, {}, a);
    QTest::mouseMove(canvas, (a + b) / 2);
    QTest::mouseMove(canvas, b);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, b);

    const QPointF middle = canvas->widgetToImage((a + b) / 2);
    const QPointF between = canvas->widgetToImage((a * 3 + b) / 4);  // between two mouse positions
    const std::uint16_t expected = erase ? 0 : 65535;
    QCOMPARE(doc->mask().at<std::uint16_t>(int(middle.y()), int(middle.x())), expected);
    QCOMPARE(doc->mask().at<std::uint16_t>(int(between.y()), int(between.x())), expected);
    QCOMPARE(before.at<std::uint16_t>(int(middle.y()), int(middle.x())), std::uint16_t(erase ? 65535 : 0));
    QCOMPARE(doc->undoStack()->count(), undoSteps + 1);
    QCOMPARE(doc->undoStack()->undoText(), erase ? QString("Erase Mask") : QString("Paint Mask"));
    QVERIFY(window_->canvas()->overlayVisible());  // picking a mask tool shows the mask
    QVERIFY(waitForPreview(*window_));

    doc->undoStack()->undo();
    QVERIFY(equalMats(doc->mask(), before));
    doc->undoStack()->redo();
    QCOMPARE(doc->mask().at<std::uint16_t>(int(middle.y()), int(middle.x())), expected);
}

void TestStudio::bracketKeysResizeBrush() {
    window_->selectTool(Tool::Paint);
    window_->setBrushSize(50);
    window_->canvas()->setFocus();
    QTest::keyClick(window_->canvas(), Qt::Key_BracketRight);
    const double bigger = window_->brushSettings().radius * 2;
    QVERIFY(bigger > 50);
    QTest::keyClick(window_->canvas(), Qt::Key_BracketLeft);
    QTest::keyClick(window_->canvas(), Qt::Key_BracketLeft);
    QVERIFY(window_->brushSettings().radius * 2 < 50);
}

void TestStudio::maskOperationsAreUndoable_data() {
    QTest::addColumn<QString>("operation");
    QTest::newRow("invert") << "Invert Mask";
    QTest::newRow("clear") << "Clear Mask";
    QTest::newRow("feather") << "Feather Mask";
}

void TestStudio::maskOperationsAreUndoable() {
    QFETCH(QString, operation);
    EditorDocument* doc = window_->document();
    const cv::Mat before = doc->mask().clone();
    if (operation == "Invert Mask") {
        findAction(window_.get(), "Invert Mask")->trigger();
        QVERIFY(equalMats(doc->mask(), invertMask(before)));
    } else if (operation == "Clear Mask") {
        findAction(window_.get(), "Clear Mask")->trigger();
        QVERIFY(maskIsEmpty(doc->mask()));
    } else {
        window_->featherMask(5.0);
        QVERIFY(equalMats(doc->mask(), featherMask(before, 5.0)));
    }
    QVERIFY(doc->undoStack()->undoText().startsWith(operation));
    QVERIFY(window_->isWindowModified());
    doc->undoStack()->undo();
    QVERIFY(equalMats(doc->mask(), before));
    QVERIFY(!window_->isWindowModified());
}

void TestStudio::exportEqualsRenderAndWrite_data() {
    QTest::addColumn<QString>("extension");
    QTest::addColumn<int>("quality");
    QTest::newRow("png") << "png" << 95;
    QTest::newRow("jpeg q85") << "jpg" << 85;
    QTest::newRow("tiff") << "tif" << 95;
}

void TestStudio::exportEqualsRenderAndWrite() {
    QFETCH(QString, extension);
    QFETCH(int, quality);
    ParamsPanel* panel = window_->paramsPanel();
    // A predicted value carries more decimals than the sidecar and the CLI keep.
    FilterParams precise = window_->document()->params();
    precise.temperature = 0.2345678;
    window_->document()->undoStack()->push(
        new SetParamsCommand(window_->document(), window_->document()->params(), precise, "precise"));
    panel->slider(Filter::Contrast)->setValue(-35);
    panel->slider(Filter::Shadow)->setValue(40);
    panel->amountSlider()->setValue(80);
    const QString path = dir_.filePath("export." + extension);
    QFile::remove(path);
    QSignalSpy finished(window_.get(), &MainWindow::exportFinished);
    QVERIFY(window_->startExport(path, quality));
    QVERIFY(finished.wait(kWait));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));

    // The CLI's apply: load, render with the printed values, write atomically.
    const FilterParams printed = paramsFromJson(paramsToJson(window_->document()->params()));
    QCOMPARE(printed.temperature, 0.234568);
    const LoadedImage image = loadImage(kSampleImage.toStdString());
    const cv::Mat mask = loadMask(kSampleMask.toStdString(), image.pixels.size());
    RenderOptions options;
    options.amount = 0.8;
    cv::Mat reference;
    render(image.pixels, mask, printed, reference, options);
    const QString referencePath = dir_.filePath("reference." + extension);
    WriteOptions writeOptions;
    writeOptions.jpegQuality = quality;
    writeImageAtomic(referencePath.toStdString(), reference, {}, writeOptions);
    QVERIFY2(fileBytes(path) == fileBytes(referencePath), "the export is not bit-identical to render + write");
}

// A real photograph: Adobe RGB profile, EXIF (camera, date, GPS, copyright), XMP, turned by
// orientation 6. The editor's export keeps it all, orientation reset, unless switched off.
void TestStudio::exportKeepsPhotoMetadata_data() {
    QTest::addColumn<QString>("format");
    QTest::addColumn<bool>("keep");
    QTest::newRow("jpg") << "jpg" << true;
    QTest::newRow("png") << "png" << true;
    QTest::newRow("tif") << "tif" << true;
    QTest::newRow("webp") << "webp" << true;
    QTest::newRow("jpg, metadata off") << "jpg" << false;
}

void TestStudio::exportKeepsPhotoMetadata() {
    QFETCH(QString, format);
    QFETCH(bool, keep);
    const std::string profile = test::adobeRgbProfile();
    const QString image = dir_.filePath("photo_" + QString::number(keep) + "." + format);
    const QString mask = dir_.filePath("photo_mask.png");
    test::writePhoto(image.toStdString(), test::syntheticPhoto({48, 64}), profile, 6);
    cv::imwrite(mask.toStdString(), test::syntheticMask({64, 48}));
    StudioOptions options;
    options.modelPath = modelPath_.toStdString();
    options.confirmClose = false;
    options.threads = 1;
    options.exportKeepsMetadata = keep;
    MainWindow window(options);
    QVERIFY2(window.openImage(image, mask), qPrintable(window.lastError()));
    QCOMPARE(window.document()->imageSize(), cv::Size(64, 48));
    window.paramsPanel()->slider(Filter::Contrast)->setValue(-35);
    const QString out = dir_.filePath("photo_export_" + QString::number(keep) + "." + format);
    QSignalSpy finished(&window, &MainWindow::exportFinished);
    QVERIFY(window.startExport(out, 90));
    QVERIFY(finished.wait(kWait));
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));

    const test::ReadBack back = test::readBack(out.toStdString());
    QVERIFY2(back.icc == profile, "the ICC profile is not the input's");
    if (keep) {
        QCOMPARE(back.make, std::string(test::kMake));
        QCOMPARE(back.model, std::string(test::kModel));
        QCOMPARE(back.date, std::string(test::kDate));
        QCOMPARE(back.latitude, std::string(test::kLatitude));
        QCOMPARE(back.copyright, std::string(test::kCopyright));
        QCOMPARE(back.orientation, 1L);
        QCOMPARE(back.pixelX, 64L);
    } else {
        QVERIFY(back.make.empty() && back.latitude.empty() && back.creatorTool.empty());
    }
    const LoadedImage input = loadImage(image.toStdString()), output = loadImage(out.toStdString());
    QCOMPARE(output.pixels.size(), input.pixels.size());
    if (format != "jpg") {
        std::vector<std::string> warnings;
        const cv::Mat m = loadMask(mask.toStdString(), input, warnings);
        cv::Mat diff;
        cv::absdiff(input.pixels, output.pixels, diff);
        cv::Mat any;
        cv::transform(diff.reshape(3, int(diff.total())), any, cv::Matx13f(1, 1, 1));
        QCOMPARE(cv::countNonZero((any.reshape(1, diff.rows) != 0) & (m == 0)), 0);
        QVERIFY(cv::countNonZero((any.reshape(1, diff.rows) != 0) & (m != 0)) > 0);
    }
}

// A compose layer is dragged as an ARGB image: its mask becomes the alpha, and a photo larger
// than the screen is shrunk (the same factor both ways), never enlarged.
void TestStudio::layerDisplayCarriesAlphaAtScreenSize_data() {
    QTest::addColumn<QSize>("layerSize");
    QTest::addColumn<int>("depth");
    QTest::addColumn<QSize>("shownSize");
    QTest::newRow("small, 8-bit: kept") << QSize(200, 100) << CV_8U << QSize(200, 100);
    QTest::newRow("wide, 16-bit: shrunk to 1600") << QSize(3200, 800) << CV_16U << QSize(1600, 400);
    QTest::newRow("tall, 8-bit: shrunk to 1600") << QSize(400, 4000) << CV_8U << QSize(160, 1600);
}

void TestStudio::layerDisplayCarriesAlphaAtScreenSize() {
    QFETCH(QSize, layerSize);
    QFETCH(int, depth);
    QFETCH(QSize, shownSize);
    const double unit = depth == CV_16U ? 257.0 : 1.0;
    // Left half opaque red, right half half-transparent blue (BGR).
    cv::Mat bgr(layerSize.height(), layerSize.width(), CV_MAKETYPE(depth, 3), cv::Scalar(0, 0, 200 * unit));
    cv::Mat alpha(bgr.size(), CV_16UC1, cv::Scalar(65535));
    const cv::Rect right(bgr.cols / 2, 0, bgr.cols - bgr.cols / 2, bgr.rows);
    bgr(right).setTo(cv::Scalar(180 * unit, 0, 0));
    alpha(right).setTo(32896);
    const QImage shown = toLayerDisplayImage(bgr, alpha, 1600);
    QCOMPARE(shown.size(), shownSize);
    QVERIFY(shown.hasAlphaChannel());
    const QRgb left = shown.pixel(shown.width() / 4, shown.height() / 2);
    const QRgb rightPixel = shown.pixel(3 * shown.width() / 4, shown.height() / 2);
    QCOMPARE(qAlpha(left), 255);
    QCOMPARE(qRed(left), 200);
    QCOMPARE(qAlpha(rightPixel), 128);
    QCOMPARE(qBlue(rightPixel), 180);
    QCOMPARE(qRed(rightPixel), 0);
}

// The screen shows an Adobe RGB photo converted to sRGB (the default monitor), not its raw numbers.
void TestStudio::displayGoesThroughTheProfile() {
    const cv::Mat pixels = test::syntheticPhoto({64, 48});
    const auto conversion = photo::SrgbConversion::fromIcc(test::adobeRgbProfile());
    QVERIFY(conversion);
    const QImage shown = toDisplayImage(pixels, conversion.get());
    const QImage raw = toDisplayImage(pixels);
    const cv::Mat expected = conversion->convertBgr(pixels);
    int worst = 0, rawWorst = 0;
    for (int y = 0; y < pixels.rows; ++y)
        for (int x = 0; x < pixels.cols; ++x) {
            const cv::Vec3b e = expected.at<cv::Vec3b>(y, x);
            const QRgb s = shown.pixel(x, y), r = raw.pixel(x, y);
            worst = std::max({worst, std::abs(qBlue(s) - e[0]), std::abs(qGreen(s) - e[1]), std::abs(qRed(s) - e[2])});
            rawWorst = std::max({rawWorst, std::abs(qBlue(r) - e[0]), std::abs(qGreen(r) - e[1]), std::abs(qRed(r) - e[2])});
        }
    QVERIFY2(worst <= 1, qPrintable(QString("display differs from the sRGB conversion by %1").arg(worst)));
    QVERIFY(rawWorst > 10);
    // And the editor uses it for a tagged photo.
    const QString image = dir_.filePath("display.png");
    test::writePhoto(image.toStdString(), pixels, test::adobeRgbProfile(), 1);
    QVERIFY(window_->openImage(image, QString()));
    QVERIFY(window_->document()->displayConversion() != nullptr);
}

void TestStudio::sessionRoundTrip() {
    EditorDocument* doc = window_->document();
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    window_->harmonize();
    QVERIFY(finished.wait(kWait));
    window_->paramsPanel()->slider(Filter::Highlight)->setValue(-12);
    window_->paramsPanel()->amountSlider()->setValue(65);
    window_->clearMask();
    window_->selectTool(Tool::Paint);
    window_->setBrushHardness(0.3);  // soft edges: values that only 16 bits keep
    const QPoint p = window_->canvas()->imageToWidget(QPointF(300, 500)).toPoint();
    QTest::mousePress(window_->canvas(), Qt::LeftButton, {}, p);
    QTest::mouseRelease(window_->canvas(), Qt::LeftButton, {}, p);
    QVERIFY(!doc->maskMatchesFile());
    QVERIFY(window_->isWindowModified());

    const QString sidecar = dir_.filePath("round/trip.hzsession");
    QDir(dir_.path()).mkpath("round");
    QVERIFY2(window_->saveSession(sidecar), qPrintable(window_->lastError()));
    QVERIFY(!window_->isWindowModified());
    QVERIFY(QFile::exists(dir_.filePath("round/trip.mask.png")));  // the painted mask, 16-bit
    QCOMPARE(cv::imread(dir_.filePath("round/trip.mask.png").toStdString(), cv::IMREAD_UNCHANGED).depth(), CV_16U);
    const SessionFile file = readSession(sidecar.toStdString());
    QCOMPARE(file.formatVersion, 1);  // no layers: still version 1, which older programs read
    QCOMPARE(file.modelVersion, std::string("test-random"));

    auto other = makeWindow(modelPath_);
    QVERIFY2(other->openSession(sidecar), qPrintable(other->lastError()));
    EditorDocument* loaded = other->document();
    QVERIFY(loaded->params() == roundToSidecarPrecision(doc->params()));
    QVERIFY(*loaded->predicted() == roundToSidecarPrecision(*doc->predicted()));
    QCOMPARE(loaded->amount(), 0.65);
    QCOMPARE(loaded->modelVersion(), QString("test-random"));
    QVERIFY(equalMats(loaded->mask(), doc->mask()));
    QVERIFY(equalMats(*loaded->image(), *doc->image()));
    QCOMPARE(other->paramsPanel()->slider(Filter::Highlight)->value(), -12);
    QVERIFY(!other->isWindowModified());
}

void TestStudio::missingModelExplainsAndEditorStillWorks() {
    window_ = makeWindow(dir_.filePath("no-such-model.hzm"));
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    QVERIFY(window_->findChild<QLabel*>("deviceLabel")->text().contains("missing"));
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    QTest::mouseClick(window_->paramsPanel()->harmonizeButton(), Qt::LeftButton);
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY2(window_->lastError().contains("no-such-model.hzm"), qPrintable(window_->lastError()));
    QVERIFY(window_->findChild<QWidget*>("errorBanner")->isVisible());
    // Sliders and export still work.
    QSlider* slider = window_->paramsPanel()->slider(Filter::Brightness);
    QVERIFY(slider->isEnabled());
    slider->setValue(20);
    QCOMPARE(window_->document()->params().brightness, 0.2);
    QSignalSpy exported(window_.get(), &MainWindow::exportFinished);
    QVERIFY(window_->startExport(dir_.filePath("nomodel.png")));
    QVERIFY(exported.wait(kWait));
    QVERIFY(exported.first().first().toBool());
}

void TestStudio::badFilesKeepCurrentWork_data() {
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("mask");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing image") << "/nonexistent/photo.jpg" << "" << "no such file";
    QTest::newRow("not an image") << "NOT_AN_IMAGE" << "" << "not a readable image";
    QTest::newRow("mask size mismatch") << kSampleImage << "SMALL_MASK" << "mask is 10x10";
    QTest::newRow("missing mask") << kSampleImage << "/nonexistent/mask.png" << "no such file";
}

void TestStudio::badFilesKeepCurrentWork() {
    QFETCH(QString, image);
    QFETCH(QString, mask);
    QFETCH(QString, expected);
    if (image == "NOT_AN_IMAGE") {
        image = dir_.filePath("text.jpg");
        QFile f(image);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a jpeg");
    }
    if (mask == "SMALL_MASK") {
        mask = dir_.filePath("small_mask.png");
        cv::imwrite(mask.toStdString(), cv::Mat(10, 10, CV_8UC1, cv::Scalar(255)));
    }
    window_->paramsPanel()->slider(Filter::Contrast)->setValue(15);
    const ImagePtr imageBefore = window_->document()->image();
    QVERIFY(!window_->openImage(image, mask));
    QVERIFY2(window_->lastError().contains(expected), qPrintable(window_->lastError()));
    QVERIFY(window_->findChild<QWidget*>("errorBanner")->isVisible());
    QCOMPARE(window_->document()->image(), imageBefore);
    QCOMPARE(window_->document()->params().contrast, 0.15);
    // Loading a mask of the wrong size is refused the same way.
    QVERIFY(!window_->loadMask(dir_.filePath("small_mask.png")) || mask.isEmpty());
}

void TestStudio::beforeAfterAndSplit() {
    ImageCanvas* canvas = window_->canvas();
    canvas->setFocus();
    QTest::keyPress(canvas, Qt::Key_Backslash);
    QVERIFY(canvas->showingOriginal());
    QTest::keyRelease(canvas, Qt::Key_Backslash);
    QVERIFY(!canvas->showingOriginal());

    window_->setSplitView(true);
    QVERIFY(canvas->splitView());
    const int x = int(canvas->splitFraction() * canvas->width());
    const int y = canvas->height() / 2;
    QTest::mousePress(canvas, Qt::LeftButton, {}, QPoint(x, y));
    QTest::mouseMove(canvas, QPoint(canvas->width() / 4, y));
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, QPoint(canvas->width() / 4, y));
    QVERIFY(std::abs(canvas->splitFraction() - 0.25) < 0.01);
}

void TestStudio::wheelZoomKeepsPointUnderCursor() {
    ImageCanvas* canvas = window_->canvas();
    const double fitZoom = canvas->zoom();
    const QPoint cursor(canvas->width() / 3, canvas->height() / 3);
    const QPointF imagePoint = canvas->widgetToImage(cursor);
    QWheelEvent wheel(cursor, canvas->mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(canvas, &wheel);
    QVERIFY(canvas->zoom() > fitZoom * 1.3);
    QVERIFY(!canvas->isFitMode());
    const QPointF after = canvas->widgetToImage(cursor);
    QVERIFY(std::abs(after.x() - imagePoint.x()) < 1.0 / canvas->zoom() + 0.01);
    QVERIFY(std::abs(after.y() - imagePoint.y()) < 1.0 / canvas->zoom() + 0.01);
    // The preview follows at the new scale (rendered for the visible part only).
    QVERIFY(waitForPreview(*window_));
    QVERIFY(QTest::qWaitFor([&] { return std::abs(window_->preview()->level()->scale - std::min(1.0, canvas->zoom())) < 1e-6; }, kWait));
    canvas->zoomActualSize();
    QCOMPARE(canvas->zoom(), 1.0);
    canvas->fitToWindow();
    QCOMPARE(canvas->zoom(), fitZoom);
}

// A stroke that lands after the new display level was built on the worker, but before that
// level reached the window, must show on it (the level carries a mask snapshot from before).
void TestStudio::strokeWhileTheLevelIsOnItsWayShowsOnIt() {
    EditorDocument* doc = window_->document();
    ImageCanvas* canvas = window_->canvas();
    PreviewController* preview = window_->preview();
    const cv::Rect square(0, 0, 40, 40);
    QCOMPARE(cv::countNonZero(doc->mask()(square)), 0);  // the sample's corner is background
    const double target = preview->level()->scale > 0.75 ? 0.5 : 1.0;
    canvas->setZoom(target / canvas->devicePixelRatioF(), QPointF(canvas->width() / 2.0, canvas->height() / 2.0));
    QThreadPool::globalInstance()->waitForDone();  // the level is built; no event processed yet
    doc->pasteMaskPatch(square, cv::Mat(square.size(), CV_16UC1, cv::Scalar(65535)));
    QVERIFY(QTest::qWaitFor([&] { return std::abs(preview->level()->scale - target) < 1e-6; }, kWait));
    const std::shared_ptr<const DisplayLevel> level = preview->level();
    const int inner = int(square.width * target) - 2;
    double lowest = 0.0;
    cv::minMaxLoc((*level->mask)(cv::Rect(0, 0, inner, inner)), &lowest);
    QCOMPARE(lowest, 65535.0);
}

void TestStudio::composeMoveAndFlatten() {
    // A background and a foreground with alpha, written here.
    cv::Mat background(300, 400, CV_8UC3, cv::Scalar(40, 120, 200));
    cv::Mat foreground(100, 80, CV_8UC4, cv::Scalar(10, 200, 30, 0));
    cv::circle(foreground, cv::Point(40, 50), 30, cv::Scalar(10, 200, 30, 255), cv::FILLED);
    const QString bgPath = dir_.filePath("background.png"), fgPath = dir_.filePath("foreground.png");
    QVERIFY(cv::imwrite(bgPath.toStdString(), background));
    QVERIFY(cv::imwrite(fgPath.toStdString(), foreground));

    QVERIFY(window_->newComposition(bgPath));
    EditorDocument* doc = window_->document();
    QVERIFY(doc->inComposeMode());
    QVERIFY(window_->addForeground(fgPath));
    QCOMPARE(window_->canvas()->tool(), Tool::MoveLayer);
    const LayerPlacement start = doc->composeState()->activeLayer()->placement;
    const cv::Rect bounds = layerBounds(cv::Size(80, 100), start);
    QVERIFY(cv::countNonZero(doc->mask()) > 0);
    const cv::Point centre(bounds.x + bounds.width / 2, bounds.y + bounds.height / 2);
    QCOMPARE(doc->mask().at<std::uint16_t>(centre), std::uint16_t(65535));
    QVERIFY(waitForPreview(*window_));

    // Drag the layer 50 image pixels to the right with the mouse.
    ImageCanvas* canvas = window_->canvas();
    const QPoint from = canvas->imageToWidget(QPointF(centre.x, centre.y)).toPoint();
    const QPoint to = canvas->imageToWidget(QPointF(centre.x + 50, centre.y)).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, from);
    QTest::mouseMove(canvas, (from + to) / 2);
    QTest::mouseMove(canvas, to);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, to);
    const LayerPlacement moved = doc->composeState()->activeLayer()->placement;
    QVERIFY(std::abs(moved.x - start.x - 50) <= 2);
    QCOMPARE(moved.y, start.y);
    QCOMPARE(doc->mask().at<std::uint16_t>(centre.y, centre.x - 30), std::uint16_t(0));
    QCOMPARE(doc->mask().at<std::uint16_t>(centre.y, centre.x + 50), std::uint16_t(65535));
    QCOMPARE(doc->image()->at<cv::Vec3b>(centre.y, centre.x + 50), cv::Vec3b(10, 200, 30));
    QCOMPARE(doc->image()->at<cv::Vec3b>(5, 5), cv::Vec3b(40, 120, 200));

    doc->undoStack()->undo();
    QCOMPARE(doc->composeState()->activeLayer()->placement, start);
    doc->undoStack()->redo();

    // Drag the bottom-right corner handle outwards: the layer grows about the top-left corner.
    const LayerPlacement beforeScale = doc->composeState()->activeLayer()->placement;
    const cv::Rect movedBounds = layerBounds(cv::Size(80, 100), beforeScale);
    const QPoint corner = canvas->imageToWidget(QPointF(movedBounds.br().x, movedBounds.br().y)).toPoint();
    const QPoint outwards = corner + (corner - canvas->imageToWidget(QPointF(movedBounds.x, movedBounds.y)).toPoint()) / 2;
    QTest::mousePress(canvas, Qt::LeftButton, {}, corner);
    QTest::mouseMove(canvas, outwards);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, outwards);
    const LayerPlacement scaled = doc->composeState()->activeLayer()->placement;
    QVERIFY2(scaled.scale > beforeScale.scale * 1.3, qPrintable(QString::number(scaled.scale / beforeScale.scale)));
    QVERIFY(std::abs(scaled.x - beforeScale.x) <= 1 && std::abs(scaled.y - beforeScale.y) <= 1);
    doc->undoStack()->undo();
    QCOMPARE(doc->composeState()->activeLayer()->placement, beforeScale);

    window_->flatten();
    QVERIFY(!doc->inComposeMode());
    QCOMPARE(doc->mask().at<std::uint16_t>(centre.y, centre.x + 50), std::uint16_t(65535));
    doc->undoStack()->undo();
    QVERIFY(doc->inComposeMode());
}

void TestStudio::dropImageAndMask() {
    // Two files dropped in any order: the one named like a mask is the mask.
    const cv::Mat image(60, 80, CV_8UC3, cv::Scalar(1, 2, 3));
    cv::Mat mask = cv::Mat::zeros(60, 80, CV_8UC1);
    mask(cv::Rect(10, 10, 20, 20)).setTo(255);
    const QString imagePath = dir_.filePath("dropped.png"), maskPath = dir_.filePath("dropped_mask.png");
    QVERIFY(cv::imwrite(imagePath.toStdString(), image));
    QVERIFY(cv::imwrite(maskPath.toStdString(), mask));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(maskPath), QUrl::fromLocalFile(imagePath)});
    // Qt delivers a drop only to the widget that accepted the drag's enter event.
    QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window_.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window_.get(), &drop);
    QCOMPARE(window_->document()->imagePath(), imagePath);
    QCOMPARE(window_->document()->maskPath(), maskPath);
    QCOMPARE(window_->document()->mask().at<std::uint16_t>(15, 15), std::uint16_t(65535));
    QCOMPARE(window_->document()->mask().at<std::uint16_t>(45, 45), std::uint16_t(0));
}

void TestStudio::unsavedChangesAreNotLostSilently_data() {
    QTest::addColumn<int>("answer");
    QTest::addColumn<bool>("closes");
    QTest::newRow("cancel keeps the window") << int(QMessageBox::Cancel) << false;
    QTest::newRow("discard closes") << int(QMessageBox::Discard) << true;
}

void TestStudio::unsavedChangesAreNotLostSilently() {
    QFETCH(int, answer);
    QFETCH(bool, closes);
    StudioOptions options;
    options.modelPath = modelPath_.toStdString();
    options.confirmClose = true;
    options.autoHarmonize = false;
    MainWindow window(options);
    window.show();
    QVERIFY(window.openImage(kSampleImage, kSampleMask));
    window.paramsPanel()->slider(Filter::Contrast)->setValue(30);
    QVERIFY(window.isWindowModified());
    bool asked = false;
    QTimer answerer;  // the question is modal: answer it from inside its event loop
    connect(&answerer, &QTimer::timeout, [&] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        answerer.stop();
        asked = true;
        box->button(QMessageBox::StandardButton(answer))->click();
    });
    answerer.start(50);
    const bool closed = window.close();
    QVERIFY(asked);
    QCOMPARE(closed, closes);
}

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
