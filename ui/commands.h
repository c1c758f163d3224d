#pragma once
// Undo steps. Each holds values (parameters, mask patches, placements), never widget
// pointers, and changes the document only through its setters.
#include <QUndoCommand>

#include <optional>

#include <opencv2/core.hpp>

#include "core/params.h"
#include "core/session/compose.h"
#include "ui/editor_document.h"

namespace hz::ui {

enum CommandId { kParamsCommandId = 1, kAmountCommandId = 2, kPlacementCommandId = 3 };

// One slider drag (same non-zero mergeKey) becomes one step.
class SetParamsCommand : public QUndoCommand {
public:
    SetParamsCommand(EditorDocument* document, const FilterParams& before, const FilterParams& after,
                     const QString& text, int mergeKey = 0);
    void undo() override;
    void redo() override;
    int id() const override { return kParamsCommandId; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    EditorDocument* document_;
    FilterParams before_, after_;
    int mergeKey_;
};

class SetAmountCommand : public QUndoCommand {
public:
    SetAmountCommand(EditorDocument* document, double before, double after, int mergeKey = 0);
    void undo() override;
    void redo() override;
    int id() const override { return kAmountCommandId; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    EditorDocument* document_;
    double before_, after_;
    int mergeKey_;
};

// Harmonize: the predicted values become both the kept "predicted" values and the sliders.
class HarmonizeCommand : public QUndoCommand {
public:
    HarmonizeCommand(EditorDocument* document, const FilterParams& predicted, const QString& modelVersion);
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    FilterParams beforeParams_, predicted_;
    std::optional<FilterParams> beforePredicted_;
    QString beforeModelVersion_, modelVersion_;
};

// A brush stroke: only the changed rectangle, before and after. The stroke was already
// painted live, so the first redo() does nothing.
class MaskPatchCommand : public QUndoCommand {
public:
    MaskPatchCommand(EditorDocument* document, const QString& text, const cv::Rect& rect, cv::Mat before,
                     cv::Mat after);
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    cv::Rect rect_;
    cv::Mat before_, after_;
    bool applied_ = true;
};

// Whole-mask operations: invert, clear, feather, load from file.
class ReplaceMaskCommand : public QUndoCommand {
public:
    ReplaceMaskCommand(EditorDocument* document, const QString& text, cv::Mat after, const QString& afterPath = {});
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    std::shared_ptr<const cv::Mat> before_, after_;  // shared with the document, never written
    QString beforePath_, afterPath_;
};

class PlacementCommand : public QUndoCommand {
public:
    PlacementCommand(EditorDocument* document, int layer, const LayerPlacement& before, const LayerPlacement& after);
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    int layer_;
    LayerPlacement before_, after_;
};

// Add or remove a layer, reorder: the whole compose state before and after (pixels shared).
class ComposeStateCommand : public QUndoCommand {
public:
    ComposeStateCommand(EditorDocument* document, ComposeState after, const QString& text);
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    std::optional<ComposeState> before_;
    ComposeState after_;
};

// Flatten: leaves compose mode keeping the composite; undo brings the layer back.
class FlattenCommand : public QUndoCommand {
public:
    explicit FlattenCommand(EditorDocument* document);
    void undo() override;
    void redo() override;

private:
    EditorDocument* document_;
    std::optional<ComposeState> state_;
};

}  // namespace hz::ui
