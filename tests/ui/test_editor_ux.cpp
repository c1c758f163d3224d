// The editor as a new user finds it (issue 18), through the real widgets on the offscreen
// platform: compose layers that are never lost, sessions that keep them, keyboard focus and
// shortcuts, zoom, a stale prediction, harmonize on open, the JPEG note, the shortcuts and
// About dialogs, Open Recent, paste, the histogram, preferences and the sliders.
#include <QAction>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <memory>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"
#include "core/paths.h"
#include "core/session/session_file.h"
#include "ui/editor_document.h"
#include "ui/export_options.h"
#include "ui/help_dialogs.h"
#include "ui/histogram_widget.h"
#include "ui/image_canvas.h"
#include "ui/layers_panel.h"
#include "tests/ui/ui_test_helpers.h"
#include "ui/main_window.h"
#include "ui/params_panel.h"
#include "ui/preferences.h"
#include "ui/preview_controller.h"
#include "ui/recent_files.h"

using namespace hz;
using namespace hz::ui;
using hz::test::equalMats;
using hz::test::whenModal;

namespace {

const QString kSampleImage = QStringLiteral(HZ_SAMPLE_DIR "/composite.jpg");
const QString kSampleMask = QStringLiteral(HZ_SAMPLE_DIR "/mask.png");
constexpr int kWait = 60000;

QAction* findAction(QWidget* window, const QString& text) {
    for (QAction* action : window->findChildren<QAction*>())
        if (action->text().remove('&').remove(QStringLiteral("…")) == text) return action;
    return nullptr;
}

}  // namespace

class TestEditorUx : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void secondForegroundIsANewLayer();
    void layerListPicksTheLayerToMove();
    void sessionKeepsLayers();
    void enterAndEscapeGiveFocusBack_data();
    void enterAndEscapeGiveFocusBack();
    void toolKeysWorkInNumberFields_data();
    void toolKeysWorkInNumberFields();
    void controlShortcutsWorkInNumberFields();
    void zoomKeysAndPercentage_data();
    void zoomKeysAndPercentage();
    void maskChangeMarksPredictionStale();
    void harmonizesOnOpenWithMask_data();
    void harmonizesOnOpenWithMask();
    void jpegExportSaysWhatItCosts_data();
    void jpegExportSaysWhatItCosts();
    void shortcutsDialogListsEveryAction();
    void aboutShowsLicenceModelAndPaper();
    void openRecent();
    void pasteImage_data();
    void pasteImage();
    void histogramFollowsTheSliders();
    void preferencesDialog();
    void pixelLimitRefusesLargeImages();
    void slidersGrowFineControlAndReset();

private:
    std::unique_ptr<MainWindow> makeWindow(bool autoHarmonize = false, const QString& modelPath = {});
    bool waitForPreview(MainWindow& window);
    QString writeForeground(const QString& name, cv::Size size, cv::Scalar colour);
    QString writeBackground();

    QTemporaryDir dir_;
    QString modelPath_;
    std::unique_ptr<MainWindow> window_;
};

void TestEditorUx::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HarmonizerStudioTests");
    QCoreApplication::setApplicationName("test_editor_ux");
    QVERIFY(dir_.isValid());
    modelPath_ = dir_.filePath("random.hzm");
    torch::manual_seed(7);
    HarmonizerNet net;
    ModelMetadata metadata;
    metadata.modelVersion = "test-random";
    for (const auto& spec : filterSpecs()) metadata.filterOrder.push_back(spec.key);
    saveModel(modelPath_.toStdString(), net, metadata);
}

std::unique_ptr<MainWindow> TestEditorUx::makeWindow(bool autoHarmonize, const QString& modelPath) {
    StudioOptions options;
    options.modelPath = (modelPath.isEmpty() ? modelPath_ : modelPath).toStdString();
    options.confirmClose = false;
    options.threads = 1;
    options.autoHarmonize = autoHarmonize;
    auto window = std::make_unique<MainWindow>(options);
    window->resize(1200, 800);
    window->show();
    return window;
}

bool TestEditorUx::waitForPreview(MainWindow& window) {
    PreviewController* preview = window.preview();
    return QTest::qWaitFor(
        [&] {
            return preview->hasLevel() && preview->lastRequestedGeneration() > 0 &&
                   window.canvas()->previewGeneration() >= preview->lastRequestedGeneration();
        },
        kWait);
}

