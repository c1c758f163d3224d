// Select Subject in the editor through its real widgets on the offscreen platform (issue 17):
// Select Subject (button, shortcut, menu) is one undo step of the photo's size; the Object
// Selection box changes nothing outside the box; Refine Edge's OK is one undo step and Cancel
// changes nothing; the window keeps processing events while the worker runs; a missing
// subject model is a one-line error in the banner; Add Foreground cuts out a photo's subject;
// a cut-out layer survives a session round trip. The masks are compared with what the core
// pipelines give for the same model, so the editor is checked to apply exactly their result.
// The model is the CTest fixture's untrained subject model (HZ_TEST_SUBJECT_MODEL).
#include <QAction>
#include <QApplication>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <memory>

#include "core/image_io.h"
#include "core/session/compose.h"
#include "core/subject/refine.h"
#include "core/subject/select.h"
#include "core/subject/subject_predictor.h"
#include "ui/box_select_tool.h"
#include "ui/editor_document.h"
#include "ui/image_canvas.h"
#include "tests/ui/ui_test_helpers.h"
#include "ui/main_window.h"
#include "ui/preview_controller.h"
#include "ui/refine_edge_dialog.h"
#include "ui/refine_edge_preview.h"
#include "ui/subject_selection.h"
#include "ui/subject_tools.h"

using namespace hz;
using namespace hz::ui;
using hz::test::equalMats;
using hz::test::whenModal;

namespace {

const QString kSampleImage = QStringLiteral(HZ_SAMPLE_DIR "/composite.jpg");
const QString kSampleMask = QStringLiteral(HZ_SAMPLE_DIR "/mask.png");
constexpr int kWait = 120000;

QToolButton* toolBarButton(MainWindow& window, QAction* action) {
    for (QToolBar* bar : window.findChildren<QToolBar*>())
        if (auto* button = qobject_cast<QToolButton*>(bar->widgetForAction(action))) return button;
    return nullptr;
}

// The mask outside `box` (a copy with the box zeroed), to compare what a box may not touch.
cv::Mat outside(const cv::Mat& mask, const cv::Rect& box) {
    cv::Mat copy = mask.clone();
    copy(box).setTo(0);
    return copy;
}

}  // namespace

class TestSubjectUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void selectSubjectIsOneUndoStep_data();
    void selectSubjectIsOneUndoStep();
    void windowStaysResponsiveAndCancels_data();
    void windowStaysResponsiveAndCancels();
    void boxChangesOnlyInsideTheBox_data();
    void boxChangesOnlyInsideTheBox();
    void refineEdgeOkIsOneStepCancelChangesNothing_data();
    void refineEdgeOkIsOneStepCancelChangesNothing();
    void missingModelShowsTheBanner_data();
    void missingModelShowsTheBanner();
    void addForegroundOffersCutOut_data();
    void addForegroundOffersCutOut();
    void cutOutLayerSurvivesSession();
    void composeModeHasNoBoxOrRefine();

private:
    std::unique_ptr<MainWindow> makeWindow(const QString& subjectModel);
    bool waitForSelection(MainWindow& window);
    cv::Mat expectedSubject(const cv::Mat& photo);
    QString writeBackground();

    QTemporaryDir dir_;
    QString subjectModel_;
    std::unique_ptr<subject::SubjectPredictor> predictor_;
    std::unique_ptr<MainWindow> window_;
};

void TestSubjectUi::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HarmonizerStudioTests");
    QCoreApplication::setApplicationName("test_subject_ui");
    QVERIFY(dir_.isValid());
    QVERIFY2(QFile::exists(kSampleImage), qPrintable(kSampleImage));
    subjectModel_ = qEnvironmentVariable("HZ_TEST_SUBJECT_MODEL");
    QVERIFY2(QFile::exists(subjectModel_), "HZ_TEST_SUBJECT_MODEL must name a subject model (the CTest fixture sets it)");
    // The reference the editor's results must equal: same model, same thread count.
    predictor_ = std::make_unique<subject::SubjectPredictor>(subjectModel_.toStdString(), 1);
}

