#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QThread>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QUndoView>
#include <QDockWidget>
#include <QVBoxLayout>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/image_io.h"
#include "core/model/predictor_options.h"
#include "core/paths.h"
#include "core/session/compose.h"
#include "core/session/export.h"
#include "core/session/session_file.h"
#include "ui/commands.h"
#include "ui/document_session.h"
#include "ui/editor_document.h"
#include "ui/image_canvas.h"
#include "ui/layers_panel.h"
#include "ui/clipboard_image.h"
#include "ui/export_options.h"
#include "ui/help_dialogs.h"
#include "ui/histogram_widget.h"
#include "ui/keyboard_focus.h"
#include "ui/foreground_cutout.h"
#include "ui/subject_tools.h"
#include "ui/recent_files.h"
#include "ui/params_panel.h"
#include "ui/preview_controller.h"
#include "ui/preview_renderer.h"

namespace hz::ui {

namespace {

const QString kImageFilter = QObject::tr("Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp);;All files (*)");
const QString kSessionFilter = QObject::tr("Harmonizer sessions (*.hzsession *.json);;All files (*)");
// The dragged layer is shown at screen resolution at most.
constexpr int kLayerPreviewSide = 1600;

std::string toStd(const QString& s) { return s.toStdString(); }

bool isSessionFile(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == "hzsession" || suffix == "json";
}

bool looksLikeMaskName(const QString& path) {
    const QString name = QFileInfo(path).completeBaseName().toLower();
    return name.contains("mask") || name.contains("matte") || name.contains("alpha");
}

}  // namespace

struct MainWindow::Actions {
    QAction *open, *openSample, *loadMask, *saveMask, *newComposition, *addForeground, *flatten;
    QAction *openSession, *saveSession, *saveSessionAs, *exportImage, *keepMetadata, *quit;
    QAction *undo, *redo, *invertMask, *clearMask, *featherMask, *resetPredicted, *resetZero;
    QAction *fit, *actualSize, *zoomIn, *zoomOut, *overlay, *split, *history, *layers, *histogram;
    QAction *paste, *preferences, *shortcuts, *about;
    QAction *toolPan, *toolPaint, *toolErase, *toolMove, *toolBox;
    QAction* harmonize;
    QAction* showOriginal;
};

MainWindow::MainWindow(const StudioOptions& options, QWidget* parent)
    : QMainWindow(parent), options_(options), prefs_(Preferences::load()) {
    setObjectName("HarmonizerStudio");
    setAcceptDrops(true);
    document_ = new EditorDocument(this);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* left = new QWidget(splitter);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->setSpacing(0);

    banner_ = new QWidget(left);
    banner_->setObjectName("errorBanner");
    banner_->setAutoFillBackground(true);
    banner_->setStyleSheet("#errorBanner { background: #6b2323; } #errorBanner QLabel { color: white; }");
    auto* bannerLayout = new QHBoxLayout(banner_);
    bannerLayout->setContentsMargins(10, 6, 6, 6);
    bannerText_ = new QLabel(banner_);
    bannerText_->setObjectName("errorText");
    bannerText_->setWordWrap(true);
    bannerText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* bannerClose = new QToolButton(banner_);
    bannerClose->setText(QStringLiteral("✕"));
    bannerClose->setAutoRaise(true);
    bannerClose->setToolTip(tr("Dismiss"));
    bannerLayout->addWidget(bannerText_, 1);
    bannerLayout->addWidget(bannerClose);
    banner_->hide();
    connect(bannerClose, &QToolButton::clicked, this, &MainWindow::clearError);

    canvas_ = new ImageCanvas(left);
    canvas_->setObjectName("canvas");
    leftLayout->addWidget(banner_);
    leftLayout->addWidget(canvas_, 1);

    panel_ = new ParamsPanel(splitter);
    panel_->setObjectName("paramsPanel");
    // No fixed minimum: the panel's layout decides (sliders at least 200 px long).
    panel_->setMaximumWidth(900);  // drag the divider: longer sliders, finer steps
    splitter->addWidget(left);
    splitter->addWidget(panel_);
    // The panel grows with the window (a third of what it gains) and with its divider, so
    // the sliders get longer and finer on a large screen.
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 1);
    splitter->setCollapsible(0, false);
    setCentralWidget(splitter);

    preview_ = new PreviewController(document_, canvas_, this);
    subjectTools_ = new SubjectTools(document_, canvas_, this, [this] { return workerThreads(); });
    subjectTools_->setModelPath(options_.subjectModelPath);

    buildActions();
    auto* historyDock = new QDockWidget(tr("History"), this);
    historyDock->setObjectName("historyDock");
    historyView_ = new QUndoView(document_->undoStack(), historyDock);
    historyView_->setEmptyLabel(tr("<opened>"));
    historyDock->setWidget(historyView_);
    addDockWidget(Qt::RightDockWidgetArea, historyDock);
    historyDock->hide();
    actions_->history = historyDock->toggleViewAction();
    actions_->history->setText(tr("&History"));
    layersDock_ = new QDockWidget(tr("Layers"), this);
    layersDock_->setObjectName("layersDock");
    layers_ = new LayersPanel(layersDock_);
    layersDock_->setWidget(layers_);
    addDockWidget(Qt::RightDockWidgetArea, layersDock_);
    layersDock_->hide();
    actions_->layers = layersDock_->toggleViewAction();
    actions_->layers->setText(tr("&Layers"));
    histogramDock_ = new QDockWidget(tr("Histogram"), this);
    histogramDock_->setObjectName("histogramDock");
    histogram_ = new HistogramWidget(histogramDock_);
    histogramDock_->setWidget(histogram_);
    addDockWidget(Qt::RightDockWidgetArea, histogramDock_);
    actions_->histogram = histogramDock_->toggleViewAction();
    actions_->histogram->setText(tr("Histo&gram"));
    connect(histogramDock_, &QDockWidget::visibilityChanged, this, [this](bool on) {
        if (on) refreshHistogram();
    });
    buildMenus();
    buildToolBars();
    buildStatusBar();
    connectDocument();


    harmonizeJob_ = new HarmonizeJob(this);
    connect(harmonizeJob_, &HarmonizeJob::finished, this, &MainWindow::onHarmonizeDone);
    exportJob_ = new ExportJob(this);
    connect(exportJob_, &ExportJob::progress, progress_, &QProgressBar::setValue);
    connect(exportJob_, &ExportJob::finished, this, &MainWindow::onExportDone);
    qApp->installEventFilter(this);
    new KeyboardFocus(this, canvas_);

    const std::string modelPath = options_.modelPath.empty() ? defaultModelPath() : options_.modelPath;
    const bool modelPresent = std::filesystem::exists(modelPath);
    deviceLabel_->setText(modelPresent ? tr("Model: not loaded yet") : tr("Model: missing"));
    deviceLabel_->setToolTip(QString::fromStdString(modelPath));
    panel_->setStatus(modelPresent
                          ? tr("Press Harmonize to predict the six values.")
                          : tr("No model at %1: Harmonize is unavailable; the sliders, mask tools and export work.")
                                .arg(QString::fromStdString(modelPath)));
    canvas_->setHint(tr("Drop a composite and its mask here, or use File > Open Composite.\n"
                        "File > Open Sample opens the bundled example."));
    resize(1400, 900);
    splitter->setSizes({960, 440});
    refreshTitle();
    refreshActions();
    refreshImageInfo();
    canvas_->setFocus();
}