QString TestEditorUx::writeForeground(const QString& name, cv::Size size, cv::Scalar colour) {
    cv::Mat foreground(size, CV_8UC4, cv::Scalar(colour[0], colour[1], colour[2], 0));
    cv::rectangle(foreground, cv::Rect(size.width / 4, size.height / 4, size.width / 2, size.height / 2),
                  cv::Scalar(colour[0], colour[1], colour[2], 255), cv::FILLED);
    const QString path = dir_.filePath(name);
    cv::imwrite(path.toStdString(), foreground);
    return path;
}

QString TestEditorUx::writeBackground() {
    const QString path = dir_.filePath("background.png");
    cv::Mat background(300, 400, CV_8UC3, cv::Scalar(200, 120, 40));
    cv::imwrite(path.toStdString(), background);
    return path;
}

void TestEditorUx::init() {
    QSettings().clear();
    window_ = makeWindow();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestEditorUx::cleanup() { window_.reset(); }

void TestEditorUx::secondForegroundIsANewLayer() {
    EditorDocument* doc = window_->document();
    QVERIFY(window_->newComposition(writeBackground()));
    QVERIFY(window_->addForeground(writeForeground("first.png", {80, 80}, {10, 200, 30})));
    QCOMPARE(doc->undoStack()->count(), 1);  // adding a layer is an undo step
    QVERIFY(window_->isWindowModified());

    // Move the first one with the mouse.
    ImageCanvas* canvas = window_->canvas();
    const LayerPlacement start = doc->composeState()->activeLayer()->placement;
    const cv::Rect bounds = layerBounds({80, 80}, start);
    const QPointF centre(bounds.x + bounds.width / 2.0, bounds.y + bounds.height / 2.0);
    const QPoint from = canvas->imageToWidget(centre).toPoint();
    const QPoint to = canvas->imageToWidget(centre + QPointF(-100, 0)).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, from);
    QTest::mouseMove(canvas, to);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, to);
    const LayerPlacement moved = doc->composeState()->activeLayer()->placement;
    QVERIFY(moved != start);
    const cv::Mat firstOnly = doc->image()->clone();

    // A second foreground: the first stays where it was moved, nothing is forgotten.
    doc->undoStack()->setClean();  // as after a save: the new layer must mark the work unsaved
    QVERIFY(!window_->isWindowModified());
    QVERIFY(window_->addForeground(writeForeground("second.png", {60, 60}, {30, 30, 220})));
    QVERIFY(window_->isWindowModified());
    QCOMPARE(doc->undoStack()->count(), 3);
    const ComposeState& state = *doc->composeState();
    QCOMPARE(int(state.layers.size()), 2);
    QCOMPARE(state.active, 1);
    QCOMPARE(state.layers[0].placement, moved);
    const cv::Rect firstBounds = layerBounds({80, 80}, moved), secondBounds = layerBounds({60, 60}, state.layers[1].placement);
    const cv::Point firstCentre(firstBounds.x + firstBounds.width / 2, firstBounds.y + firstBounds.height / 2);
    const cv::Point secondCentre(secondBounds.x + secondBounds.width / 2, secondBounds.y + secondBounds.height / 2);
    // Both layers are in the composite and in the mask the network sees.
    QCOMPARE(doc->image()->at<cv::Vec3b>(firstCentre), cv::Vec3b(10, 200, 30));
    QCOMPARE(doc->image()->at<cv::Vec3b>(secondCentre), cv::Vec3b(30, 30, 220));
    QCOMPARE(doc->mask().at<std::uint16_t>(firstCentre), std::uint16_t(65535));
    QCOMPARE(doc->mask().at<std::uint16_t>(secondCentre), std::uint16_t(65535));
    QCOMPARE(doc->image()->at<cv::Vec3b>(2, 2), cv::Vec3b(200, 120, 40));
    // The layer list shows both, top first, and the background.
    QListWidget* list = window_->layersPanel()->list();
    QCOMPARE(list->count(), 3);
    QVERIFY(list->item(0)->text().contains("second.png"));
    QVERIFY(list->item(1)->text().contains("first.png"));

    // Undo takes the second layer away and gives the first back exactly as it was.
    doc->undoStack()->undo();
    QCOMPARE(int(doc->composeState()->layers.size()), 1);
    QVERIFY(equalMats(*doc->image(), firstOnly));
    QVERIFY(!window_->isWindowModified());
    doc->undoStack()->undo();
    QCOMPARE(doc->composeState()->activeLayer()->placement, start);
    doc->undoStack()->redo();
    doc->undoStack()->redo();
    QCOMPARE(int(doc->composeState()->layers.size()), 2);

    // Remove Layer is an undo step too; Flatten keeps both.
    list->setCurrentRow(0);
    QTest::mouseClick(window_->layersPanel()->removeButton(), Qt::LeftButton);
    QCOMPARE(int(doc->composeState()->layers.size()), 1);
    doc->undoStack()->undo();
    QCOMPARE(int(doc->composeState()->layers.size()), 2);
    window_->flatten();
    QVERIFY(!doc->inComposeMode());
    QCOMPARE(doc->image()->at<cv::Vec3b>(firstCentre), cv::Vec3b(10, 200, 30));
    QCOMPARE(doc->image()->at<cv::Vec3b>(secondCentre), cv::Vec3b(30, 30, 220));
}

