#include "ui/refine_edge_preview.h"

#include <QtConcurrent/QtConcurrentRun>

#include "ui/commands.h"
#include "ui/editor_document.h"

namespace hz::ui {

namespace {
bool sameParams(const subject::RefineEdgeParams& a, const subject::RefineEdgeParams& b) {
    return a.radius == b.radius && a.shift == b.shift && a.feather == b.feather;
}
}  // namespace

RefineEdgePreview::RefineEdgePreview(EditorDocument* document, QObject* parent)
    : QObject(parent),
      document_(document),
      original_(document->maskSnapshot()),
      image_(document->image()),
      originalPath_(document->maskMatchesFile() ? document->maskPath() : QString()),
      imageRevision_(document->imageRevision()) {
    connect(&watcher_, &QFutureWatcher<RefineResult>::finished, this, &RefineEdgePreview::onDone);
}

RefineEdgePreview::~RefineEdgePreview() {
    restore();
    watcher_.waitForFinished();
}

void RefineEdgePreview::request(const subject::RefineEdgeParams& params) {
    if (closed_) return;
    wanted_ = params;
    // Latest wins: a waiting request is replaced. The running one finishes, since it is still
    // newer than the screen, so a continuous drag keeps showing results.
    pending_ = params;
    if (!inFlight_) startNext();
}

void RefineEdgePreview::startNext() {
    if (!pending_) return;
    const subject::RefineEdgeParams params = *std::exchange(pending_, std::nullopt);
    if (params.isIdentity()) {
        shownParams_ = params;
        giveBack();
        ++completed_;
        Q_EMIT shown();
        return;
    }
    running_ = params;
    inFlight_ = true;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = cancel_;
    const auto mask = original_;
    const auto image = image_;
    watcher_.setFuture(QtConcurrent::run([=]() {
        RefineResult out;
        try {
            out.mask16 = subject::refineEdge(*mask, *image, params, cancel.get());
        } catch (const std::exception& e) {
            out.error = e.what();
        }
        return out;
    }));
}

void RefineEdgePreview::onDone() {
    RefineResult result = watcher_.result();
    inFlight_ = false;
    if (!result.error.empty()) {
        Q_EMIT failed(QString::fromStdString(result.error));
    } else if (!closed_ && !result.mask16.empty() && document_ && document_->imageRevision() == imageRevision_) {
        shownParams_ = running_;
        show(std::make_shared<const cv::Mat>(std::move(result.mask16)));
        ++completed_;
        Q_EMIT shown();
    }
    if (!closed_) startNext();
}

void RefineEdgePreview::show(std::shared_ptr<const cv::Mat> mask) {
    shownMask_ = std::move(mask);
    lent_ = true;
    document_->replaceMask(shownMask_);
}

bool RefineEdgePreview::isCurrent() const {
    if (inFlight_ || pending_) return false;
    return sameParams(shownParams_, wanted_);
}

void RefineEdgePreview::restore() {
    closed_ = true;
    pending_.reset();
    if (cancel_) *cancel_ = true;
    giveBack();
}

void RefineEdgePreview::giveBack() {
    if (!lent_) return;
    lent_ = false;
    shownMask_.reset();
    if (document_ && document_->hasImage() && document_->imageRevision() == imageRevision_)
        document_->replaceMask(original_, originalPath_);
}

bool RefineEdgePreview::commit(const QString& text) {
    if (!isCurrent()) return false;
    const std::shared_ptr<const cv::Mat> refined = shownMask_;
    const bool changed = lent_ && refined && document_;
    restore();  // the command's "before" must be the document's own mask
    if (changed) document_->undoStack()->push(new ReplaceMaskCommand(document_, text, *refined));
    return true;
}

}  // namespace hz::ui
