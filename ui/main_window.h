#pragma once
// The Harmonizer Studio window: menus, tool bar, the canvas, the side panel and the status
// bar; file handling and the session sidecar. Harmonize and export run in ui/harmonize_job and
// ui/export_job. The public methods are what the menu actions call, so tests and the
// benchmark drive exactly the code a user does.
#include <QMainWindow>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "core/params.h"
#include "core/session/compose.h"
#include "core/session/mask_ops.h"
#include "core/session/session_file.h"
#include "ui/image_canvas.h"
#include "ui/export_job.h"
#include "ui/harmonize_job.h"
#include "ui/preferences.h"

class QAction;
class QDockWidget;
class QLabel;
class QProgressBar;
class QSpinBox;
class QToolButton;
class QUndoView;

namespace hz::ui {

class EditorDocument;
class ImageCanvas;
class HistogramWidget;
class LayersPanel;
class RecentFiles;
class SubjectTools;
class ParamsPanel;
class PreviewController;

struct StudioOptions {
    std::string modelPath;  // empty = defaultModelPath()
    std::string subjectModelPath;  // Select Subject's network; empty = subject::defaultSubjectModelPath()
    std::string device;     // auto | cpu | cuda (see hz::parseDeviceChoice); empty = the preferences'
    int threads = 0;        // inference and export threads; 0 = the preferences' (all cores but one)
    // Harmonize when an image opens with a mask; unset = the preferences' (tests pin it).
    std::optional<bool> autoHarmonize;
    bool confirmClose = true;  // ask about unsaved changes (tests turn it off)
    bool exportKeepsMetadata = true;  // File > Export Keeps Photo Metadata (off: no EXIF/XMP/IPTC, e.g. GPS)
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const StudioOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    EditorDocument* document() const { return document_; }
    ImageCanvas* canvas() const { return canvas_; }
    ParamsPanel* paramsPanel() const { return panel_; }
    PreviewController* preview() const { return preview_; }
    QString lastError() const { return lastError_; }
    QString sessionPath() const { return sessionPath_; }

    // Each returns false after showing the problem in the window; the current work is kept.
    bool openImage(const QString& imagePath, const QString& maskPath = {});
    bool openSample();
    bool openSession(const QString& path);
    bool saveSession(const QString& path);
    bool loadMask(const QString& path);
    bool saveMask(const QString& path);
    bool newComposition(const QString& backgroundPath);
    bool addForeground(const QString& path, const QString& maskPath = {});
    // A layer already in memory (a file read elsewhere, or pasted: `path` empty).
    bool addForegroundLayer(ForegroundLayer foreground, const QString& path = {}, const QString& maskPath = {});
    void removeLayer(int index);
    LayersPanel* layersPanel() const { return layers_; }
    // Add Foreground for a photo without alpha: asks whether to cut out its subject, take a
    // mask file or use the whole image (ui/foreground_cutout).
    bool addForegroundAsking(const QString& path);
    SubjectTools* subjectTools() const { return subjectTools_; }
    void flatten();
    void invertMask();
    void clearMask();
    void featherMask(double radius);
    void resetToPredicted();
    void resetToZero();

    void harmonize();
    bool isHarmonizing() const;
    int workerThreads() const;
    double lastInferenceMs() const { return lastInferenceMs_; }
    // Renders the full-resolution result and writes it (PNG, JPEG with `jpegQuality`, TIFF)
    // on a worker; exportFinished() reports. False if it could not start.
    bool startExport(const QString& path, int jpegQuality = 95);
    bool isExporting() const;
    void cancelExport();

    BrushSettings brushSettings() const;
    void setBrushSize(double diameter);
    void setBrushHardness(double hardness);
    void setBrushOpacity(double opacity);

    void setOverlayVisible(bool visible);
    void setSplitView(bool split);
    void selectTool(Tool tool);

    void showError(const QString& message);
    void clearError();