void TestEditorUx::layerListPicksTheLayerToMove() {
    EditorDocument* doc = window_->document();
    QVERIFY(window_->newComposition(writeBackground()));
    QVERIFY(window_->addForeground(writeForeground("a.png", {80, 80}, {10, 200, 30})));
    QVERIFY(window_->addForeground(writeForeground("b.png", {40, 40}, {30, 30, 220})));
    // The bottom layer (row 1: the list is top first) becomes the one the Move tool drags.
    QListWidget* list = window_->layersPanel()->list();
    const QRect row = list->visualItemRect(list->item(1));
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, row.center());
    QCOMPARE(doc->composeState()->active, 0);
    const LayerPlacement before0 = doc->composeState()->layers[0].placement;
    const LayerPlacement before1 = doc->composeState()->layers[1].placement;
    ImageCanvas* canvas = window_->canvas();
    const cv::Rect bounds = layerBounds({80, 80}, before0);
    // Grab the first layer inside its left edge, away from the corner handles (the second
    // layer lies on top of it: only the picked layer moves).
    const QPointF grab(bounds.x + bounds.width / 8.0, bounds.y + bounds.height / 2.0);
    const QPoint from = canvas->imageToWidget(grab).toPoint();
    const QPoint to = canvas->imageToWidget(grab + QPointF(0, 40)).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, from);
    QTest::mouseMove(canvas, to);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, to);
    QVERIFY(std::abs(doc->composeState()->layers[0].placement.y - before0.y - 40) <= 2);
    QCOMPARE(doc->composeState()->layers[1].placement, before1);
}

void TestEditorUx::sessionKeepsLayers() {
    EditorDocument* doc = window_->document();
    QVERIFY(window_->newComposition(writeBackground()));
    QVERIFY(window_->addForeground(writeForeground("file_layer.png", {80, 80}, {10, 200, 30})));
    // A second layer that exists only in memory: pasted with transparency.
    QImage pasted(50, 40, QImage::Format_ARGB32);
    pasted.fill(Qt::transparent);
    for (int y = 10; y < 30; ++y)
        for (int x = 10; x < 40; ++x) pasted.setPixel(x, y, qRgba(250, 240, 10, 255));
    QVERIFY(window_->pasteImage(pasted));
    QCOMPARE(int(doc->composeState()->layers.size()), 2);
    LayerPlacement placed = doc->composeState()->layers[1].placement;
    placed.x += 17;
    placed.scale = 1.5;
    window_->document()->setPlacement(1, placed);
    doc->setActiveLayer(0);
    const cv::Mat composite = doc->image()->clone(), mask = doc->mask().clone();

    const QString sidecar = dir_.filePath("layers/comp.hzsession");
    QVERIFY(QDir().mkpath(dir_.filePath("layers")));
    QVERIFY2(window_->saveSession(sidecar), qPrintable(window_->lastError()));
    const SessionFile file = readSession(sidecar.toStdString());
    QCOMPARE(file.formatVersion, 2);
    QVERIFY(file.compose.has_value());
    QCOMPARE(int(file.compose->layers.size()), 2);
    QCOMPARE(file.compose->layers[1].x, placed.x);
    QCOMPARE(file.compose->layers[1].scale, 1.5);
    QVERIFY(QFile::exists(dir_.filePath("layers/comp.layer2.png")));       // the pasted pixels
    QVERIFY(QFile::exists(dir_.filePath("layers/comp.layer2.mask.png")));  // and its alpha
    // The flattened composite is still there for the CLI and older versions.
    QVERIFY(QFile::exists(QString::fromStdString(file.imagePath)));

    auto reopened = makeWindow();
    QVERIFY2(reopened->openSession(sidecar), qPrintable(reopened->lastError()));
    EditorDocument* again = reopened->document();
    QVERIFY(again->inComposeMode());
    QCOMPARE(int(again->composeState()->layers.size()), 2);
    QCOMPARE(again->composeState()->active, 0);
    QCOMPARE(again->composeState()->layers[1].placement, placed);
    QVERIFY(equalMats(*again->image(), composite));
    QVERIFY(equalMats(again->mask(), mask));
    QVERIFY(!reopened->isWindowModified());
    // Still movable: the Move tool is on the active layer.
    QCOMPARE(reopened->canvas()->tool(), Tool::MoveLayer);
    again->setPlacement(0, LayerPlacement{5, 5, 0.5});
    QVERIFY(!equalMats(*again->image(), composite));
}

