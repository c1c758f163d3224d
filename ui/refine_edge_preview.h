#pragma once
// Refine Edge's live preview: each request refines the whole mask on a worker (latest wins:
// a newer request replaces a waiting one; the running one finishes, being newer than the
// screen) and shows the result by lending it to the document, outside the undo history. restore() gives the document its
// own mask back, the very buffer it had, so Cancel leaves it bit for bit as it was; commit()
// restores it and then pushes one undo step to the refined mask.
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "core/subject/refine.h"

namespace hz::ui {

class EditorDocument;

struct RefineResult {
    cv::Mat mask16;  // empty: cancelled (or failed, with `error`)
    std::string error;
};

class RefineEdgePreview : public QObject {
    Q_OBJECT
public:
    explicit RefineEdgePreview(EditorDocument* document, QObject* parent = nullptr);
    ~RefineEdgePreview() override;  // cancels and restores

    void request(const subject::RefineEdgeParams& params);
    // The document shows the result of the latest request (or the original for identity).
    bool isCurrent() const;
    bool isRunning() const { return inFlight_; }
    int completedRenders() const { return completed_; }

    // Gives the document its own mask back and stops: later results are dropped.
    void restore();
    // False (nothing done) until isCurrent(). Identity parameters push nothing.
    bool commit(const QString& text);

Q_SIGNALS:
    void shown();  // a refined mask (or the original again) is on the canvas
    void failed(const QString& error);

private:
    void startNext();
    void onDone();
    void show(std::shared_ptr<const cv::Mat> mask);
    void giveBack();

    QPointer<EditorDocument> document_;  // the window may go first
    std::shared_ptr<const cv::Mat> original_, image_, shownMask_;
    QString originalPath_;
    quint64 imageRevision_ = 0;
    std::optional<subject::RefineEdgeParams> pending_;
    subject::RefineEdgeParams running_, wanted_, shownParams_;
    QFutureWatcher<RefineResult> watcher_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    int completed_ = 0;
    bool lent_ = false;
    bool closed_ = false;
    bool inFlight_ = false;  // started, and its result not yet taken on the GUI thread  // the document holds a preview, not its own mask
};

}  // namespace hz::ui