MainWindow::~MainWindow() {
    qApp->removeEventFilter(this);
    exportJob_->cancel();
    exportJob_->waitForFinished();
    harmonizeJob_->waitForFinished();
}

void MainWindow::buildActions() {
    actions_ = std::make_unique<Actions>();
    Actions& a = *actions_;
    auto make = [this](const QString& text, const QKeySequence& shortcut, auto slot) {
        auto* action = new QAction(text, this);
        if (!shortcut.isEmpty()) action->setShortcut(shortcut);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    a.open = make(tr("&Open Composite…"), QKeySequence::Open, &MainWindow::chooseAndOpenImage);
    a.openSample = make(tr("Open &Sample"), {}, [this] { if (maybeSave()) openSample(); });
    a.loadMask = make(tr("&Load Mask…"), QKeySequence(tr("Ctrl+M")), &MainWindow::chooseAndLoadMask);
    a.saveMask = make(tr("Save &Mask As…"), {}, &MainWindow::chooseAndSaveMask);
    a.newComposition = make(tr("&New Composition from Background…"), QKeySequence::New,
                            &MainWindow::chooseAndStartComposition);
    a.addForeground = make(tr("Add &Foreground…"), QKeySequence(tr("Ctrl+Shift+F")), &MainWindow::chooseAndAddForeground);
    a.flatten = make(tr("F&latten"), QKeySequence(tr("Ctrl+Shift+L")), &MainWindow::flatten);
    a.openSession = make(tr("Open Sess&ion…"), QKeySequence(tr("Ctrl+Shift+O")), &MainWindow::chooseAndOpenSession);
    a.saveSession = make(tr("&Save Session"), QKeySequence::Save, [this] { saveSessionInteractive(false); });
    a.saveSessionAs = make(tr("Save Session &As…"), QKeySequence::SaveAs, [this] { saveSessionInteractive(true); });
    a.exportImage = make(tr("&Export…"), QKeySequence(tr("Ctrl+E")), &MainWindow::chooseAndExport);
    a.keepMetadata = make(tr("Export &Keeps Photo Metadata (EXIF, GPS…)"), {},
                          [this](bool on) { options_.exportKeepsMetadata = on; });
    a.keepMetadata->setCheckable(true);
    a.keepMetadata->setChecked(options_.exportKeepsMetadata);
    a.quit = make(tr("&Quit"), QKeySequence::Quit, &MainWindow::close);

    a.undo = document_->undoStack()->createUndoAction(this, tr("&Undo"));
    a.undo->setShortcut(QKeySequence::Undo);
    a.redo = document_->undoStack()->createRedoAction(this, tr("&Redo"));
    a.redo->setShortcuts({QKeySequence::Redo, QKeySequence(tr("Ctrl+Y"))});
    a.invertMask = make(tr("&Invert Mask"), QKeySequence(tr("Ctrl+I")), &MainWindow::invertMask);
    a.clearMask = make(tr("&Clear Mask"), {}, &MainWindow::clearMask);
    a.featherMask = make(tr("&Feather Mask…"), {}, &MainWindow::askAndFeather);
    a.resetPredicted = make(tr("Reset to &Predicted"), {}, &MainWindow::resetToPredicted);
    a.resetZero = make(tr("Reset to &Zero"), {}, &MainWindow::resetToZero);

    a.fit = make(tr("&Fit in Window"), QKeySequence(tr("Ctrl+0")), [this] { canvas_->fitToWindow(); });
    a.actualSize = make(tr("&Actual Size (100%)"), QKeySequence(tr("Ctrl+1")), [this] { canvas_->zoomActualSize(); });
    a.zoomIn = make(tr("Zoom &In"), QKeySequence::ZoomIn,
                    [this] { canvas_->setZoom(canvas_->zoom() * 1.25, QPointF(canvas_->width() / 2.0, canvas_->height() / 2.0)); });
    // Ctrl+= is the same key as Ctrl++ without Shift on most layouts.
    a.zoomIn->setShortcuts({QKeySequence(QKeySequence::ZoomIn), QKeySequence(tr("Ctrl+="))});
    a.zoomOut = make(tr("Zoom &Out"), QKeySequence::ZoomOut,
                     [this] { canvas_->setZoom(canvas_->zoom() / 1.25, QPointF(canvas_->width() / 2.0, canvas_->height() / 2.0)); });
    a.overlay = new QAction(tr("&Mask Overlay"), this);
    a.overlay->setShortcut(QKeySequence(tr("M")));
    a.overlay->setCheckable(true);
    connect(a.overlay, &QAction::toggled, this, [this](bool on) { canvas_->setOverlayVisible(on); });
    a.split = new QAction(tr("&Split Before/After"), this);
    a.split->setShortcut(QKeySequence(tr("S")));
    a.split->setCheckable(true);
    connect(a.split, &QAction::toggled, this, [this](bool on) { canvas_->setSplitView(on); });
    a.showOriginal = new QAction(tr("Hold to Show Original (\\)"), this);
    a.showOriginal->setToolTip(tr("Hold this button or the \\ key to see the original"));

    auto* tools = new QActionGroup(this);
    auto tool = [&](const QString& text, const QString& key, int id, const QString& tip) {
        QAction* action = make(text, QKeySequence(key), [this, id] { setTool(id); });
        action->setCheckable(true);
        action->setToolTip(tip);
        tools->addAction(action);
        return action;
    };
    a.toolPan = tool(tr("&Hand"), tr("H"), int(Tool::Pan), tr("Pan the view (H); space+drag or the middle button pan with any tool"));
    a.toolPaint = tool(tr("&Paint Mask"), tr("B"), int(Tool::Paint), tr("Paint the foreground mask (B); [ and ] change the size"));
    a.toolErase = tool(tr("&Erase Mask"), tr("E"), int(Tool::Erase), tr("Erase from the mask (E)"));
    a.toolMove = tool(tr("&Move Foreground"), tr("V"), int(Tool::MoveLayer),
                      tr("Compose mode: drag the foreground to move it, drag a corner to scale it (V)"));
    a.toolBox = tool(tr("&Object Selection"), tr("W"), int(Tool::BoxSelect),
                     tr("Drag a box around an object to add it to the mask; hold Alt to remove it (W)"));
    a.toolPan->setChecked(true);

    a.harmonize = make(tr("&Harmonize"), QKeySequence(tr("Ctrl+H")), &MainWindow::harmonize);
    a.paste = make(tr("&Paste Image"), QKeySequence::Paste, &MainWindow::pasteFromClipboard);
    a.paste->setToolTip(tr("Paste an image: a new composite, or in compose mode a new foreground layer"));
    a.preferences = make(tr("Pre&ferences…"), QKeySequence(tr("Ctrl+,")), &MainWindow::editPreferences);
    a.shortcuts = make(tr("&Keyboard Shortcuts"), QKeySequence(tr("F1")), &MainWindow::showShortcuts);
    a.about = make(tr("&About"), {}, &MainWindow::showAbout);
    for (QAction* action : {a.overlay, a.split, a.toolPan, a.toolPaint, a.toolErase, a.toolMove, a.toolBox})
        action->setShortcutContext(Qt::WindowShortcut);
    // Short words for the text-only tool bar; the menus keep the full names.
    const std::pair<QAction*, QString> toolBarNames[] = {
        {a.open, tr("Open")},          {a.exportImage, tr("Export")}, {a.toolPan, tr("Hand")},
        {a.toolPaint, tr("Paint")},    {a.toolErase, tr("Erase")},    {a.toolMove, tr("Move")},
        {a.toolBox, tr("Object")},
        {a.flatten, tr("Flatten")},    {a.overlay, tr("Mask")},       {a.split, tr("Split")},
        {a.fit, tr("Fit")},            {a.actualSize, tr("100%")}};
    for (const auto& [action, name] : toolBarNames) {
        action->setIconText(name);
        if (action->toolTip().isEmpty() || action->toolTip() == name)
            action->setToolTip(action->text().remove('&').remove(QStringLiteral("…")) +
                               (action->shortcut().isEmpty() ? QString()
                                                             : QStringLiteral(" (%1)").arg(action->shortcut().toString(
                                                                   QKeySequence::NativeText))));
    }
}

void MainWindow::buildMenus() {
    Actions& a = *actions_;
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(a.open);
    QMenu* recentMenu = file->addMenu(tr("Open &Recent"));
    recentMenu->setObjectName("recentMenu");
    recent_ = new RecentFiles(recentMenu, [this](const RecentEntry& entry) {
        if (!maybeSave()) return;
        if (isSessionFile(entry.path))
            openSession(entry.path);
        else
            openImage(entry.path, entry.maskPath);
    }, this);
    file->addActions({a.openSample, a.loadMask, a.saveMask});
    file->addSeparator();
    file->addActions({a.newComposition, a.addForeground, a.flatten});
    file->addSeparator();
    file->addActions({a.openSession, a.saveSession, a.saveSessionAs});
    file->addSeparator();
    file->addActions({a.exportImage, a.keepMetadata});
    file->addSeparator();
    file->addAction(a.quit);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addActions({a.undo, a.redo});
    edit->addSeparator();
    edit->addAction(a.paste);
    edit->addSeparator();
    edit->addActions({a.resetPredicted, a.resetZero});
    edit->addSeparator();
    edit->addAction(a.preferences);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addActions({a.fit, a.actualSize, a.zoomIn, a.zoomOut});
    view->addSeparator();
    view->addActions({a.overlay, a.split, a.history, a.layers, a.histogram});

    QMenu* mask = menuBar()->addMenu(tr("&Mask"));
    mask->addActions({subjectTools_->selectSubjectAction(), subjectTools_->refineEdgeAction()});
    mask->addSeparator();
    mask->addActions({a.invertMask, a.clearMask, a.featherMask});

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    tools->addActions({a.toolPan, a.toolPaint, a.toolErase, a.toolBox, a.toolMove});

    QMenu* image = menuBar()->addMenu(tr("&Image"));
    image->addAction(a.harmonize);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addActions({a.shortcuts, a.about});
}

QList<QAction*> MainWindow::allActions() const {
    QList<QAction*> list;
    for (QAction* action : findChildren<QAction*>())
        if (!action->text().isEmpty() && !action->isSeparator() && !action->menu()) list << action;
    return list;
}

void MainWindow::showShortcuts() {
    ShortcutsDialog dialog(allActions(), this);
    dialog.exec();
}

void MainWindow::showAbout() {
    const QString card = QString::fromStdString(shareDir()) + "/models/README.md";
    QMessageBox::about(this, tr("About Harmonizer Studio"),
                       aboutText(QString::fromStdString(versionString()), modelCardSummary(card), document_->modelVersion()));
}

void MainWindow::buildToolBars() {
    Actions& a = *actions_;
    QToolBar* bar = addToolBar(tr("Tools"));
    bar->setObjectName("toolsBar");
    bar->setMovable(false);
    bar->addActions({a.open, a.exportImage});
    bar->addSeparator();
    bar->addActions({a.toolPan, a.toolPaint, a.toolErase, a.toolBox, subjectTools_->selectSubjectAction(), a.toolMove,
                     a.flatten});
    bar->addSeparator();

    auto addSpin = [&](const QString& label, int lo, int hi, int value, const QString& suffix, const QString& tip) {
        auto* text = new QLabel(label, bar);
        text->setContentsMargins(6, 0, 3, 0);
        auto* spin = new QSpinBox(bar);
        spin->setRange(lo, hi);
        spin->setValue(value);
        spin->setSuffix(suffix);
        spin->setToolTip(tip);
        spin->setKeyboardTracking(false);
        bar->addWidget(text);
        bar->addWidget(spin);
        return spin;
    };
    brushSize_ = addSpin(tr("Size"), 1, 5000, 80, tr(" px"), tr("Brush diameter in image pixels ([ and ] change it)"));
    brushSize_->setObjectName("brushSize");
    brushHardness_ = addSpin(tr("Hardness"), 0, 100, 70, tr(" %"), tr("How much of the brush paints at full strength"));
    brushHardness_->setObjectName("brushHardness");
    brushOpacity_ = addSpin(tr("Opacity"), 1, 100, 100, tr(" %"), tr("The most one stroke changes the mask"));
    brushOpacity_->setObjectName("brushOpacity");
    connect(brushSize_, qOverload<int>(&QSpinBox::valueChanged), this,
            [this](int size) { canvas_->setBrushRadius(size / 2.0); });
    canvas_->setBrushRadius(brushSize_->value() / 2.0);
    bar->addSeparator();
    bar->addActions({a.overlay, a.split});
    auto* holdButton = new QToolButton(bar);
    holdButton->setDefaultAction(a.showOriginal);
    holdButton->setText(tr("Original"));
    bar->addWidget(holdButton);
    connect(holdButton, &QToolButton::pressed, this, [this] { canvas_->setShowOriginal(true); });
    connect(holdButton, &QToolButton::released, this, [this] { canvas_->setShowOriginal(false); });
    bar->addSeparator();
    bar->addActions({a.fit, a.actualSize});
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
}

void MainWindow::buildStatusBar() {
    sizeLabel_ = new QLabel(this);
    inferenceLabel_ = new QLabel(tr("Inference: –"), this);
    inferenceLabel_->setObjectName("inferenceLabel");
    renderLabel_ = new QLabel(tr("Preview: –"), this);
    renderLabel_->setObjectName("renderLabel");
    deviceLabel_ = new QLabel(this);
    deviceLabel_->setObjectName("deviceLabel");
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(180);
    progress_->setTextVisible(true);
    progress_->hide();
    cancelButton_ = new QToolButton(this);
    cancelButton_->setText(tr("Cancel"));
    cancelButton_->hide();
    connect(cancelButton_, &QToolButton::clicked, this, &MainWindow::cancelExport);
    zoomLabel_ = new QLabel(this);
    zoomLabel_->setObjectName("zoomLabel");
    zoomLabel_->setToolTip(tr("Zoom (Ctrl+0 fit, Ctrl+1 100%, Ctrl+= / Ctrl+- in and out)"));
    for (QWidget* w : std::initializer_list<QWidget*>{subjectTools_->statusWidget(), progress_, cancelButton_, zoomLabel_,
                                                      sizeLabel_, inferenceLabel_, renderLabel_, deviceLabel_})
        statusBar()->addPermanentWidget(w);
}

void MainWindow::connectDocument() {
    connect(panel_, &ParamsPanel::valueEdited, this, &MainWindow::onValueEdited);
    connect(subjectTools_, &SubjectTools::error, this, &MainWindow::showError);
    connect(subjectTools_, &SubjectTools::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 10000); });
    connect(panel_, &ParamsPanel::amountEdited, this, &MainWindow::onAmountEdited);
    connect(panel_, &ParamsPanel::harmonizeRequested, this, &MainWindow::harmonize);
    connect(panel_, &ParamsPanel::resetToPredictedRequested, this, &MainWindow::resetToPredicted);
    connect(panel_, &ParamsPanel::resetToZeroRequested, this, &MainWindow::resetToZero);

    connect(document_, &EditorDocument::paramsChanged, this, [this] { panel_->setParams(document_->params()); });
    connect(document_, &EditorDocument::amountChanged, this, [this] { panel_->setAmount(document_->amount()); });
    connect(document_, &EditorDocument::predictionChanged, this, [this] {
        panel_->setPredicted(document_->predicted());
        refreshActions();
        refreshStale();
    });
    connect(document_, &EditorDocument::maskChanged, this, &MainWindow::refreshStale);
    connect(canvas_, &ImageCanvas::viewChanged, this, &MainWindow::refreshZoom);
    connect(document_, &EditorDocument::imageReplaced, this, [this] {
        refreshImageInfo();
        refreshActions();
    });
    connect(document_, &EditorDocument::composeChanged, this, [this] {
        refreshLayer();
        refreshActions();
    });
    connect(document_, &EditorDocument::pathsChanged, this, &MainWindow::refreshTitle);
    connect(document_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::refreshTitle);

    connect(canvas_, &ImageCanvas::strokeStarted, this, &MainWindow::onStrokeStarted);
    connect(canvas_, &ImageCanvas::strokeMoved, this, &MainWindow::onStrokeMoved);
    connect(canvas_, &ImageCanvas::strokeFinished, this, &MainWindow::onStrokeFinished);
    connect(canvas_, &ImageCanvas::brushSizeStepRequested, this, [this](int direction) {
        const double factor = direction > 0 ? 1.2 : 1.0 / 1.2;
        setBrushSize(std::max(1.0, std::round(brushSize_->value() * factor + (direction > 0 ? 1 : -1) * 0.5)));
    });
    connect(canvas_, &ImageCanvas::layerPlacementCommitted, this,
            [this](const LayerPlacement& before, const LayerPlacement& after) {
                try {
                    if (!document_->composeState()) return;
                    document_->undoStack()->push(
                        new PlacementCommand(document_, document_->composeState()->active, before, after));
                } catch (const std::exception& e) {
                    showError(QString::fromStdString(e.what()));
                }
            });
    connect(layers_, &LayersPanel::layerActivated, document_, &EditorDocument::setActiveLayer);
    connect(layers_, &LayersPanel::removeRequested, this, &MainWindow::removeLayer);
    connect(preview_, &PreviewController::previewShown, this, [this](quint64, double ms) {
        renderLabel_->setText(tr("Preview: %1 ms").arg(ms, 0, 'f', 1));
        refreshHistogram();
    });
}