void TestEditorUx::enterAndEscapeGiveFocusBack_data() {
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("expected");
    QTest::newRow("enter commits") << int(Qt::Key_Return) << 120;
    QTest::newRow("escape reverts") << int(Qt::Key_Escape) << 80;
}

void TestEditorUx::enterAndEscapeGiveFocusBack() {
    QFETCH(int, key);
    QFETCH(int, expected);
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
    auto* size = window_->findChild<QSpinBox*>("brushSize");
    QVERIFY(size);
    QCOMPARE(size->value(), 80);
    size->setFocus();
    QTRY_VERIFY(size->hasFocus());
    QTest::keyClick(size, Qt::Key_A, Qt::ControlModifier);  // select all
    QTest::keyClicks(size, "120");
    QTest::keyClick(size, Qt::Key(key));
    QCOMPARE(size->value(), expected);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(window_->canvas()));
    QCOMPARE(size->text(), QString("%1 px").arg(expected));

    // The same in a slider's number field.
    QDoubleSpinBox* contrast = window_->paramsPanel()->spinBox(Filter::Contrast);
    contrast->setFocus();
    QTRY_VERIFY(contrast->hasFocus());
    QTest::keyClick(contrast, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(contrast, "25");
    QTest::keyClick(contrast, Qt::Key(key));
    QCOMPARE(window_->document()->params().contrast, key == Qt::Key_Return ? 0.25 : 0.0);
    QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(window_->canvas()));
}

void TestEditorUx::toolKeysWorkInNumberFields_data() {
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("tool");
    QTest::newRow("B paints") << int(Qt::Key_B) << int(Tool::Paint);
    QTest::newRow("E erases") << int(Qt::Key_E) << int(Tool::Erase);
    QTest::newRow("H pans") << int(Qt::Key_H) << int(Tool::Pan);
}

void TestEditorUx::toolKeysWorkInNumberFields() {
    QFETCH(int, key);
    QFETCH(int, tool);
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
    window_->selectTool(tool == int(Tool::Pan) ? Tool::Paint : Tool::Pan);
    auto* size = window_->findChild<QSpinBox*>("brushSize");
    size->setFocus();
    QTRY_VERIFY(size->hasFocus());
    QTest::keyClick(size, Qt::Key(key));
    QCOMPARE(int(window_->canvas()->tool()), tool);
    QCOMPARE(size->value(), 80);  // the letter did not land in the field

    // M and S toggle the overlay and the split view from a number field too.
    const bool overlay = window_->canvas()->overlayVisible(), split = window_->canvas()->splitView();
    QDoubleSpinBox* spin = window_->paramsPanel()->spinBox(Filter::Saturation);
    spin->setFocus();
    QTRY_VERIFY(spin->hasFocus());
    QTest::keyClick(spin, Qt::Key_M);
    QTest::keyClick(spin, Qt::Key_S);
    QCOMPARE(window_->canvas()->overlayVisible(), !overlay);
    QCOMPARE(window_->canvas()->splitView(), !split);
}

void TestEditorUx::controlShortcutsWorkInNumberFields() {
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    auto* size = window_->findChild<QSpinBox*>("brushSize");
    size->setFocus();
    QTRY_VERIFY(size->hasFocus());
    // Ctrl+H is "backspace" to a Unix line edit; here it is Harmonize.
    QTest::keyClick(size, Qt::Key_H, Qt::ControlModifier);
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QVERIFY(finished.first().first().toBool());
    QCOMPARE(size->value(), 80);
    // Ctrl+E opens the export dialog from there as well.
    QAction* exportAction = findAction(window_.get(), "Export");
    QVERIFY(exportAction);
    QSignalSpy triggered(exportAction, &QAction::triggered);
    auto closer = whenModal<QDialog>([](QDialog* dialog) { dialog->reject(); });
    QTest::keyClick(size, Qt::Key_E, Qt::ControlModifier);
    QCOMPARE(triggered.count(), 1);
}

void TestEditorUx::zoomKeysAndPercentage_data() {
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("modifiers");
    QTest::addColumn<bool>("in");
    QTest::newRow("Ctrl+=") << int(Qt::Key_Equal) << int(Qt::ControlModifier) << true;
    QTest::newRow("Ctrl++") << int(Qt::Key_Plus) << int(Qt::ControlModifier) << true;  // keypad or a layout with an unshifted +
    QTest::newRow("Ctrl+-") << int(Qt::Key_Minus) << int(Qt::ControlModifier) << false;
}