std::unique_ptr<MainWindow> TestSubjectUi::makeWindow(const QString& subjectModel) {
    StudioOptions options;
    options.modelPath = dir_.filePath("no-harmonizer-model.hzm").toStdString();  // not needed here
    options.subjectModelPath = subjectModel.toStdString();
    options.confirmClose = false;
    options.threads = 1;
    options.autoHarmonize = false;
    auto window = std::make_unique<MainWindow>(options);
    window->resize(1100, 760);
    window->show();
    return window;
}

bool TestSubjectUi::waitForSelection(MainWindow& window) {
    return QTest::qWaitFor([&] { return !window.subjectTools()->selection()->isBusy(); }, kWait);
}

cv::Mat TestSubjectUi::expectedSubject(const cv::Mat& photo) { return subject::selectSubject(*predictor_, photo); }

QString TestSubjectUi::writeBackground() {
    const QString path = dir_.filePath("background.png");
    cv::Mat background(500, 700, CV_8UC3, cv::Scalar(200, 120, 40));
    cv::imwrite(path.toStdString(), background);
    return path;
}

void TestSubjectUi::init() {
    window_ = makeWindow(subjectModel_);
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QVERIFY2(window_->openImage(kSampleImage, kSampleMask), qPrintable(window_->lastError()));
}

void TestSubjectUi::cleanup() { window_.reset(); }

void TestSubjectUi::selectSubjectIsOneUndoStep_data() {
    QTest::addColumn<QString>("how");
    QTest::addColumn<bool>("startEmpty");
    QTest::newRow("tool bar button, loaded mask") << "button" << false;
    QTest::newRow("Ctrl+Alt+S, loaded mask") << "shortcut" << false;
    QTest::newRow("Mask menu, empty mask") << "menu" << true;
}

void TestSubjectUi::selectSubjectIsOneUndoStep() {
    QFETCH(QString, how);
    QFETCH(bool, startEmpty);
    EditorDocument* doc = window_->document();
    if (startEmpty) window_->clearMask();
    const cv::Mat before = doc->mask().clone();
    const int index = doc->undoStack()->index();
    QAction* action = window_->subjectTools()->selectSubjectAction();
    QVERIFY(action->isEnabled());
    QSignalSpy finished(window_->subjectTools()->selection(), &SubjectSelection::finished);
    if (how == "button") {
        QToolButton* button = toolBarButton(*window_, action);
        QVERIFY(button);
        QTest::mouseClick(button, Qt::LeftButton);
    } else if (how == "shortcut") {
        window_->canvas()->setFocus();
        QTest::keyClick(window_->canvas(), Qt::Key_S, Qt::ControlModifier | Qt::AltModifier);
    } else {
        action->trigger();
    }
    QVERIFY(window_->subjectTools()->selection()->isBusy());
    QVERIFY(!action->isEnabled());  // one request at a time
    QVERIFY(finished.wait(kWait));
    QCOMPARE(finished.first().first().toBool(), true);

    const cv::Mat after = doc->mask().clone();
    QCOMPARE(after.size(), doc->imageSize());
    QCOMPARE(after.type(), CV_16UC1);
    QVERIFY(equalMats(after, expectedSubject(*doc->image())));
    QCOMPARE(doc->undoStack()->index(), index + 1);
    QCOMPARE(doc->undoStack()->undoText(), QString("Select Subject"));
    QVERIFY(action->isEnabled());
    doc->undoStack()->undo();
    QVERIFY(equalMats(doc->mask(), before));  // bit for bit
    doc->undoStack()->redo();
    QVERIFY(equalMats(doc->mask(), after));
}

void TestSubjectUi::windowStaysResponsiveAndCancels_data() {
    QTest::addColumn<bool>("cancel");
    QTest::newRow("runs to the end") << false;
    QTest::newRow("Cancel in the status bar") << true;
}