// ---------------------------------------------------------------- state shown in the window

void MainWindow::refreshTitle() {
    QString name = tr("Untitled");
    if (!sessionPath_.isEmpty()) {
        name = QFileInfo(sessionPath_).fileName();
    } else if (!document_->imagePath().isEmpty()) {
        name = QFileInfo(document_->imagePath()).fileName();
    } else if (document_->inComposeMode()) {
        name = tr("Composition");
    }
    setWindowTitle(tr("%1[*] — Harmonizer Studio").arg(name));
    setWindowModified(document_->isModified());
}

void MainWindow::refreshActions() {
    Actions& a = *actions_;
    const bool image = document_->hasImage();
    const bool compose = document_->inComposeMode();
    const bool layer = compose && document_->composeState()->activeLayer();
    for (QAction* action : {a.loadMask, a.saveMask, a.saveSession, a.saveSessionAs, a.exportImage, a.fit,
                            a.actualSize, a.zoomIn, a.zoomOut, a.resetZero})
        action->setEnabled(image);
    for (QAction* action : {a.invertMask, a.clearMask, a.featherMask, a.toolPaint, a.toolErase, a.toolBox})
        action->setEnabled(image && !compose);
    a.loadMask->setEnabled(image && !compose);
    a.addForeground->setEnabled(compose);
    a.flatten->setEnabled(layer);
    a.toolMove->setEnabled(layer);
    a.harmonize->setEnabled(image && !isHarmonizing());
    a.resetPredicted->setEnabled(image && document_->predicted().has_value());
    panel_->setEditingEnabled(image);
    panel_->harmonizeButton()->setEnabled(image && !isHarmonizing());
    panel_->resetPredictedButton()->setEnabled(image && document_->predicted().has_value());
    canvas_->setPaintingEnabled(image && !compose);
    if (compose && (canvas_->tool() == Tool::Paint || canvas_->tool() == Tool::Erase || canvas_->tool() == Tool::BoxSelect))
        setTool(int(Tool::Pan));
    if (!layer && canvas_->tool() == Tool::MoveLayer) setTool(int(Tool::Pan));
}

