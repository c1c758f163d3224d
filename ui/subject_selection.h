#pragma once
// Select Subject and Object Selection for the editor: runs hz::subject::selectSubject and
// selectInBox (through the inference module, core/inference) on a worker and applies each
// result as one undo step. The subject network (and LibTorch with it) is loaded lazily, by
// the worker, on the first request (never at start-up, never on the GUI thread), and kept
// for the next ones. One request at a time; the GUI thread only takes
// snapshots before and merges the result after.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace hz {
struct ForegroundLayer;
}

namespace hz::ui {

class EditorDocument;

struct SubjectOutcome {
    bool ok = false, cancelled = false;
    std::string error;
    cv::Mat mask16;         // full resolution, CV_16UC1
    double totalMs = 0.0;   // including the model load on the first request
    bool loadedModel = false;
};

class SubjectSelection : public QObject {
    Q_OBJECT
public:
    enum class Target { Composite, Box, Layer };

    explicit SubjectSelection(EditorDocument* document, QObject* parent = nullptr);
    ~SubjectSelection() override;

    // Empty: the shipped model (hz::defaultSubjectModelPath()).
    void setModelPath(const std::string& path);
    std::string modelPath() const;
    // LibTorch threads of the worker (0: every core). A change takes a new predictor.
    void setThreads(int threads);

    // The composite's subject replaces the mask ("Select Subject"). In compose mode it cuts
    // out the active layer's subject instead (see cutOutLayer). False when nothing started.
    bool selectSubject();
    // The object inside `box` (image pixels) is added to the mask, or with `subtract` taken
    // out of it; the mask outside the box never changes.
    bool selectInBox(const cv::Rect& box, bool subtract);
    // Compose mode: the subject of layer `layer`'s own image becomes that layer's mask.
    bool cutOutLayer(int layer);

    // From the request until its result is applied (or dropped) on the GUI thread.
    bool isBusy() const { return busy_; }
    Target busyTarget() const { return job_.target; }
    void cancel();

Q_SIGNALS:
    void busyChanged(bool busy, const QString& what);
    // After every request: applied (one undo step pushed), or why not (cancelled, nothing
    // changed, the image changed meanwhile). Errors go to failed() as well.
    void finished(bool applied, const QString& message);
    void failed(const QString& error);

private:
    struct Engine;
    struct Job {
        Target target = Target::Composite;
        quint64 imageRevision = 0;
        cv::Rect box;
        bool subtract = false;
        std::shared_ptr<const ForegroundLayer> layer;  // Target::Layer: which layer, by identity
    };
    bool start(Job job, std::shared_ptr<const cv::Mat> photo, const QString& what);
    void onDone();
    bool applyComposite(const SubjectOutcome& outcome, QString& message);
    bool applyBox(const SubjectOutcome& outcome, QString& message);
    bool applyLayer(const SubjectOutcome& outcome, QString& message);
    std::shared_ptr<Engine> engine();

    EditorDocument* document_;
    std::string modelPath_;
    int threads_ = 0;
    std::shared_ptr<Engine> engine_;
    // One thread that never expires: the predictor is made on it and stays with it.
    QThreadPool pool_;
    QFutureWatcher<SubjectOutcome> watcher_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    Job job_;
    bool busy_ = false;
};

}  // namespace hz::ui