void TestSubjectUi::windowStaysResponsiveAndCancels() {
    QFETCH(bool, cancel);
    EditorDocument* doc = window_->document();
    const cv::Mat before = doc->mask().clone();
    const int index = doc->undoStack()->index();
    SubjectTools* tools = window_->subjectTools();
    // A fresh window loads the model inside the request: the slowest case for the GUI thread.
    int ticks = 0;
    QTimer heartbeat;
    connect(&heartbeat, &QTimer::timeout, [&] {
        if (tools->selection()->isBusy()) ++ticks;
    });
    heartbeat.start(1);
    QVERIFY(tools->selectSubject());
    QVERIFY(tools->statusWidget()->isVisible());
    auto* cancelButton = tools->statusWidget()->findChild<QToolButton*>("subjectCancel");
    QVERIFY(cancelButton && cancelButton->isVisible());
    QVERIFY(tools->statusWidget()->findChild<QProgressBar*>()->format().contains("subject"));
    if (cancel) QTest::mouseClick(cancelButton, Qt::LeftButton);
    QVERIFY(waitForSelection(*window_));
    heartbeat.stop();
    QVERIFY2(ticks > 0, "the event loop ran while the worker worked");
    QVERIFY(!tools->statusWidget()->isVisible());
    if (cancel) {
        QVERIFY(equalMats(doc->mask(), before));
        QCOMPARE(doc->undoStack()->index(), index);
    } else {
        QCOMPARE(doc->undoStack()->index(), index + 1);
    }
    QVERIFY(!window_->findChild<QWidget*>("errorBanner")->isVisible());
}

void TestSubjectUi::boxChangesOnlyInsideTheBox_data() {
    QTest::addColumn<bool>("subtract");
    QTest::addColumn<bool>("startEmpty");
    QTest::newRow("add to an empty mask") << false << true;
    QTest::newRow("add to the loaded mask") << false << false;
    QTest::newRow("Alt subtracts from the loaded mask") << true << false;
}

void TestSubjectUi::boxChangesOnlyInsideTheBox() {
    QFETCH(bool, subtract);
    QFETCH(bool, startEmpty);
    EditorDocument* doc = window_->document();
    if (startEmpty) window_->clearMask();
    ImageCanvas* canvas = window_->canvas();
    canvas->setFocus();
    QTest::keyClick(canvas, Qt::Key_W);
    QCOMPARE(canvas->tool(), Tool::BoxSelect);
    QVERIFY(canvas->overlayVisible());

    const cv::Mat before = doc->mask().clone();
    const int index = doc->undoStack()->index();
    const cv::Size size = doc->imageSize();
    // A box around the middle of the picture, where the sample's foreground is.
    const QPoint from = canvas->imageToWidget(QPointF(size.width * 0.25, size.height * 0.2)).toPoint();
    const QPoint to = canvas->imageToWidget(QPointF(size.width * 0.75, size.height * 0.85)).toPoint();
    QSignalSpy boxes(window_->subjectTools()->boxTool(), &BoxSelectTool::boxSelected);
    const Qt::KeyboardModifiers modifiers = subtract ? Qt::AltModifier : Qt::NoModifier;
    QTest::mousePress(canvas, Qt::LeftButton, modifiers, from);
    QTest::mouseMove(canvas, (from + to) / 2);
    QTest::mouseMove(canvas, to);
    QTest::mouseRelease(canvas, Qt::LeftButton, modifiers, to);
    QCOMPARE(boxes.count(), 1);
    const QRect r = boxes.first().first().toRect();
    QCOMPARE(boxes.first().at(1).toBool(), subtract);
    const cv::Rect box(r.x(), r.y(), r.width(), r.height());
    QVERIFY(box.width > size.width / 3 && box.height > size.height / 2);
    QVERIFY(window_->subjectTools()->selection()->isBusy());
    QVERIFY(waitForSelection(*window_));

    // What the core gives for that box, merged as the tool promises.
    const cv::Mat found = subject::selectInBox(*predictor_, *doc->image(), box);
    QVERIFY(cv::countNonZero(outside(found, box)) == 0);
    cv::Mat expected = before.clone();
    cv::Mat inBox = expected(box);
    if (subtract) {
        cv::Mat keep;
        cv::subtract(cv::Scalar::all(65535), found(box), keep);
        cv::min(before(box), keep, inBox);
    } else {
        cv::max(before(box), found(box), inBox);
    }
    QVERIFY(equalMats(doc->mask(), expected));
    QVERIFY(equalMats(outside(doc->mask(), box), outside(before, box)));  // bit for bit outside
    QVERIFY2(!equalMats(expected, before), "the box changed the mask (else this row tests nothing)");
    QCOMPARE(doc->undoStack()->index(), index + 1);
    QCOMPARE(doc->undoStack()->undoText(), subtract ? QString("Object Selection (subtract)") : QString("Object Selection"));
    doc->undoStack()->undo();
    QVERIFY(equalMats(doc->mask(), before));

    // Brush strokes still add afterwards.
    doc->undoStack()->redo();
    window_->selectTool(Tool::Paint);
    window_->setBrushSize(20);
    window_->setBrushHardness(1.0);
    const QPoint corner = canvas->imageToWidget(QPointF(15, 15)).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, corner);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, corner);
    QCOMPARE(doc->mask().at<std::uint16_t>(15, 15), std::uint16_t(65535));
    QCOMPARE(doc->undoStack()->index(), index + 2);
}

