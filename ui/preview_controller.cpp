#include "ui/preview_controller.h"

#include <QtConcurrent/QtConcurrentRun>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ui/editor_document.h"
#include "ui/image_canvas.h"

namespace hz::ui {

namespace {

cv::Size levelSize(cv::Size image, double scale) {
    return {std::max(1, int(std::lround(image.width * scale))), std::max(1, int(std::lround(image.height * scale)))};
}

std::shared_ptr<DisplayLevel> makeLevel(ImagePtr image, std::shared_ptr<const cv::Mat> mask, double scale,
                                        quint64 revision, std::shared_ptr<const photo::SrgbConversion> display) {
    auto level = std::make_shared<DisplayLevel>();
    level->scale = scale;
    level->imageRevision = revision;
    if (scale >= 1.0) {
        level->scale = 1.0;
        level->image = image;
        level->mask = std::make_shared<cv::Mat>(mask->clone());
    } else {
        const cv::Size size = levelSize(image->size(), scale);
        cv::Mat smallImage, smallMask;
        cv::resize(*image, smallImage, size, 0, 0, cv::INTER_AREA);
        cv::resize(*mask, smallMask, size, 0, 0, cv::INTER_AREA);
        level->image = std::make_shared<const cv::Mat>(std::move(smallImage));
        level->mask = std::make_shared<cv::Mat>(std::move(smallMask));
    }
    level->original = toDisplayImage(*level->image, display.get());
    level->overlay = makeOverlay(*level->mask);
    return level;
}

}  // namespace

PreviewController::PreviewController(EditorDocument* document, ImageCanvas* canvas, QObject* parent)
    : QObject(parent), document_(document), canvas_(canvas) {
    connect(&renderer_, &PreviewRenderer::rendered, this, &PreviewController::onRendered, Qt::QueuedConnection);
    connect(&levelWatcher_, &QFutureWatcher<std::shared_ptr<DisplayLevel>>::finished, this,
            &PreviewController::onLevelBuilt);
    connect(document_, &EditorDocument::imageReplaced, this, &PreviewController::onImageReplaced);
    connect(document_, &EditorDocument::maskChanged, this, &PreviewController::onMaskChanged);
    connect(document_, &EditorDocument::paramsChanged, this, &PreviewController::requestRender);
    connect(document_, &EditorDocument::amountChanged, this, &PreviewController::requestRender);
    connect(canvas_, &ImageCanvas::viewChanged, this, &PreviewController::onViewChanged);
}

PreviewController::~PreviewController() { levelWatcher_.waitForFinished(); }

double PreviewController::wantedScale() const {
    const double zoom = canvas_->zoom() * canvas_->devicePixelRatioF();
    return std::min(1.0, zoom);
}

void PreviewController::onImageReplaced() {
    const cv::Size size = document_->imageSize();
    if (size != canvas_->imageSize()) {
        // Another picture: nothing of the old one may stay on screen.
        level_.reset();
        canvas_->setImageSize(size);
        canvas_->setLevel(nullptr);
    }
    buildLevel(wantedScale());
}

void PreviewController::onViewChanged() {
    if (!document_->hasImage()) return;
    const double wanted = wantedScale();
    if (!level_ || std::abs(level_->scale - wanted) > 1e-6 * wanted) buildLevel(wanted);
    requestRender();
}

void PreviewController::buildLevel(double scale) {
    if (!document_->hasImage()) return;
    if (levelInFlight_) {
        if (buildImageRevision_ == document_->imageRevision() && std::abs(buildScale_ - scale) <= 1e-6 * scale)
            return;  // that very level is on its way
        levelRebuildWanted_ = true;  // latest wins: rebuilt with the then-current state when this one lands
        return;
    }
    levelRebuildWanted_ = false;
    buildImageRevision_ = document_->imageRevision();
    buildScale_ = scale;
    maskDirtyDuringBuild_ = QRect();
    buildMaskRevision_ = document_->maskRevision();
    levelInFlight_ = true;
    levelWatcher_.setFuture(QtConcurrent::run(makeLevel, document_->image(), document_->maskSnapshot(), scale,
                                              document_->imageRevision(), document_->displayConversion()));
}

void PreviewController::onLevelBuilt() {
    levelInFlight_ = false;
    std::shared_ptr<DisplayLevel> built = levelWatcher_.result();
    const bool current = built && built->imageRevision == document_->imageRevision() &&
                         std::abs(built->scale - wantedScale()) <= 1e-6 * wantedScale();
    if (built && built->imageRevision == document_->imageRevision()) {
        level_ = built;
        if (!maskDirtyDuringBuild_.isEmpty()) refreshLevelMask(maskDirtyDuringBuild_);
        maskDirtyDuringBuild_ = QRect();
        canvas_->setLevel(level_);
        Q_EMIT levelChanged();
        requestRender();
    }
    if (levelRebuildWanted_ || !current) {
        levelRebuildWanted_ = false;
        buildLevel(wantedScale());
    }
}

void PreviewController::onMaskChanged(QRect imageRect) {
    if (levelInFlight_ && document_->maskRevision() != buildMaskRevision_)
        maskDirtyDuringBuild_ = maskDirtyDuringBuild_.united(imageRect);
    if (level_ && level_->imageRevision == document_->imageRevision()) {
        refreshLevelMask(imageRect);
        canvas_->update();
    }
    requestRender();
}

void PreviewController::refreshLevelMask(const QRect& imageRect) {
    const cv::Mat& full = document_->mask();
    const double s = level_->scale;
    if (!level_->mask || full.empty()) return;
    // Copy-on-write against a render that still reads the old level mask.
    if (level_->mask.use_count() > 1) level_->mask = std::make_shared<cv::Mat>(level_->mask->clone());
    cv::Mat& small = *level_->mask;
    const cv::Rect levelBounds(0, 0, small.cols, small.rows);
    const cv::Rect target = cv::Rect(cv::Point(int(std::floor(imageRect.left() * s)), int(std::floor(imageRect.top() * s))),
                                     cv::Point(int(std::ceil((imageRect.right() + 1) * s)),
                                               int(std::ceil((imageRect.bottom() + 1) * s)))) &
                            levelBounds;
    if (target.empty()) return;
    if (s >= 1.0) {
        full(target).copyTo(small(target));
    } else {
        const cv::Rect source = cv::Rect(cv::Point(int(std::floor(target.x / s)), int(std::floor(target.y / s))),
                                         cv::Point(int(std::ceil((target.x + target.width) / s)),
                                                   int(std::ceil((target.y + target.height) / s)))) &
                                cv::Rect(0, 0, full.cols, full.rows);
        if (source.empty()) return;
        cv::Mat resized;
        cv::resize(full(source), resized, target.size(), 0, 0, cv::INTER_AREA);
        resized.copyTo(small(target));
    }
    paintOverlay(small, level_->overlay, target);
}

void PreviewController::requestRender() {
    if (!document_->hasImage() || !level_ || level_->imageRevision != document_->imageRevision()) return;
    const QRectF visible = canvas_->visibleImageRect();
    if (visible.isEmpty()) return;
    const double s = level_->scale;
    const cv::Rect crop = cv::Rect(cv::Point(int(std::floor(visible.left() * s)), int(std::floor(visible.top() * s))),
                                   cv::Point(int(std::ceil(visible.right() * s)), int(std::ceil(visible.bottom() * s)))) &
                          cv::Rect(0, 0, level_->image->cols, level_->image->rows);
    if (crop.empty()) return;
    PreviewRequest request;
    request.generation = ++generation_;
    request.imageRevision = document_->imageRevision();
    request.levelImage = level_->image;
    request.levelMask = level_->mask;
    request.crop = crop;
    // Map back with the level's true per-axis scale so the preview lands on the original.
    request.levelScale = double(level_->image->cols) / document_->imageSize().width;
    request.params = document_->params();
    request.amount = document_->amount();
    request.histograms = document_->histograms();
    request.display = document_->displayConversion();
    renderer_.request(std::move(request));
}

void PreviewController::onRendered(const PreviewResult& result) {
    if (result.generation <= shownGeneration_ || result.imageRevision != document_->imageRevision()) return;
    shownGeneration_ = result.generation;
    lastRenderMs_ = result.renderMs;
    canvas_->setPreview(result.image, result.imageRect, result.generation);
    Q_EMIT previewShown(result.generation, result.renderMs);
}

}  // namespace hz::ui