    // Edit > Paste: a new composite, or in compose mode a new layer. False if it is not an image.
    bool pasteImage(const QImage& image);
    const Preferences& preferences() const { return prefs_; }
    void setPreferences(const Preferences& preferences);  // and saves them
    bool autoHarmonizeEnabled() const;
    RecentFiles* recentFiles() const { return recent_; }
    HistogramWidget* histogram() const { return histogram_; }
    QLabel* zoomLabel() const { return zoomLabel_; }
    // Every action of the window (menus, tools), for the shortcuts dialog and its test.
    QList<QAction*> allActions() const;

Q_SIGNALS:
    void harmonizeFinished(bool ok);
    void exportFinished(bool ok, const QString& message);
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildActions();
    void buildMenus();
    void buildToolBars();
    void buildStatusBar();
    void connectDocument();
    void refreshTitle();
    void refreshActions();
    void refreshImageInfo();
    void refreshLayer();
    void setTool(int tool);
    bool maybeSave();
    void openComposition(const SessionCompose& saved);
    bool saveSessionInteractive(bool askForPath);

    void onHarmonizeDone(const HarmonizeOutcome& outcome);
    void refreshStale();
    void refreshZoom();
    void refreshHistogram();
    void pasteFromClipboard();
    void editPreferences();
    void showShortcuts();
    void showAbout();
    void onExportDone(const ExportOutcome& outcome);
    void onStrokeStarted(QPointF imagePoint);
    void onStrokeMoved(QPointF imagePoint);
    void onStrokeFinished();
    void onValueEdited(Filter filter, double value, int interaction);
    void onAmountEdited(double amount, int interaction);

    // Menu handlers that ask for files, then call the methods above.
    void chooseAndOpenImage();
    void chooseAndLoadMask();
    void chooseAndSaveMask();
    void chooseAndOpenSession();
    void chooseAndExport();
    void chooseAndStartComposition();
    void chooseAndAddForeground();
    void askAndFeather();

    StudioOptions options_;
    EditorDocument* document_ = nullptr;
    ImageCanvas* canvas_ = nullptr;
    ParamsPanel* panel_ = nullptr;
    PreviewController* preview_ = nullptr;
    QWidget* banner_ = nullptr;
    QLabel* bannerText_ = nullptr;
    QUndoView* historyView_ = nullptr;
    LayersPanel* layers_ = nullptr;
    SubjectTools* subjectTools_ = nullptr;
    QDockWidget* layersDock_ = nullptr;

    QLabel* sizeLabel_ = nullptr;
    QLabel* inferenceLabel_ = nullptr;
    QLabel* renderLabel_ = nullptr;
    QLabel* deviceLabel_ = nullptr;
    QLabel* zoomLabel_ = nullptr;
    HistogramWidget* histogram_ = nullptr;
    QDockWidget* histogramDock_ = nullptr;
    RecentFiles* recent_ = nullptr;
    Preferences prefs_;
    // The mask the shown prediction was made from: a different one means it is out of date.
    std::shared_ptr<const cv::Mat> predictedMask_, pendingMask_;
    bool autoRun_ = false, suppressAutoHarmonize_ = false;
    QProgressBar* progress_ = nullptr;
    QToolButton* cancelButton_ = nullptr;

    QSpinBox* brushSize_ = nullptr;
    QSpinBox* brushHardness_ = nullptr;
    QSpinBox* brushOpacity_ = nullptr;

    struct Actions;
    std::unique_ptr<Actions> actions_;

    HarmonizeJob* harmonizeJob_ = nullptr;
    ExportJob* exportJob_ = nullptr;
    double lastInferenceMs_ = 0.0;

    std::optional<BrushStroke> stroke_;
    bool strokeErases_ = false;
    QString sessionPath_;
    QString lastError_;
    QString lastDirectory_;
    int jpegQuality_ = 95;
};

}  // namespace hz::ui