void MainWindow::refreshImageInfo() {
    if (!document_->hasImage()) {
        sizeLabel_->setText(tr("No image"));
        return;
    }
    const cv::Size size = document_->imageSize();
    const int bits = document_->image()->depth() == CV_16U ? 16 : 8;
    sizeLabel_->setText(tr("%1 × %2 px, %3-bit").arg(size.width).arg(size.height).arg(bits));
}

void MainWindow::refreshStale() {
    const bool stale = document_->hasImage() && document_->predicted() && predictedMask_ &&
                       document_->maskSnapshot() != predictedMask_ && !isHarmonizing();
    panel_->setPredictionStale(stale);
}

void MainWindow::refreshZoom() {
    zoomLabel_->setText(document_->hasImage() ? tr("Zoom %1%").arg(canvas_->zoom() * 100.0, 0, 'f', canvas_->zoom() < 0.1 ? 1 : 0)
                                              : QString());
}

void MainWindow::refreshHistogram() {
    if (!histogramDock_->isVisible()) return;
    const auto level = preview_->level();
    const QImage& image = canvas_->previewImage();
    if (!level || !level->mask || image.isNull()) {
        histogram_->clear();
        return;
    }
    // The preview covers previewRect() of the image; the level mask at the same scale.
    const QRectF r = canvas_->previewRect();
    cv::Rect rect(int(std::lround(r.x() * level->scale)), int(std::lround(r.y() * level->scale)), image.width(),
                  image.height());
    rect &= cv::Rect(0, 0, level->mask->cols, level->mask->rows);
    if (rect.empty()) return;
    cv::Mat mask = (*level->mask)(rect);
    if (mask.cols != image.width() || mask.rows != image.height())
        cv::resize(mask, mask, cv::Size(image.width(), image.height()), 0, 0, cv::INTER_NEAREST);
    // About a quarter of a million samples: a few milliseconds per preview.
    const int step = std::max(1, int(std::sqrt(double(image.width()) * image.height() / 250000.0)));
    histogram_->setHistograms(computeMaskedHistograms(image, mask, step));
}

