#include "ui/commands.h"

#include <QCoreApplication>

namespace hz::ui {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("Commands", text); }
}  // namespace

SetParamsCommand::SetParamsCommand(EditorDocument* document, const FilterParams& before, const FilterParams& after,
                                   const QString& text, int mergeKey)
    : document_(document), before_(before), after_(after), mergeKey_(mergeKey) {
    setText(text);
}
void SetParamsCommand::undo() { document_->setParams(before_); }
void SetParamsCommand::redo() { document_->setParams(after_); }
bool SetParamsCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SetParamsCommand*>(other);
    if (mergeKey_ == 0 || next->mergeKey_ != mergeKey_ || next->text() != text()) return false;
    after_ = next->after_;
    return true;
}

SetAmountCommand::SetAmountCommand(EditorDocument* document, double before, double after, int mergeKey)
    : document_(document), before_(before), after_(after), mergeKey_(mergeKey) {
    setText(tr("Amount"));
}
void SetAmountCommand::undo() { document_->setAmount(before_); }
void SetAmountCommand::redo() { document_->setAmount(after_); }
bool SetAmountCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SetAmountCommand*>(other);
    if (mergeKey_ == 0 || next->mergeKey_ != mergeKey_) return false;
    after_ = next->after_;
    return true;
}

HarmonizeCommand::HarmonizeCommand(EditorDocument* document, const FilterParams& predicted,
                                   const QString& modelVersion)
    : document_(document),
      beforeParams_(document->params()),
      predicted_(predicted),
      beforePredicted_(document->predicted()),
      beforeModelVersion_(document->modelVersion()),
      modelVersion_(modelVersion) {
    setText(tr("Harmonize"));
}
void HarmonizeCommand::undo() {
    document_->setPrediction(beforePredicted_, beforeModelVersion_);
    document_->setParams(beforeParams_);
}
void HarmonizeCommand::redo() {
    document_->setPrediction(predicted_, modelVersion_);
    document_->setParams(predicted_);
}

MaskPatchCommand::MaskPatchCommand(EditorDocument* document, const QString& text, const cv::Rect& rect,
                                   cv::Mat before, cv::Mat after)
    : document_(document), rect_(rect), before_(std::move(before)), after_(std::move(after)) {
    setText(text);
}
void MaskPatchCommand::undo() {
    document_->pasteMaskPatch(rect_, before_);
    applied_ = false;
}
void MaskPatchCommand::redo() {
    if (applied_) return;  // painted live already
    document_->pasteMaskPatch(rect_, after_);
    applied_ = true;
}

ReplaceMaskCommand::ReplaceMaskCommand(EditorDocument* document, const QString& text, cv::Mat after,
                                       const QString& afterPath)
    : document_(document),
      before_(document->maskSnapshot()),
      after_(std::make_shared<const cv::Mat>(std::move(after))),
      beforePath_(document->maskMatchesFile() ? document->maskPath() : QString()),
      afterPath_(afterPath) {
    setText(text);
}
void ReplaceMaskCommand::undo() { document_->replaceMask(before_, beforePath_); }
void ReplaceMaskCommand::redo() { document_->replaceMask(after_, afterPath_); }

PlacementCommand::PlacementCommand(EditorDocument* document, int layer, const LayerPlacement& before,
                                   const LayerPlacement& after)
    : document_(document), layer_(layer), before_(before), after_(after) {
    setText(tr("Move Foreground"));
}
void PlacementCommand::undo() { document_->setPlacement(layer_, before_); }
void PlacementCommand::redo() { document_->setPlacement(layer_, after_); }

ComposeStateCommand::ComposeStateCommand(EditorDocument* document, ComposeState after, const QString& text)
    : document_(document), before_(document->composeState()), after_(std::move(after)) {
    setText(text);
}
void ComposeStateCommand::undo() { document_->setComposeState(before_); }
void ComposeStateCommand::redo() { document_->setComposeState(after_); }

FlattenCommand::FlattenCommand(EditorDocument* document) : document_(document), state_(document->composeState()) {
    setText(tr("Flatten"));
}
void FlattenCommand::undo() { document_->setComposeState(state_); }
void FlattenCommand::redo() { document_->setComposeState(std::nullopt); }

}  // namespace hz::ui