void TestSubjectUi::refineEdgeOkIsOneStepCancelChangesNothing_data() {
    QTest::addColumn<QString>("close");
    QTest::addColumn<bool>("painted");
    QTest::addColumn<bool>("waitForPreview");
    QTest::newRow("OK, loaded mask") << "ok" << false << true;
    QTest::newRow("OK at once, before the preview") << "ok" << false << false;
    QTest::newRow("OK, painted mask") << "ok" << true << true;
    QTest::newRow("Cancel") << "cancel" << false << true;
    QTest::newRow("Escape") << "escape" << true << true;
}

void TestSubjectUi::refineEdgeOkIsOneStepCancelChangesNothing() {
    QFETCH(QString, close);
    QFETCH(bool, painted);
    QFETCH(bool, waitForPreview);
    EditorDocument* doc = window_->document();
    ImageCanvas* canvas = window_->canvas();
    if (painted) {
        window_->clearMask();
        window_->selectTool(Tool::Paint);
        window_->setBrushSize(120);
        window_->setBrushHardness(1.0);
        const cv::Size size = doc->imageSize();
        const QPoint a = canvas->imageToWidget(QPointF(size.width * 0.3, size.height * 0.5)).toPoint();
        const QPoint b = canvas->imageToWidget(QPointF(size.width * 0.7, size.height * 0.5)).toPoint();
        QTest::mousePress(canvas, Qt::LeftButton, {}, a);
        QTest::mouseMove(canvas, b);
        QTest::mouseRelease(canvas, Qt::LeftButton, {}, b);
    }
    const std::shared_ptr<const cv::Mat> original = doc->maskSnapshot();
    const cv::Mat before = original->clone();
    const int index = doc->undoStack()->index();

    QVERIFY(window_->subjectTools()->refineEdgeAction()->isEnabled());
    canvas->setFocus();
    QTest::keyClick(canvas, Qt::Key_R, Qt::ControlModifier | Qt::AltModifier);
    RefineEdgeDialog* dialog = window_->subjectTools()->refineDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(!window_->subjectTools()->refineEdgeAction()->isEnabled());
    const auto& specs = subject::refineEdgeSpecs();
    QCOMPARE(dialog->findChildren<QSlider*>().size(), qsizetype(specs.size()));  // one table drives it

    // Feather and shift, moved through their sliders (the same signal path as a drag).
    subject::RefineEdgeParams params;
    for (int i = 0; i < int(specs.size()); ++i) {
        const std::string key = specs[std::size_t(i)].key;
        const double value = key == "feather" ? std::min(6.0, specs[std::size_t(i)].maximum)
                             : key == "shift" ? std::min(3.0, specs[std::size_t(i)].maximum)
                                              : specs[std::size_t(i)].defaultValue;
        params.*(specs[std::size_t(i)].member) = value;
        dialog->slider(i)->setValue(int(std::lround(value * 10)));
        QCOMPARE(dialog->spinBox(i)->value(), value);
    }
    QVERIFY(!params.isIdentity());
    const cv::Mat refined = subject::refineEdge(before, *doc->image(), params);
    QVERIFY(!equalMats(refined, before));
    if (waitForPreview) {
        // The canvas shows the refined mask while the dialog is open, outside the undo history.
        QVERIFY(QTest::qWaitFor([&] { return dialog->preview()->isCurrent(); }, kWait));
        QVERIFY(equalMats(doc->mask(), refined));
        QCOMPARE(doc->undoStack()->index(), index);
    }
    QPointer<RefineEdgeDialog> alive(dialog);
    if (close == "ok") {
        QTest::mouseClick(dialog->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
    } else if (close == "cancel") {
        QTest::mouseClick(dialog->buttons()->button(QDialogButtonBox::Cancel), Qt::LeftButton);
    } else {
        QTest::keyClick(dialog, Qt::Key_Escape);
    }
    QVERIFY(QTest::qWaitFor([&] { return alive.isNull(); }, kWait));  // closed and deleted
    if (close == "ok") {
        QCOMPARE(doc->undoStack()->index(), index + 1);
        QCOMPARE(doc->undoStack()->undoText(), QString("Refine Edge"));
        QVERIFY(equalMats(doc->mask(), refined));
        doc->undoStack()->undo();
        QVERIFY(equalMats(doc->mask(), before));
        QVERIFY(doc->maskSnapshot() == original);  // the very buffer it had
    } else {
        QCOMPARE(doc->undoStack()->index(), index);
        QVERIFY(equalMats(doc->mask(), before));
        QVERIFY(doc->maskSnapshot() == original);
    }
    QVERIFY(window_->subjectTools()->refineEdgeAction()->isEnabled());
}

void TestSubjectUi::missingModelShowsTheBanner_data() {
    QTest::addColumn<bool>("box");
    QTest::newRow("Select Subject") << false;
    QTest::newRow("Object Selection") << true;
}

void TestSubjectUi::missingModelShowsTheBanner() {
    QFETCH(bool, box);
    window_ = makeWindow(dir_.filePath("missing-subject.hzm"));
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QVERIFY(window_->openImage(kSampleImage, kSampleMask));
    EditorDocument* doc = window_->document();
    const cv::Mat before = doc->mask().clone();
    const int index = doc->undoStack()->index();
    // Nothing is loaded at start-up or on opening: the missing file shows only when asked for.
    QVERIFY(!window_->findChild<QWidget*>("errorBanner")->isVisible());
    if (box)
        QVERIFY(window_->subjectTools()->selectInBox(QRect(10, 10, 200, 200), false));
    else
        QVERIFY(window_->subjectTools()->selectSubject());
    QVERIFY(waitForSelection(*window_));
    QVERIFY(window_->findChild<QWidget*>("errorBanner")->isVisible());
    const QString error = window_->lastError();
    QVERIFY2(error.contains("missing-subject.hzm"), qPrintable(error));
    QVERIFY2(!error.contains('\n'), qPrintable(error));
    QVERIFY(equalMats(doc->mask(), before));
    QCOMPARE(doc->undoStack()->index(), index);
    // The editor still works: the other mask operations go on.
    window_->invertMask();
    QCOMPARE(doc->undoStack()->index(), index + 1);
    QVERIFY(window_->subjectTools()->selectSubjectAction()->isEnabled());
}

void TestSubjectUi::addForegroundOffersCutOut_data() {
    QTest::addColumn<QString>("answer");
    QTest::newRow("Cut Out Subject") << "Cut Out Subject";
    QTest::newRow("Use Whole Image") << "Use Whole Image";
    QTest::newRow("Cancel") << "Cancel";
}

void TestSubjectUi::addForegroundOffersCutOut() {
    QFETCH(QString, answer);
    QVERIFY(window_->newComposition(writeBackground()));
    EditorDocument* doc = window_->document();
    const int index = doc->undoStack()->index();
    bool asked = false;
    const auto timer = whenModal<QMessageBox>([&](QMessageBox* box) {
        asked = box->objectName() == "foregroundMaskQuestion";
        for (QAbstractButton* button : box->buttons())
            if (button->text() == answer) QTest::mouseClick(button, Qt::LeftButton);
    });
    const bool added = window_->addForegroundAsking(kSampleImage);  // a JPEG: no alpha
    QVERIFY(asked);
    QCOMPARE(added, answer != "Cancel");
    if (answer == "Cancel") {
        QVERIFY(doc->composeState()->layers.empty());
        QCOMPARE(doc->undoStack()->index(), index);
        return;
    }
    QVERIFY(waitForSelection(*window_));
    const auto& state = doc->composeState();
    QCOMPARE(int(state->layers.size()), 1);
    const ForegroundLayer& layer = *state->layers[0].foreground;
    const LoadedImage photo = loadImage(kSampleImage.toStdString());
    QVERIFY(equalMats(layer.pixels, photo.pixels));
    if (answer == "Cut Out Subject") {
        QVERIFY(equalMats(layer.alpha16, expectedSubject(photo.pixels)));
        QCOMPARE(doc->undoStack()->index(), index + 2);
        QCOMPARE(doc->undoStack()->undoText(), QString("Cut Out Subject"));
        doc->undoStack()->undo();  // the layer is back as it was added: opaque
        QCOMPARE(cv::countNonZero(doc->composeState()->layers[0].foreground->alpha16 != 65535), 0);
    } else {
        QCOMPARE(cv::countNonZero(layer.alpha16 != 65535), 0);
        QCOMPARE(doc->undoStack()->index(), index + 1);
    }
}

void TestSubjectUi::cutOutLayerSurvivesSession() {
    QVERIFY(window_->newComposition(writeBackground()));
    QVERIFY(window_->addForeground(kSampleImage));
    // Select Subject in compose mode cuts out the selected layer.
    QVERIFY(window_->subjectTools()->selectSubject());
    QCOMPARE(window_->subjectTools()->selection()->busyTarget(), SubjectSelection::Target::Layer);
    QVERIFY(waitForSelection(*window_));
    EditorDocument* doc = window_->document();
    const cv::Mat alpha = doc->composeState()->layers[0].foreground->alpha16.clone();
    const cv::Mat composite = doc->image()->clone(), mask = doc->mask().clone();
    QVERIFY(doc->composeState()->layers[0].maskInMemory);

    const QString session = dir_.filePath("cutout.hzsession");
    QVERIFY2(window_->saveSession(session), qPrintable(window_->lastError()));
    QVERIFY(QFile::exists(dir_.filePath("cutout.layer1.mask.png")));
    QVERIFY(!QFile::exists(dir_.filePath("cutout.layer1.png")));  // the layer's file is still its file
    window_ = makeWindow(subjectModel_);
    QVERIFY(window_->openSession(session));
    const auto& state = window_->document()->composeState();
    QVERIFY(state.has_value());
    QCOMPARE(int(state->layers.size()), 1);
    QCOMPARE(QFileInfo(state->layers[0].path).canonicalFilePath(), QFileInfo(kSampleImage).canonicalFilePath());
    QVERIFY(equalMats(state->layers[0].foreground->alpha16, alpha));
    QVERIFY(equalMats(*window_->document()->image(), composite));
    QVERIFY(equalMats(window_->document()->mask(), mask));
}

void TestSubjectUi::composeModeHasNoBoxOrRefine() {
    // The composite's mask there is the union of the layers' masks: the mask tools that edit
    // it directly are off (as the brush is); Select Subject works on the selected layer.
    QVERIFY(window_->newComposition(writeBackground()));
    SubjectTools* tools = window_->subjectTools();
    QVERIFY(!tools->selectSubjectAction()->isEnabled());  // no layer yet
    QVERIFY(window_->addForeground(kSampleImage));
    QVERIFY(tools->selectSubjectAction()->isEnabled());
    QVERIFY(!tools->refineEdgeAction()->isEnabled());
    QVERIFY(!tools->refineEdge());
    window_->canvas()->setFocus();
    QTest::keyClick(window_->canvas(), Qt::Key_W);
    QVERIFY(window_->canvas()->tool() != Tool::BoxSelect);
    QVERIFY(!tools->selectInBox(QRect(10, 10, 100, 100), false));
    window_->flatten();
    QVERIFY(tools->refineEdgeAction()->isEnabled());
    QTest::keyClick(window_->canvas(), Qt::Key_W);
    QCOMPARE(window_->canvas()->tool(), Tool::BoxSelect);
}

QTEST_MAIN(TestSubjectUi)
#include "test_subject_ui.moc"
