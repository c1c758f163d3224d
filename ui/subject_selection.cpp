#include "ui/subject_selection.h"

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <mutex>

#include <opencv2/core.hpp>

#include "core/image_io.h"
#include "core/session/compose.h"
#include "core/session/mask_ops.h"
#include "core/inference/engine_loader.h"
#include "core/paths.h"
#include "ui/commands.h"
#include "ui/editor_document.h"

namespace hz::ui {

// The predictor and what it was made with; a job holds it by shared_ptr, so a new model path
// or thread count never pulls it from under a running job.
struct SubjectSelection::Engine {
    std::string modelPath;
    int threads = 0;
    std::mutex mutex;
    std::unique_ptr<inference::SubjectSelector> predictor;
};

SubjectSelection::SubjectSelection(EditorDocument* document, QObject* parent) : QObject(parent), document_(document) {
    pool_.setMaxThreadCount(1);
    pool_.setExpiryTimeout(-1);
    connect(&watcher_, &QFutureWatcher<SubjectOutcome>::finished, this, &SubjectSelection::onDone);
}

SubjectSelection::~SubjectSelection() {
    if (cancel_) *cancel_ = true;
    watcher_.waitForFinished();
    pool_.waitForDone();
}

void SubjectSelection::setModelPath(const std::string& path) { modelPath_ = path; }

std::string SubjectSelection::modelPath() const {
    return modelPath_.empty() ? defaultSubjectModelPath() : modelPath_;
}

void SubjectSelection::setThreads(int threads) { threads_ = threads; }

std::shared_ptr<SubjectSelection::Engine> SubjectSelection::engine() {
    const std::string path = modelPath();
    if (!engine_ || engine_->modelPath != path || engine_->threads != threads_) {
        engine_ = std::make_shared<Engine>();
        engine_->modelPath = path;
        engine_->threads = threads_;
    }
    return engine_;
}

bool SubjectSelection::selectSubject() {
    if (!document_->hasImage() || isBusy()) return false;
    if (const auto& state = document_->composeState()) {
        // The composite of a composition is the user's own montage; what they want cut out
        // is the pasted photo's subject, so it goes into that layer's mask.
        return state->activeLayer() && cutOutLayer(state->active);
    }
    Job job;
    job.target = Target::Composite;
    job.imageRevision = document_->imageRevision();
    return start(std::move(job), document_->image(), tr("Selecting the subject…"));
}

bool SubjectSelection::selectInBox(const cv::Rect& box, bool subtract) {
    if (!document_->hasImage() || document_->inComposeMode() || isBusy()) return false;
    const cv::Rect clipped = box & cv::Rect(cv::Point(0, 0), document_->imageSize());
    if (clipped.width < 2 || clipped.height < 2) return false;
    Job job;
    job.target = Target::Box;
    job.imageRevision = document_->imageRevision();
    job.box = clipped;
    job.subtract = subtract;
    return start(std::move(job), document_->image(),
                 subtract ? tr("Removing the object in the box…") : tr("Selecting the object in the box…"));
}

bool SubjectSelection::cutOutLayer(int layer) {
    const auto& state = document_->composeState();
    if (!state || layer < 0 || layer >= int(state->layers.size()) || isBusy()) return false;
    Job job;
    job.target = Target::Layer;
    job.layer = state->layers[std::size_t(layer)].foreground;
    // The layer's pixels, shared (never written), without copying.
    std::shared_ptr<const cv::Mat> photo(job.layer, &job.layer->pixels);
    return start(std::move(job), std::move(photo), tr("Cutting out the subject of %1…").arg(state->layers[std::size_t(layer)].name()));
}

bool SubjectSelection::start(Job job, std::shared_ptr<const cv::Mat> photo, const QString& what) {
    if (!photo || photo->empty()) return false;
    job_ = std::move(job);
    busy_ = true;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = cancel_;
    const auto slot = engine();
    const Target target = job_.target;
    const cv::Rect box = job_.box;
    watcher_.setFuture(QtConcurrent::run(&pool_, [slot, cancel, photo, target, box]() {
        SubjectOutcome outcome;
        QElapsedTimer timer;
        timer.start();
        try {
            std::lock_guard<std::mutex> lock(slot->mutex);
            if (!slot->predictor) {
                // The first request loads the network library (LibTorch) too.
                slot->predictor = inference::loadEngine().makeSubjectSelector(slot->modelPath, slot->threads);
                outcome.loadedModel = true;
            }
            if (!*cancel) {
                outcome.mask16 = target == Target::Box
                                     ? slot->predictor->selectInBox(*photo, box, cancel.get())
                                     : slot->predictor->selectSubject(*photo, cancel.get());
            }
            outcome.cancelled = *cancel || outcome.mask16.empty();
            outcome.ok = !outcome.cancelled;
        } catch (const std::exception& e) {
            outcome.error = e.what();
        }
        outcome.totalMs = double(timer.nsecsElapsed()) / 1e6;
        return outcome;
    }));
    Q_EMIT busyChanged(true, what);
    return true;
}

void SubjectSelection::cancel() {
    if (cancel_) *cancel_ = true;
}

void SubjectSelection::onDone() {
    const SubjectOutcome outcome = watcher_.result();
    busy_ = false;
    Q_EMIT busyChanged(false, QString());
    if (!outcome.error.empty()) {
        const QString error = QString::fromStdString(outcome.error);
        Q_EMIT failed(error);
        Q_EMIT finished(false, error);
        return;
    }
    if (outcome.cancelled) {
        Q_EMIT finished(false, tr("Cancelled: the mask is unchanged."));
        return;
    }
    QString message;
    bool applied = false;
    try {
        applied = job_.target == Target::Composite ? applyComposite(outcome, message)
                  : job_.target == Target::Box     ? applyBox(outcome, message)
                                                   : applyLayer(outcome, message);
    } catch (const std::exception& e) {
        message = QString::fromStdString(e.what());
        Q_EMIT failed(message);
    }
    job_.layer.reset();  // the old layer's pixels are not ours to keep
    if (applied && outcome.loadedModel)
        message += tr(" (%1 ms, including loading the subject model)").arg(outcome.totalMs, 0, 'f', 0);
    else if (applied)
        message += tr(" (%1 ms)").arg(outcome.totalMs, 0, 'f', 0);
    Q_EMIT finished(applied, message);
}

bool SubjectSelection::applyComposite(const SubjectOutcome& outcome, QString& message) {
    if (!document_->hasImage() || document_->imageRevision() != job_.imageRevision || document_->inComposeMode()) {
        message = tr("The image changed while selecting; the mask is unchanged.");
        return false;
    }
    const bool empty = maskIsEmpty(outcome.mask16);
    document_->undoStack()->push(new ReplaceMaskCommand(document_, tr("Select Subject"), outcome.mask16));
    message = empty ? tr("Select Subject found no subject: the mask is empty.") : tr("Selected the subject");
    return true;
}

bool SubjectSelection::applyBox(const SubjectOutcome& outcome, QString& message) {
    if (!document_->hasImage() || document_->imageRevision() != job_.imageRevision || document_->inComposeMode()) {
        message = tr("The image changed while selecting; the mask is unchanged.");
        return false;
    }
    // Strokes made meanwhile are kept: the result is merged into the mask as it is now.
    const cv::Rect rect = job_.box & cv::Rect(cv::Point(0, 0), document_->imageSize());
    const cv::Mat before = copyPatch(document_->mask(), rect);
    const cv::Mat found = outcome.mask16(rect);
    cv::Mat after;
    if (job_.subtract) {
        cv::Mat keep;
        cv::subtract(cv::Scalar::all(65535), found, keep);
        cv::min(before, keep, after);
    } else {
        cv::max(before, found, after);
    }
    if (cv::norm(before, after, cv::NORM_INF) == 0.0) {
        message = job_.subtract ? tr("The box held nothing of the mask to remove.") : tr("No new object found in the box.");
        return false;
    }
    const QString text = job_.subtract ? tr("Object Selection (subtract)") : tr("Object Selection");
    // Like a stroke: the patch is pasted, then recorded before and after.
    document_->pasteMaskPatch(rect, after);
    document_->undoStack()->push(new MaskPatchCommand(document_, text, rect, before, after));
    message = job_.subtract ? tr("Removed the object in the box from the mask") : tr("Added the object in the box to the mask");
    return true;
}

bool SubjectSelection::applyLayer(const SubjectOutcome& outcome, QString& message) {
    const auto& current = document_->composeState();
    int index = -1;
    if (current)
        for (int i = 0; i < int(current->layers.size()); ++i)
            if (current->layers[std::size_t(i)].foreground == job_.layer) index = i;
    if (index < 0) {
        message = tr("The layer was removed while cutting out; nothing changed.");
        return false;
    }
    ComposeState state = *current;
    ComposeLayer& layer = state.layers[std::size_t(index)];
    ForegroundLayer cut = *layer.foreground;  // the pixels are shared, not copied
    cut.alpha16 = outcome.mask16;
    cut.hadAlpha = true;
    cut.warnings.clear();
    layer.foreground = std::make_shared<const ForegroundLayer>(std::move(cut));
    layer.maskPath.clear();
    layer.maskInMemory = true;
    const QString name = layer.name();
    document_->undoStack()->push(new ComposeStateCommand(document_, std::move(state), tr("Cut Out Subject")));
    message = maskIsEmpty(outcome.mask16) ? tr("No subject found in %1: the layer is now fully transparent.").arg(name)
                                          : tr("Cut out the subject of %1").arg(name);
    return true;
}

}  // namespace hz::ui