void TestEditorUx::zoomKeysAndPercentage() {
    QFETCH(int, key);
    QFETCH(int, modifiers);
    QFETCH(bool, in);
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
    ImageCanvas* canvas = window_->canvas();
    canvas->setFocus();
    const double before = canvas->zoom();
    QVERIFY(window_->zoomLabel()->text().contains(QString("%1%").arg(std::lround(before * 100))));
    QTest::keyClick(canvas, Qt::Key(key), Qt::KeyboardModifiers(modifiers));
    QVERIFY2(in ? canvas->zoom() > before * 1.2 : canvas->zoom() < before / 1.2, qPrintable(QString::number(canvas->zoom())));
    QCOMPARE(window_->zoomLabel()->text(), QString("Zoom %1%").arg(std::lround(canvas->zoom() * 100)));
    canvas->zoomActualSize();
    QCOMPARE(window_->zoomLabel()->text(), QString("Zoom 100%"));
}

void TestEditorUx::maskChangeMarksPredictionStale() {
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    ParamsPanel* panel = window_->paramsPanel();
    QVERIFY(!panel->predictionStale());
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    QTest::mouseClick(panel->harmonizeButton(), Qt::LeftButton);
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QVERIFY(!panel->predictionStale());
    window_->featherMask(3.0);
    QVERIFY(panel->predictionStale());
    QVERIFY(panel->harmonizeAgainButton()->isVisible());
    // Undo gives the mask the values were predicted from back: no longer stale.
    window_->document()->undoStack()->undo();
    QVERIFY(!panel->predictionStale());
    window_->invertMask();
    QVERIFY(panel->predictionStale());
    QTest::mouseClick(panel->harmonizeAgainButton(), Qt::LeftButton);
    QVERIFY(finished.count() == 2 || finished.wait(kWait));
    QVERIFY(!panel->predictionStale());
    QCOMPARE(window_->document()->undoStack()->undoText(), QString("Harmonize"));
}

void TestEditorUx::harmonizesOnOpenWithMask_data() {
    QTest::addColumn<bool>("preference");
    QTest::addColumn<bool>("withMask");
    QTest::addColumn<bool>("predicts");
    QTest::newRow("on, with mask") << true << true << true;
    QTest::newRow("on, no mask") << true << false << false;
    QTest::newRow("off, with mask") << false << true << false;
}

void TestEditorUx::harmonizesOnOpenWithMask() {
    QFETCH(bool, preference);
    QFETCH(bool, withMask);
    QFETCH(bool, predicts);
    window_.reset();
    // The preference, as the dialog stores it, decides (the window is not pinned here).
    Preferences prefs;
    prefs.autoHarmonize = preference;
    prefs.save();
    StudioOptions options;
    options.modelPath = modelPath_.toStdString();
    options.confirmClose = false;
    options.threads = 1;
    window_ = std::make_unique<MainWindow>(options);
    window_->show();
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    QVERIFY(window_->openImage(kSampleImage, withMask ? kSampleMask : QString()));
    if (predicts) {
        QVERIFY(finished.count() == 1 || finished.wait(kWait));
        QVERIFY(window_->document()->predicted().has_value());
        QVERIFY(!window_->document()->params().isIdentity());
        // Opening is not an edit: quitting does not ask, but undo goes back to zero.
        QVERIFY(!window_->isWindowModified());
        window_->document()->undoStack()->undo();
        QVERIFY(window_->document()->params().isIdentity());
    } else {
        QVERIFY(!window_->isHarmonizing());
        QTest::qWait(50);
        QCOMPARE(finished.count(), 0);
        QVERIFY(!window_->document()->predicted().has_value());
    }
}

void TestEditorUx::jpegExportSaysWhatItCosts_data() {
    QTest::addColumn<bool>("sixteen");
    QTest::newRow("8-bit photo") << false;
    QTest::newRow("16-bit photo") << true;
}

void TestEditorUx::jpegExportSaysWhatItCosts() {
    QFETCH(bool, sixteen);
    JpegExportDialog dialog(90, sixteen);
    dialog.show();
    QVERIFY(dialog.noteLabel()->isVisible());
    const QString note = dialog.noteLabel()->text();
    QVERIFY(note.contains("background"));
    QVERIFY(note.contains("PNG or TIFF"));
    QCOMPARE(note.contains("8-bit"), sixteen);
    QCOMPARE(dialog.quality(), 90);
    dialog.qualityBox()->setValue(70);
    QCOMPARE(dialog.quality(), 70);
}