void MainWindow::refreshLayer() {
    const auto& state = document_->composeState();
    layers_->setState(state ? &*state : nullptr);
    if (state) layersDock_->show();
    const ComposeLayer* active = state ? state->activeLayer() : nullptr;
    if (active) {
        const ForegroundLayer& foreground = *active->foreground;
        canvas_->setLayer(toLayerDisplayImage(foreground.pixels, foreground.alpha16, kLayerPreviewSide),
                          foreground.pixels.size(), active->placement);
    } else {
        canvas_->clearLayer();
    }
}

void MainWindow::setTool(int tool) {
    canvas_->setTool(Tool(tool));
    Actions& a = *actions_;
    QAction* action = tool == int(Tool::Paint)   ? a.toolPaint
                      : tool == int(Tool::Erase) ? a.toolErase
                      : tool == int(Tool::MoveLayer) ? a.toolMove
                      : tool == int(Tool::BoxSelect) ? a.toolBox
                                                     : a.toolPan;
    action->setChecked(true);
    // Painting blind is no fun: show the mask when a mask tool is picked.
    if (tool == int(Tool::Paint) || tool == int(Tool::Erase) || tool == int(Tool::BoxSelect)) a.overlay->setChecked(true);
}

void MainWindow::setOverlayVisible(bool visible) { actions_->overlay->setChecked(visible); }
void MainWindow::setSplitView(bool split) { actions_->split->setChecked(split); }
void MainWindow::selectTool(Tool tool) { setTool(int(tool)); }

void MainWindow::showError(const QString& message) {
    lastError_ = message;
    bannerText_->setText(message);
    banner_->show();
    statusBar()->clearMessage();  // the banner says it; a clipped copy below would only confuse
    Q_EMIT errorShown(message);
}

void MainWindow::clearError() {
    banner_->hide();
    bannerText_->clear();
}

// ---------------------------------------------------------------- files

