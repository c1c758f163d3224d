#include "ui/editor_document.h"

#include <QFileInfo>

#include <algorithm>

#include "core/image_io.h"
#include "core/session/mask_ops.h"

namespace hz::ui {

namespace {
QRect toQRect(const cv::Rect& r) { return QRect(r.x, r.y, r.width, r.height); }
}  // namespace

EditorDocument::EditorDocument(QObject* parent) : QObject(parent), mask_(std::make_shared<cv::Mat>()) {
    // Whole-mask steps (invert, feather) hold two 12 MP masks each; a bound keeps memory sane.
    undoStack_.setUndoLimit(60);
}

cv::Mat& EditorDocument::mutableMask() {
    if (mask_.use_count() > 1) mask_ = std::make_shared<cv::Mat>(mask_->clone());
    return *mask_;
}

void EditorDocument::markMaskSaved(const QString& path) {
    maskPath_ = path;
    maskFileRevision_ = maskRevision_;
    Q_EMIT pathsChanged();
}

void EditorDocument::markImageSaved(const QString& path) {
    imagePath_ = path;
    Q_EMIT pathsChanged();
}

void EditorDocument::installImage(ImagePtr image, const QString& path) {
    image_ = std::move(image);
    imagePath_ = path;
    histograms_ = image_ ? std::make_shared<const ImageHistograms>(computeHistograms(*image_)) : nullptr;
    ++imageRevision_;
}

void EditorDocument::setContent(ImagePtr image, const QString& imagePath, cv::Mat mask16, const QString& maskPath,
                                photo::PhotoMetadata metadata) {
    if (!image || image->empty()) throw Error("there is no image to open");
    if (mask16.empty()) mask16 = cv::Mat::zeros(image->size(), CV_16UC1);
    if (mask16.size() != image->size() || mask16.type() != CV_16UC1)
        throw Error(maskPath.toStdString() + ": mask is " + std::to_string(mask16.cols) + "x" +
                    std::to_string(mask16.rows) + " but the image is " + std::to_string(image->cols) + "x" +
                    std::to_string(image->rows));
    compose_.reset();
    displayConversion_ = photo::SrgbConversion::fromIcc(metadata.icc);
    metadata_ = std::move(metadata);
    installImage(std::move(image), imagePath);
    mask_ = std::make_shared<cv::Mat>(std::move(mask16));
    maskPath_ = maskPath;
    ++maskRevision_;
    maskFileRevision_ = maskPath.isEmpty() ? 0 : maskRevision_;
    undoStack_.clear();
    Q_EMIT composeChanged();
    Q_EMIT imageReplaced();
    Q_EMIT maskChanged(QRect(0, 0, image_->cols, image_->rows));
    Q_EMIT pathsChanged();
}

void EditorDocument::resetValues(const FilterParams& params, const std::optional<FilterParams>& predicted,
                                 double amount, const QString& modelVersion) {
    params_ = params;
    predicted_ = predicted;
    amount_ = std::clamp(amount, 0.0, 1.0);
    modelVersion_ = modelVersion;
    undoStack_.clear();
    Q_EMIT paramsChanged();
    Q_EMIT amountChanged();
    Q_EMIT predictionChanged();
}

void EditorDocument::setParams(const FilterParams& params) {
    if (params == params_) return;
    params_ = params;
    Q_EMIT paramsChanged();
}

void EditorDocument::setAmount(double amount) {
    amount = std::clamp(amount, 0.0, 1.0);
    if (amount == amount_) return;
    amount_ = amount;
    Q_EMIT amountChanged();
}

void EditorDocument::setPrediction(const std::optional<FilterParams>& predicted, const QString& modelVersion) {
    predicted_ = predicted;
    modelVersion_ = modelVersion;
    Q_EMIT predictionChanged();
}

void EditorDocument::replaceMask(std::shared_ptr<const cv::Mat> mask, const QString& maskPath) {
    if (!image_ || !mask || mask->size() != image_->size() || mask->type() != CV_16UC1)
        throw Error("the mask does not fit the image");
    mask_ = std::const_pointer_cast<cv::Mat>(std::move(mask));
    ++maskRevision_;
    if (!maskPath.isEmpty()) {
        maskPath_ = maskPath;
        maskFileRevision_ = maskRevision_;
        Q_EMIT pathsChanged();
    }
    Q_EMIT maskChanged(QRect(0, 0, mask_->cols, mask_->rows));
}

void EditorDocument::pasteMaskPatch(const cv::Rect& rect, const cv::Mat& patch) {
    cv::Mat& mask = mutableMask();
    pastePatch(mask, rect, patch);
    notifyMaskPainted(rect & cv::Rect(0, 0, mask.cols, mask.rows));
}

void EditorDocument::notifyMaskPainted(const cv::Rect& rect) {
    ++maskRevision_;
    Q_EMIT maskChanged(toQRect(rect));
}

void EditorDocument::startCompose(ImagePtr background, const QString& backgroundPath, photo::PhotoMetadata metadata) {
    if (!background || background->empty()) throw Error("there is no background to compose on");
    ComposeState state;
    state.background = background;
    state.backgroundPath = backgroundPath;
    setContent(background, QString(), cv::Mat(), QString(), std::move(metadata));
    compose_ = state;
    Q_EMIT composeChanged();
}

void EditorDocument::loadComposition(const ComposeState& state, photo::PhotoMetadata metadata) {
    startCompose(state.background, state.backgroundPath, std::move(metadata));
    compose_ = state;
    if (!compose_->layers.empty()) recompose();
    Q_EMIT composeChanged();
}

void EditorDocument::setPlacement(int layer, const LayerPlacement& placement) {
    if (!compose_ || layer < 0 || layer >= int(compose_->layers.size())) return;
    compose_->layers[std::size_t(layer)].placement = placement;
    recompose();
    Q_EMIT composeChanged();
}

void EditorDocument::setComposeState(const std::optional<ComposeState>& state) {
    const bool wasComposing = compose_.has_value();
    compose_ = state;
    // Leaving compose mode (flatten) keeps the composite as it is; inside it, the layers
    // decide the pixels (an empty list gives the bare background back).
    if (compose_ && (wasComposing || !compose_->layers.empty())) recompose();
    Q_EMIT composeChanged();
}

void EditorDocument::markComposeFileSaved(int layer, const QString& path, const QString& maskPath) {
    if (!compose_ || layer >= int(compose_->layers.size())) return;
    if (layer < 0) {
        compose_->backgroundPath = path;
    } else {
        compose_->layers[std::size_t(layer)].path = path;
        compose_->layers[std::size_t(layer)].maskPath = maskPath;
        compose_->layers[std::size_t(layer)].maskInMemory = false;
    }
    Q_EMIT composeChanged();
}

void EditorDocument::setActiveLayer(int layer) {
    if (!compose_ || layer < -1 || layer >= int(compose_->layers.size()) || layer == compose_->active) return;
    compose_->active = layer;
    Q_EMIT composeChanged();
}

QString ComposeLayer::name() const {
    return path.isEmpty() ? QObject::tr("Pasted image") : QFileInfo(path).fileName();
}

void EditorDocument::recompose() {
    std::vector<PlacedLayer> placed;
    for (const ComposeLayer& layer : compose_->layers) placed.push_back({layer.foreground.get(), layer.placement});
    Composite composite = composeLayers(*compose_->background, placed);
    installImage(std::make_shared<const cv::Mat>(std::move(composite.image)), QString());
    mask_ = std::make_shared<cv::Mat>(std::move(composite.mask16));
    ++maskRevision_;
    maskPath_.clear();
    Q_EMIT imageReplaced();
    Q_EMIT maskChanged(QRect(0, 0, image_->cols, image_->rows));
    Q_EMIT pathsChanged();
}

}  // namespace hz::ui