void TestEditorUx::shortcutsDialogListsEveryAction() {
    QAction* shortcuts = findAction(window_.get(), "Keyboard Shortcuts");
    QVERIFY(shortcuts);
    QStringList rows;
    auto reader = whenModal<ShortcutsDialog>([&](ShortcutsDialog* dialog) {
        for (int r = 0; r < dialog->table()->rowCount(); ++r)
            rows << dialog->table()->item(r, 0)->text() + " = " + dialog->table()->item(r, 1)->text();
        dialog->reject();
    });
    shortcuts->trigger();
    QVERIFY(!rows.isEmpty());
    const QString all = rows.join('\n');
    // Each key the issue found missing, and every action that has a shortcut.
    for (const QString key : {"Ctrl+I", "Ctrl+M", "Ctrl+N", "Ctrl+S", "Ctrl+Shift+O", "Ctrl+Shift+F", "Ctrl+Shift+L",
                              "Ctrl+-", "Ctrl++", "Ctrl+=", "Ctrl+E", "Ctrl+H", "Ctrl+V"})
        QVERIFY2(all.contains(key), qPrintable(key));
    for (QAction* action : window_->allActions())
        for (const QKeySequence& key : action->shortcuts())
            QVERIFY2(all.contains(key.toString(QKeySequence::NativeText)), qPrintable(action->text()));
}

void TestEditorUx::aboutShowsLicenceModelAndPaper() {
    const QString card = modelCardSummary(QStringLiteral(HZ_SOURCE_DIR "/models/README.md"));
    QVERIFY(card.contains("version"));
    const QString text = aboutText("1.2.3", card, "test-random");
    for (const QString part : {"1.2.3", "Licence", "ECCV 2022", "Harmonizer", "test-random", "version", "status"})
        QVERIFY2(text.contains(part), qPrintable(part));
    QVERIFY(aboutText("1", {}, {}).contains("not installed"));
    // And the real About box shows it.
    QString shown;
    auto reader = whenModal<QMessageBox>([&](QMessageBox* box) {
        shown = box->text();
        box->accept();
    });
    findAction(window_.get(), "About")->trigger();
    QVERIFY(shown.contains("Licence"));
    QVERIFY(shown.contains("ECCV 2022"));
}

void TestEditorUx::openRecent() {
    const QString other = dir_.filePath("other.png");
    QVERIFY(cv::imwrite(other.toStdString(), cv::Mat(40, 60, CV_8UC3, cv::Scalar(9, 9, 9))));
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    QVERIFY(window_->openImage(other));
    const QList<RecentEntry> entries = window_->recentFiles()->entries();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries[0].path, QFileInfo(other).absoluteFilePath());
    QCOMPARE(entries[1].maskPath, QFileInfo(kSampleMask).absoluteFilePath());
    // Through the menu: the second entry opens the sample with its mask again.
    QMenu* menu = window_->findChild<QMenu*>("recentMenu");
    QVERIFY(menu);
    Q_EMIT menu->aboutToShow();
    QList<QAction*> items;
    for (QAction* a : menu->actions())
        if (!a->isSeparator() && a->isEnabled() && !a->text().contains("Clear")) items << a;
    QCOMPARE(items.size(), 2);
    QVERIFY(items[1]->text().contains("composite.jpg + mask.png"));
    items[1]->trigger();
    QCOMPARE(window_->document()->imagePath(), kSampleImage);
    QVERIFY(cv::countNonZero(window_->document()->mask()) > 0);
    // A file that has gone is left out.
    QVERIFY(QFile::remove(other));
    QCOMPARE(window_->recentFiles()->entries().size(), 1);
}

void TestEditorUx::pasteImage_data() {
    QTest::addColumn<bool>("compose");
    QTest::newRow("new composite") << false;
    QTest::newRow("foreground in compose mode") << true;
}