bool MainWindow::openImage(const QString& imagePath, const QString& maskPath) {
    try {
        LoadedImage loaded = loadImage(toStd(imagePath));
        const double megapixels = double(loaded.pixels.total()) / 1e6;
        if (prefs_.pixelLimitMegapixels > 0 && megapixels > prefs_.pixelLimitMegapixels)
            throw Error(toStd(imagePath) + ": " + QString::number(megapixels, 'f', 1).toStdString() +
                        " megapixels is above the limit of " + std::to_string(prefs_.pixelLimitMegapixels) +
                        " set in Edit > Preferences");
        cv::Mat mask;
        if (!maskPath.isEmpty()) mask = hz::loadMask(toStd(maskPath), loaded, loaded.warnings);
        sessionPath_.clear();
        document_->setContent(std::make_shared<const cv::Mat>(std::move(loaded.pixels)), imagePath, mask, maskPath,
                              std::move(loaded.metadata));
        document_->resetValues(FilterParams{}, std::nullopt, 1.0, QString());
        lastDirectory_ = QFileInfo(imagePath).absolutePath();
        clearError();
        QString note;
        for (const auto& w : loaded.warnings) note += QString::fromStdString(w) + "  ";
        if (maskPath.isEmpty())
            note += tr("No mask: paint the foreground (B) or load one (File > Load Mask).");
        if (!note.isEmpty()) statusBar()->showMessage(note, 10000);
        refreshTitle();
        refreshZoom();
        canvas_->setFocus();
        predictedMask_ = document_->maskSnapshot();
        if (!suppressAutoHarmonize_) recent_->add(imagePath, maskPath);
        const std::string modelPath = options_.modelPath.empty() ? defaultModelPath() : options_.modelPath;
        if (!suppressAutoHarmonize_ && autoHarmonizeEnabled() && !maskIsEmpty(document_->mask()) &&
            std::filesystem::exists(modelPath) && !isHarmonizing()) {
            harmonize();
            autoRun_ = isHarmonizing();
        }
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not open: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::openSample() {
    const QString image = QString::fromStdString(sampleImagePath());
    const QString mask = QString::fromStdString(sampleMaskPath());
    if (!QFileInfo::exists(image)) {
        showError(tr("The bundled sample is missing (%1).").arg(image));
        return false;
    }
    return openImage(image, QFileInfo::exists(mask) ? mask : QString());
}

bool MainWindow::openSession(const QString& path) {
    try {
        const SessionFile session = readSession(toStd(path));
        if (session.compose) {
            openComposition(*session.compose);
        } else {
            // The session has its own values: opening its image must not predict over them.
            suppressAutoHarmonize_ = true;
            const bool opened = openImage(QString::fromStdString(session.imagePath), QString::fromStdString(session.maskPath));
            suppressAutoHarmonize_ = false;
            if (!opened) return false;
        }
        document_->resetValues(session.values, session.predicted, session.amount,
                               QString::fromStdString(session.modelVersion));
        predictedMask_ = document_->maskSnapshot();
        sessionPath_ = path;
        recent_->add(path);
        refreshTitle();
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not open the session: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::saveSession(const QString& path) {
    if (!document_->hasImage()) {
        showError(tr("There is nothing to save yet: open a composite first."));
        return false;
    }
    try {
        writeSession(toStd(path), writeSessionFiles(*document_, path));
        sessionPath_ = path;
        document_->undoStack()->setClean();
        refreshTitle();
        recent_->add(path);
        statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not save the session: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

void MainWindow::openComposition(const SessionCompose& saved) {
    // Throws hz::Error naming the file that is missing or unreadable; nothing is replaced then.
    LoadedComposition loaded = loadComposition(saved);
    const ComposeState& state = loaded.state;
    sessionPath_.clear();
    document_->loadComposition(state, std::move(loaded.backgroundMetadata));
    lastDirectory_ = QFileInfo(state.backgroundPath).absolutePath();
    clearError();
    if (!state.layers.empty()) setTool(int(Tool::MoveLayer));
}

bool MainWindow::saveSessionInteractive(bool askForPath) {
    QString path = sessionPath_;
    if (askForPath || path.isEmpty()) {
        QString suggestion = lastDirectory_;
        if (!document_->imagePath().isEmpty())
            suggestion = QFileInfo(document_->imagePath()).absoluteDir().filePath(
                QFileInfo(document_->imagePath()).completeBaseName() + ".hzsession");
        path = QFileDialog::getSaveFileName(this, tr("Save Session"), suggestion, kSessionFilter);
        if (path.isEmpty()) return false;
        if (QFileInfo(path).suffix().isEmpty()) path += ".hzsession";
    }
    return saveSession(path);
}

bool MainWindow::maybeSave() {
    if (!document_->isModified() || !options_.confirmClose) return true;
    const auto answer = QMessageBox::question(
        this, tr("Unsaved changes"), tr("The current work has changes that are not saved in a session. Save them?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return false;
    if (answer == QMessageBox::Discard) return true;
    return saveSessionInteractive(false);
}

bool MainWindow::loadMask(const QString& path) {
    if (!document_->hasImage()) {
        showError(tr("Open a composite before loading its mask."));
        return false;
    }
    try {
        std::vector<std::string> warnings;
        cv::Mat mask = hz::loadMask(toStd(path), document_->imageSize(), document_->photoMetadata().orientation, warnings);
        document_->undoStack()->push(new ReplaceMaskCommand(document_, tr("Load Mask"), std::move(mask), path));
        if (maskIsEmpty(document_->mask())) statusBar()->showMessage(tr("%1 is empty: nothing is foreground.").arg(path), 8000);
        else if (!warnings.empty()) statusBar()->showMessage(QString::fromStdString(warnings.front()), 15000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not load the mask: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::saveMask(const QString& path) {
    if (!document_->hasImage()) return false;
    try {
        cv::Mat mask = document_->mask();
        // PNG and TIFF keep all 16 bits, which `harmonizer-cli apply` needs to reproduce the export.
        if (!extensionSupports16Bit(toStd(path))) mask.convertTo(mask, CV_8U, 1.0 / 257.0);
        writeImageAtomic(toStd(path), mask, {toStd(document_->imagePath())});
        document_->markMaskSaved(path);
        statusBar()->showMessage(tr("Mask saved to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not save the mask: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::newComposition(const QString& backgroundPath) {
    try {
        LoadedImage loaded = loadImage(toStd(backgroundPath));
        sessionPath_.clear();
        document_->startCompose(std::make_shared<const cv::Mat>(std::move(loaded.pixels)), backgroundPath,
                                std::move(loaded.metadata));
        document_->resetValues(FilterParams{}, std::nullopt, 1.0, QString());
        clearError();
        statusBar()->showMessage(tr("Compose mode: add a foreground (File > Add Foreground)."), 10000);
        refreshTitle();
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not open the background: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::addForeground(const QString& path, const QString& maskPath) {
    if (!document_->inComposeMode()) {
        showError(tr("Start a composition first (File > New Composition from Background)."));
        return false;
    }
    try {
        ForegroundLayer layer = loadForeground(toStd(path));
        if (!maskPath.isEmpty()) setForegroundMask(layer, toStd(maskPath));
        return addForegroundLayer(std::move(layer), path, maskPath);
    } catch (const std::exception& e) {
        showError(tr("Could not add the foreground: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::addForegroundLayer(ForegroundLayer foreground, const QString& path, const QString& maskPath) {
    if (!document_->inComposeMode() || foreground.pixels.empty()) return false;
    // A new layer on top, an undo step like any other edit: the layers below stay movable.
    ComposeState state = *document_->composeState();
    ComposeLayer layer;
    layer.foreground = std::make_shared<const ForegroundLayer>(std::move(foreground));
    layer.path = path;
    layer.maskPath = maskPath;
    layer.placement = initialPlacement(state.background->size(), layer.foreground->pixels.size());
    const bool opaque = !layer.foreground->hadAlpha && maskPath.isEmpty();
    const QString warning = layer.foreground->warnings.empty() ? QString()
                                                               : QString::fromStdString(layer.foreground->warnings.front());
    state.layers.push_back(std::move(layer));
    state.active = int(state.layers.size()) - 1;
    try {
        document_->undoStack()->push(new ComposeStateCommand(document_, std::move(state), tr("Add Foreground")));
    } catch (const std::exception& e) {
        showError(tr("Could not add the foreground: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    setTool(int(Tool::MoveLayer));
    clearError();
    QString note = tr("Drag the foreground to move it, drag a corner to scale; pick a layer in the Layers list to "
                      "move another one; File > Flatten when done.");
    if (opaque && !warning.isEmpty()) note = warning + "  " + note;
    statusBar()->showMessage(note, 15000);
    return true;
}

void MainWindow::removeLayer(int index) {
    const auto& current = document_->composeState();
    if (!current || index < 0 || index >= int(current->layers.size())) return;
    ComposeState state = *current;
    const QString name = state.layers[std::size_t(index)].name();
    state.layers.erase(state.layers.begin() + index);
    state.active = state.layers.empty() ? -1 : std::min(index, int(state.layers.size()) - 1);
    document_->undoStack()->push(new ComposeStateCommand(document_, std::move(state), tr("Remove %1").arg(name)));
}

void MainWindow::flatten() {
    if (!document_->inComposeMode()) return;
    document_->undoStack()->push(new FlattenCommand(document_));
    setTool(int(Tool::Pan));
    statusBar()->showMessage(tr("Flattened: the composite and its mask can now be edited and harmonized."), 8000);
}

// ---------------------------------------------------------------- mask and values

void MainWindow::invertMask() {
    if (!document_->hasImage() || document_->inComposeMode()) return;
    document_->undoStack()->push(new ReplaceMaskCommand(document_, tr("Invert Mask"), hz::invertMask(document_->mask())));
}

void MainWindow::clearMask() {
    if (!document_->hasImage() || document_->inComposeMode()) return;
    document_->undoStack()->push(
        new ReplaceMaskCommand(document_, tr("Clear Mask"), cv::Mat::zeros(document_->imageSize(), CV_16UC1)));
}

void MainWindow::featherMask(double radius) {
    if (!document_->hasImage() || document_->inComposeMode() || radius <= 0) return;
    document_->undoStack()->push(new ReplaceMaskCommand(document_, tr("Feather Mask %1 px").arg(radius),
                                                        hz::featherMask(document_->mask(), radius)));
}

void MainWindow::resetToPredicted() {
    if (!document_->predicted()) return;
    document_->undoStack()->push(
        new SetParamsCommand(document_, document_->params(), *document_->predicted(), tr("Reset to Predicted")));
}

void MainWindow::resetToZero() {
    if (!document_->hasImage() || document_->params().isIdentity()) return;
    document_->undoStack()->push(new SetParamsCommand(document_, document_->params(), FilterParams{}, tr("Reset to Zero")));
}

void MainWindow::onValueEdited(Filter filter, double value, int interaction) {
    if (!document_->hasImage()) return;
    FilterParams after = document_->params();
    if (after.get(filter) == value) return;
    after.set(filter, value);
    document_->undoStack()->push(
        new SetParamsCommand(document_, document_->params(), after, tr("Change %1").arg(tr(specOf(filter).label)), interaction));
}

void MainWindow::onAmountEdited(double amount, int interaction) {
    if (!document_->hasImage() || amount == document_->amount()) return;
    document_->undoStack()->push(new SetAmountCommand(document_, document_->amount(), amount, interaction));
}

BrushSettings MainWindow::brushSettings() const {
    BrushSettings brush;
    brush.radius = brushSize_->value() / 2.0;
    brush.hardness = brushHardness_->value() / 100.0;
    brush.opacity = brushOpacity_->value() / 100.0;
    brush.erase = canvas_->tool() == Tool::Erase;
    return brush;
}

void MainWindow::setBrushSize(double diameter) { brushSize_->setValue(int(std::lround(diameter))); }
void MainWindow::setBrushHardness(double hardness) { brushHardness_->setValue(int(std::lround(hardness * 100))); }
void MainWindow::setBrushOpacity(double opacity) { brushOpacity_->setValue(int(std::lround(opacity * 100))); }

void MainWindow::onStrokeStarted(QPointF p) {
    if (!document_->hasImage() || document_->inComposeMode()) return;
    const BrushSettings brush = brushSettings();
    strokeErases_ = brush.erase;
    stroke_.emplace(document_->mask(), brush);
    const cv::Rect changed = stroke_->stampAt(document_->mutableMask(), cv::Point2d(p.x(), p.y()));
    if (!changed.empty()) document_->notifyMaskPainted(changed);
}

void MainWindow::onStrokeMoved(QPointF p) {
    if (!stroke_) return;
    const cv::Rect changed = stroke_->lineTo(document_->mutableMask(), cv::Point2d(p.x(), p.y()));
    if (!changed.empty()) document_->notifyMaskPainted(changed);
}

void MainWindow::onStrokeFinished() {
    if (!stroke_) return;
    const cv::Rect changed = stroke_->changedRect();
    if (!changed.empty()) {
        cv::Mat before = stroke_->originalPatch(document_->mask(), changed);
        cv::Mat after = copyPatch(document_->mask(), changed);
        document_->undoStack()->push(new MaskPatchCommand(
            document_, strokeErases_ ? tr("Erase Mask") : tr("Paint Mask"), changed, std::move(before), std::move(after)));
    }
    stroke_.reset();
}

// ---------------------------------------------------------------- Harmonize

int MainWindow::workerThreads() const {
    // Long jobs leave one core to the GUI thread so the window keeps answering.
    if (options_.threads > 0) return options_.threads;
    if (prefs_.threads > 0) return prefs_.threads;
    return std::max(1, QThread::idealThreadCount() - 1);
}

bool MainWindow::isHarmonizing() const { return harmonizeJob_->isRunning(); }

void MainWindow::harmonize() {
    if (!document_->hasImage()) {
        showError(tr("Open a composite and its mask first."));
        return;
    }
    if (isHarmonizing()) return;
    if (document_->inComposeMode())
        statusBar()->showMessage(tr("Harmonizing the current composition (Flatten keeps it)."), 5000);
    if (maskIsEmpty(document_->mask())) {
        showError(tr("The mask is empty: paint the foreground (B) or load a mask, then Harmonize."));
        return;
    }
    PredictorOptions predictorOptions;
    predictorOptions.modelPath = options_.modelPath;
    try {
        predictorOptions.device =
            parseDeviceChoice(options_.device.empty() ? prefs_.device.toStdString() : options_.device);
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        return;
    }
    predictorOptions.threads = workerThreads();
    predictorOptions.views = kStillImageViews;
    const std::shared_ptr<const cv::Mat> mask = document_->maskSnapshot();
    if (!harmonizeJob_->start(predictorOptions, document_->image(), mask, document_->photoMetadata().icc,
                              document_->imageRevision()))
        return;
    pendingMask_ = mask;
    panel_->setBusy(true, tr("Predicting…"));
    actions_->harmonize->setEnabled(false);
    progress_->setRange(0, 0);
    progress_->setFormat(tr("Harmonizing"));
    progress_->show();
}

void MainWindow::onHarmonizeDone(const HarmonizeOutcome& outcome) {
    const bool automatic = std::exchange(autoRun_, false);
    progress_->hide();
    panel_->setBusy(false, QString());
    refreshActions();
    if (!outcome.ok) {
        const QString reason = QString::fromStdString(outcome.error);
        panel_->setStatus(tr("Harmonize is unavailable: %1").arg(reason));
        showError(tr("Harmonize failed: %1. The sliders, mask tools and export still work.").arg(reason));
        deviceLabel_->setText(tr("Model: unavailable"));
        Q_EMIT harmonizeFinished(false);
        return;
    }
    if (outcome.imageRevision != document_->imageRevision()) {
        panel_->setStatus(tr("The image changed while predicting; press Harmonize again."));
        Q_EMIT harmonizeFinished(false);
        return;
    }
    lastInferenceMs_ = outcome.totalMs;
    // Harmonizing on open is part of opening: if nothing was edited meanwhile, the file is
    // still unchanged as far as quitting is concerned (undo still goes back to zero).
    const bool untouched = automatic && document_->undoStack()->index() == 0 && document_->undoStack()->isClean();
    predictedMask_ = pendingMask_;
    document_->undoStack()->push(
        new HarmonizeCommand(document_, outcome.params, QString::fromStdString(outcome.modelVersion)));
    if (untouched) document_->undoStack()->setClean();
    inferenceLabel_->setText(tr("Inference: %1 ms").arg(outcome.totalMs, 0, 'f', 0));
    inferenceLabel_->setToolTip(tr("preprocess %1 ms, network %2 ms, postprocess %3 ms")
                                    .arg(outcome.preprocessMs, 0, 'f', 1)
                                    .arg(outcome.forwardMs, 0, 'f', 1)
                                    .arg(outcome.postprocessMs, 0, 'f', 1));
    deviceLabel_->setText(tr("Device: %1").arg(QString::fromStdString(outcome.device)));
    panel_->setStatus(tr("Predicted in %1 ms on %2 (model %3). The sliders show the prediction; edit freely.")
                          .arg(outcome.totalMs, 0, 'f', 0)
                          .arg(QString::fromStdString(outcome.device))
                          .arg(QString::fromStdString(outcome.modelVersion)));
    Q_EMIT harmonizeFinished(true);
}

// ---------------------------------------------------------------- export

bool MainWindow::isExporting() const { return exportJob_->isRunning(); }

bool MainWindow::startExport(const QString& path, int jpegQuality) {
    if (!document_->hasImage()) {
        showError(tr("Open a composite before exporting."));
        return false;
    }
    if (isExporting()) {
        showError(tr("An export is already running."));
        return false;
    }
    ExportSettings settings;
    settings.path = toStd(path);
    settings.jpegQuality = jpegQuality;
    settings.threads = workerThreads();
    settings.inputs = {toStd(document_->imagePath()), toStd(document_->maskPath())};
    settings.metadata = document_->photoMetadata();
    settings.stripMetadata = !options_.exportKeepsMetadata;
    if (const auto& compose = document_->composeState()) {
        settings.inputs.push_back(toStd(compose->backgroundPath));
        for (const ComposeLayer& layer : compose->layers) {
            settings.inputs.push_back(toStd(layer.path));
            settings.inputs.push_back(toStd(layer.maskPath));
        }
    }
    if (!isSupportedOutputExtension(settings.path)) {
        showError(tr("%1: unsupported format; use .png, .jpg or .tif.").arg(path));
        return false;
    }
    if (!exportJob_->start(document_->image(), document_->maskSnapshot(), document_->params(), document_->amount(),
                           settings))
        return false;
    progress_->setRange(0, 100);
    progress_->setValue(0);
    progress_->setFormat(tr("Exporting %p%"));
    progress_->show();
    cancelButton_->show();
    actions_->exportImage->setEnabled(false);
    return true;
}

void MainWindow::cancelExport() { exportJob_->cancel(); }

void MainWindow::onExportDone(const ExportOutcome& outcome) {
    progress_->hide();
    cancelButton_->hide();
    refreshActions();
    const QString path = QString::fromStdString(outcome.path);
    if (outcome.ok) {
        const QString message = tr("Exported %1 in %2 s").arg(path).arg(outcome.totalMs / 1000.0, 0, 'f', 1);
        statusBar()->showMessage(message, 10000);
        Q_EMIT exportFinished(true, message);
    } else if (outcome.cancelled) {
        statusBar()->showMessage(tr("Export cancelled"), 5000);
        Q_EMIT exportFinished(false, tr("cancelled"));
    } else {
        const QString message = tr("Export failed: %1").arg(QString::fromStdString(outcome.error));
        showError(message);
        Q_EMIT exportFinished(false, message);
    }
}

// ---------------------------------------------------------------- dialogs

void MainWindow::chooseAndOpenImage() {
    if (!maybeSave()) return;
    const QString image = QFileDialog::getOpenFileName(this, tr("Open Composite"), lastDirectory_, kImageFilter);
    if (image.isEmpty()) return;
    const QString mask = QFileDialog::getOpenFileName(
        this, tr("Mask for %1 (Cancel: start with an empty mask)").arg(QFileInfo(image).fileName()),
        QFileInfo(image).absolutePath(), kImageFilter);
    openImage(image, mask);
}

void MainWindow::chooseAndLoadMask() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load Mask"), lastDirectory_, kImageFilter);
    if (!path.isEmpty()) loadMask(path);
}

void MainWindow::chooseAndSaveMask() {
    QString suggestion = lastDirectory_;
    if (!document_->imagePath().isEmpty())
        suggestion = QFileInfo(document_->imagePath()).absoluteDir().filePath(
            QFileInfo(document_->imagePath()).completeBaseName() + "_mask.png");
    QString path = QFileDialog::getSaveFileName(this, tr("Save Mask As"), suggestion,
                                                tr("16-bit PNG (*.png);;16-bit TIFF (*.tif *.tiff)"));
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) path += ".png";
    saveMask(path);
}

void MainWindow::chooseAndOpenSession() {
    if (!maybeSave()) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Session"), lastDirectory_, kSessionFilter);
    if (!path.isEmpty()) openSession(path);
}

void MainWindow::chooseAndExport() {
    if (!document_->hasImage()) return;
    QString suggestion = lastDirectory_;
    if (!document_->imagePath().isEmpty())
        suggestion = QFileInfo(document_->imagePath()).absoluteDir().filePath(
            QFileInfo(document_->imagePath()).completeBaseName() + "_harmonized.png");
    const bool sixteen = document_->image()->depth() == CV_16U;
    QString selected;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export"), suggestion,
        sixteen ? tr("PNG, 16-bit (*.png);;TIFF, 16-bit (*.tif *.tiff);;JPEG, 8-bit (*.jpg *.jpeg)")
                : tr("PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff)"),
        &selected);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty())
        path += selected.contains("JPEG") ? ".jpg" : selected.contains("TIFF") ? ".tif" : ".png";
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == "jpg" || suffix == "jpeg") {
        JpegExportDialog dialog(jpegQuality_, sixteen, this);
        if (dialog.exec() != QDialog::Accepted) return;
        jpegQuality_ = dialog.quality();
    }
    startExport(path, jpegQuality_);
}

void MainWindow::chooseAndStartComposition() {
    if (!maybeSave()) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Background"), lastDirectory_, kImageFilter);
    if (!path.isEmpty() && newComposition(path)) chooseAndAddForeground();
}

void MainWindow::chooseAndAddForeground() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Add Foreground (its alpha channel becomes the mask)"), lastDirectory_, kImageFilter);
    if (path.isEmpty()) return;
    const ForegroundLayer probe = [&] {
        try {
            return loadForeground(toStd(path));
        } catch (...) {
            return ForegroundLayer{};
        }
    }();
    if (!probe.pixels.empty() && !probe.hadAlpha)
        addForegroundAsking(path);
    else
        addForeground(path);
}

bool MainWindow::addForegroundAsking(const QString& path) {
    switch (askForegroundMask(this, QFileInfo(path).fileName())) {
        case ForegroundMaskChoice::CutOutSubject:
            return addForeground(path) && subjectTools_->cutOutLayer(document_->composeState()->active);
        case ForegroundMaskChoice::MaskFile: {
            const QString mask = QFileDialog::getOpenFileName(this, tr("Mask for the foreground"),
                                                              QFileInfo(path).absolutePath(), kImageFilter);
            return !mask.isEmpty() && addForeground(path, mask);
        }
        case ForegroundMaskChoice::WholeImage: return addForeground(path);
        case ForegroundMaskChoice::Cancel: break;
    }
    return false;
}

void MainWindow::askAndFeather() {
    bool ok = false;
    const double radius =
        QInputDialog::getDouble(this, tr("Feather Mask"), tr("Radius in pixels:"), 4.0, 0.5, 500.0, 1, &ok);
    if (ok) featherMask(radius);
}

void MainWindow::pasteFromClipboard() {
    const std::optional<QImage> image = clipboardImage();
    if (!image) {
        statusBar()->showMessage(tr("The clipboard holds no image."), 5000);
        return;
    }
    pasteImage(*image);
}

bool MainWindow::pasteImage(const QImage& image) {
    if (image.isNull()) return false;
    ForegroundLayer layer = layerFromQImage(image);
    if (document_->inComposeMode()) return addForegroundLayer(std::move(layer));
    if (!maybeSave()) return false;
    try {
        sessionPath_.clear();
        document_->setContent(std::make_shared<const cv::Mat>(std::move(layer.pixels)), QString(), cv::Mat(), QString());
        document_->resetValues(FilterParams{}, std::nullopt, 1.0, QString());
        predictedMask_ = document_->maskSnapshot();
        clearError();
        refreshTitle();
        refreshZoom();
        canvas_->setFocus();
        statusBar()->showMessage(tr("Pasted a %1 × %2 image: paint the foreground (B) or load a mask (Ctrl+M).")
                                     .arg(image.width())
                                     .arg(image.height()),
                                 10000);
        return true;
    } catch (const std::exception& e) {
        showError(tr("Could not paste: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
}

bool MainWindow::autoHarmonizeEnabled() const { return options_.autoHarmonize.value_or(prefs_.autoHarmonize); }

void MainWindow::setPreferences(const Preferences& preferences) {
    const bool engineChanged = preferences.device != prefs_.device || preferences.threads != prefs_.threads;
    prefs_ = preferences;
    prefs_.save();
    // A new device or thread count takes a new predictor; a running job keeps its own.
    if (engineChanged) harmonizeJob_->forgetNetwork();
}

void MainWindow::editPreferences() {
    PreferencesDialog dialog(prefs_, this);
    if (dialog.exec() == QDialog::Accepted) setPreferences(dialog.values());
}

// ---------------------------------------------------------------- window events

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    exportJob_->cancel();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList files;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) files << url.toLocalFile();
    if (files.isEmpty()) return;
    event->acceptProposedAction();
    if (files.size() == 1 && isSessionFile(files[0])) {
        if (maybeSave()) openSession(files[0]);
        return;
    }
    if (files.size() >= 2) {
        // Image and mask: the one named like a mask is the mask, else the second one.
        QString image = files[0], mask = files[1];
        if (looksLikeMaskName(image) && !looksLikeMaskName(mask)) std::swap(image, mask);
        if (maybeSave()) openImage(image, mask);
        return;
    }
    const QString file = files[0];
    if (document_->inComposeMode()) {
        addForeground(file);
        return;
    }
    if (document_->hasImage() && looksLikeMaskName(file)) {
        loadMask(file);
        return;
    }
    if (maybeSave()) openImage(file);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    // "\" shows the original while held, wherever the focus is (text fields excepted).
    if ((event->type() == QEvent::KeyPress || event->type() == QEvent::KeyRelease) && isActiveWindow()) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Backslash && !key->isAutoRepeat() && watched != canvas_ &&
            !qobject_cast<QLineEdit*>(QApplication::focusWidget()) && watched == QApplication::focusWidget()) {
            canvas_->setShowOriginal(event->type() == QEvent::KeyPress);
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

}  // namespace hz::ui