void TestEditorUx::pasteImage() {
    QFETCH(bool, compose);
    if (compose) QVERIFY(window_->newComposition(writeBackground()));
    QImage image(64, 48, QImage::Format_ARGB32);
    image.fill(qRgba(0, 0, 0, 0));
    for (int y = 8; y < 40; ++y)
        for (int x = 8; x < 56; ++x) image.setPixel(x, y, qRgba(255, 128, 0, 255));
    QGuiApplication::clipboard()->setImage(image);
    QAction* paste = findAction(window_.get(), "Paste Image");
    QVERIFY(paste);
    QVERIFY(paste->shortcuts().contains(QKeySequence(QKeySequence::Paste)));
    paste->trigger();
    EditorDocument* doc = window_->document();
    if (compose) {
        QVERIFY(doc->inComposeMode());
        QCOMPARE(int(doc->composeState()->layers.size()), 1);
        const ComposeLayer& layer = doc->composeState()->layers[0];
        QVERIFY(layer.foreground->hadAlpha);
        QCOMPARE(layer.foreground->alpha16.at<std::uint16_t>(2, 2), std::uint16_t(0));
        QCOMPARE(layer.foreground->alpha16.at<std::uint16_t>(20, 20), std::uint16_t(65535));
        QCOMPARE(layer.foreground->pixels.at<cv::Vec3b>(20, 20), cv::Vec3b(0, 128, 255));
        QCOMPARE(doc->undoStack()->undoText(), QString("Add Foreground"));
    } else {
        QCOMPARE(doc->imageSize(), cv::Size(64, 48));
        QCOMPARE(doc->image()->at<cv::Vec3b>(20, 20), cv::Vec3b(0, 128, 255));
        QVERIFY(doc->imagePath().isEmpty());
        QCOMPARE(cv::countNonZero(doc->mask()), 0);
    }
    // An empty clipboard says so and changes nothing.
    QGuiApplication::clipboard()->clear();
    const cv::Size size = doc->imageSize();
    paste->trigger();
    QCOMPARE(doc->imageSize(), size);
}

void TestEditorUx::histogramFollowsTheSliders() {
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    QVERIFY(waitForPreview(*window_));
    HistogramWidget* histogram = window_->histogram();
    QVERIFY(histogram->isVisible());
    QTRY_VERIFY(histogram->hasData());
    const MaskedHistograms before = histogram->histograms();
    QVERIFY(before.foregroundWeight > 0 && before.backgroundWeight > 0);
    // The sample's studio-lit astronaut is much brighter and redder than the dusk scene.
    QVERIFY(before.foregroundMean[0] > before.backgroundMean[0] + 40);
    window_->paramsPanel()->slider(Filter::Brightness)->setValue(-60);
    QVERIFY(waitForPreview(*window_));
    const MaskedHistograms after = histogram->histograms();
    for (int c = 0; c < 3; ++c) {
        QVERIFY(after.foregroundMean[c] < before.foregroundMean[c] - 5);
        QVERIFY(std::abs(after.backgroundMean[c] - before.backgroundMean[c]) < 1.0);  // background untouched
    }
    // The pure function on a known image: a bright foreground on a dark background.
    QImage image(10, 10, QImage::Format_RGB32);
    image.fill(qRgb(10, 10, 10));
    cv::Mat mask = cv::Mat::zeros(10, 10, CV_16UC1);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 10; ++x) {
            image.setPixel(x, y, qRgb(200, 100, 50));
            mask.at<std::uint16_t>(y, x) = 65535;
        }
    const MaskedHistograms h = computeMaskedHistograms(image, mask);
    QCOMPARE(h.foregroundWeight, 50.0);
    QCOMPARE(h.foreground[0][200], 50.0);
    QCOMPARE(h.background[2][10], 50.0);
    QCOMPARE(h.foregroundMean[1], 100.0);
}

void TestEditorUx::preferencesDialog() {
    QAction* preferences = findAction(window_.get(), "Preferences");
    QVERIFY(preferences);
    auto answer = whenModal<PreferencesDialog>([](PreferencesDialog* dialog) {
        dialog->autoHarmonizeBox()->setChecked(false);
        dialog->threadsBox()->setValue(3);
        dialog->deviceBox()->setCurrentIndex(dialog->deviceBox()->findData("cpu"));
        dialog->pixelLimitBox()->setValue(50);
        dialog->accept();
    });
    preferences->trigger();
    QCOMPARE(window_->preferences().autoHarmonize, false);
    const Preferences stored = Preferences::load();
    QCOMPARE(stored.autoHarmonize, false);
    QCOMPARE(stored.threads, 3);
    QCOMPARE(stored.device, QString("cpu"));
    QCOMPARE(stored.pixelLimitMegapixels, 50);
    // Cancel keeps what was there.
    auto cancel = whenModal<PreferencesDialog>([](PreferencesDialog* dialog) {
        dialog->threadsBox()->setValue(7);
        dialog->reject();
    });
    preferences->trigger();
    QCOMPARE(Preferences::load().threads, 3);
}

void TestEditorUx::pixelLimitRefusesLargeImages() {
    Preferences prefs;
    prefs.pixelLimitMegapixels = 1;
    window_->setPreferences(prefs);
    const QString big = dir_.filePath("big.png");
    QVERIFY(cv::imwrite(big.toStdString(), cv::Mat(1100, 1000, CV_8UC3, cv::Scalar(1, 2, 3))));
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    QVERIFY(!window_->openImage(big));
    QVERIFY(window_->lastError().contains("big.png"));
    QVERIFY(window_->lastError().contains("Preferences"));
    QCOMPARE(window_->document()->imagePath(), kSampleImage);  // the current work is kept
}

namespace {

// Where the handle of `slider` is, in its own coordinates.
QPoint handleCentre(const QSlider* slider) {
    const int length = slider->style()->pixelMetric(QStyle::PM_SliderLength, nullptr, slider);
    const int x = QStyle::sliderPositionFromValue(slider->minimum(), slider->maximum(), slider->value(),
                                                  slider->width() - length);
    return QPoint(x + length / 2, slider->height() / 2);
}

// A drag of `dx` pixels on the handle, with or without Shift held while moving.
int dragBy(QSlider* slider, int dx, Qt::KeyboardModifiers modifiers) {
    const int before = slider->value();
    const QPoint start = handleCentre(slider);
    QTest::mousePress(slider, Qt::LeftButton, modifiers, start);
    for (int step = 1; step <= 4; ++step) {
        const QPointF p = start + QPoint(dx * step / 4, 0);
        QMouseEvent move(QEvent::MouseMove, p, slider->mapToGlobal(p), Qt::NoButton, Qt::LeftButton, modifiers);
        QApplication::sendEvent(slider, &move);
    }
    QTest::mouseRelease(slider, Qt::LeftButton, modifiers, start + QPoint(dx, 0));
    return slider->value() - before;
}

}  // namespace

void TestEditorUx::slidersGrowFineControlAndReset() {
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    window_->harmonize();
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QSlider* slider = window_->paramsPanel()->slider(Filter::Contrast);
    QTRY_VERIFY(slider->width() >= 200);  // 1 unit a pixel at least, at any window size
    const int narrow = slider->width();
    // A wider window gives the panel, and so the sliders, more room.
    window_->resize(1900, 900);
    QTRY_VERIFY2(slider->width() > narrow + 30, qPrintable(QString("%1 -> %2, window %3, panel %4").arg(narrow).arg(slider->width()).arg(window_->width()).arg(window_->paramsPanel()->width())));
    // And dragging the divider between image and panel to the left makes them longer still.
    auto* splitter = qobject_cast<QSplitter*>(window_->centralWidget());
    QVERIFY(splitter);
    QSplitterHandle* divider = splitter->handle(1);
    const int wide = slider->width();
    const QPoint grip(divider->width() / 2, divider->height() / 2);
    QTest::mousePress(divider, Qt::LeftButton, {}, grip);
    QMouseEvent pull(QEvent::MouseMove, grip - QPoint(250, 0), divider->mapToGlobal(grip - QPoint(250, 0)), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(divider, &pull);
    QTest::mouseRelease(divider, Qt::LeftButton, {}, grip - QPoint(250, 0));
    QTRY_VERIFY2(slider->width() > wide + 150, qPrintable(QString("%1 -> %2").arg(wide).arg(slider->width())));

    // Start from the middle so that both drags have room.
    slider->setValue(0);
    const int coarse = dragBy(slider, 80, Qt::NoModifier);
    slider->setValue(0);
    const int fine = dragBy(slider, 80, Qt::ShiftModifier);
    QVERIFY2(coarse >= 30, qPrintable(QString::number(coarse)));
    QVERIFY2(fine >= 1 && fine * 5 <= coarse, qPrintable(QString("coarse %1 fine %2").arg(coarse).arg(fine)));
    QCOMPARE(window_->document()->params().contrast, fine / 100.0);

    // Shift+wheel: one step a notch; the plain wheel moves more.
    slider->setValue(0);
    const QPoint centre = handleCentre(slider);
    QWheelEvent wheel(centre, slider->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::ShiftModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(slider, &wheel);
    QCOMPARE(slider->value(), 1);

    // Double-click puts this slider, and only this one, back to the prediction.
    const FilterParams predicted = *window_->document()->predicted();
    window_->paramsPanel()->slider(Filter::Saturation)->setValue(55);
    QTest::mouseDClick(slider, Qt::LeftButton, {}, handleCentre(slider));
    QCOMPARE(window_->document()->params().contrast, predicted.contrast);
    QCOMPARE(window_->document()->params().saturation, 0.55);
    QCOMPARE(slider->value(), int(std::lround(predicted.contrast * 100)));
}

QTEST_MAIN(TestEditorUx)
#include "test_editor_ux.moc"
