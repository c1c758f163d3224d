#pragma once
// What the editor edits: the composite, its mask, the six values, the predicted values, the
// amount, and (in compose mode) the background and the placed foreground. Widgets observe it
// through signals; undo commands change it through its setters. Everything here lives on the
// GUI thread; workers get immutable snapshots (shared pointers) and never write back.
#include <QObject>
#include <QRect>
#include <QString>
#include <QUndoStack>

#include <memory>
#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "core/params.h"
#include "core/photo/colour.h"
#include "core/photo/metadata.h"
#include "core/render/renderer.h"
#include "core/session/compose.h"

namespace hz::ui {

using ImagePtr = std::shared_ptr<const cv::Mat>;
using HistogramsPtr = std::shared_ptr<const ImageHistograms>;

struct ComposeLayer {
    std::shared_ptr<const ForegroundLayer> foreground;
    QString path;      // the foreground's file; empty when it only exists in memory (pasted)
    QString maskPath;  // a separate mask file; empty: the file's own alpha (or opaque)
    bool maskInMemory = false;  // the mask was made here (Cut Out Subject): a session writes it
    LayerPlacement placement;
    QString name() const;
};

// Compose mode: layers over a background, each movable until Flatten. Values, never widget
// state, so undo steps can hold whole states (the pixels are shared, not copied).
struct ComposeState {
    ImagePtr background;
    QString backgroundPath;  // empty when the background only exists in memory (pasted)
    std::vector<ComposeLayer> layers;  // bottom first
    int active = -1;                   // the layer the Move tool drags; -1 when there are none
    const ComposeLayer* activeLayer() const {
        return active >= 0 && active < int(layers.size()) ? &layers[std::size_t(active)] : nullptr;
    }
};

class EditorDocument : public QObject {
    Q_OBJECT
public:
    explicit EditorDocument(QObject* parent = nullptr);

    bool hasImage() const { return image_ != nullptr; }
    ImagePtr image() const { return image_; }
    HistogramsPtr histograms() const { return histograms_; }
    cv::Size imageSize() const { return image_ ? image_->size() : cv::Size(); }
    QString imagePath() const { return imagePath_; }  // empty when the image only exists in memory
    const photo::PhotoMetadata& photoMetadata() const { return metadata_; }
    // Converts the photo's colours for the screen (null: untagged or sRGB, shown as is).
    std::shared_ptr<const photo::SrgbConversion> displayConversion() const { return displayConversion_; }
    quint64 imageRevision() const { return imageRevision_; }

    // The mask is copy-on-write: a snapshot shares the buffer until the document writes to it.
    std::shared_ptr<const cv::Mat> maskSnapshot() const { return mask_; }
    const cv::Mat& mask() const { return *mask_; }
    // The mask for in-place painting; copies first if a snapshot still shares it. Call
    // notifyMaskPainted() afterwards.
    cv::Mat& mutableMask();
    quint64 maskRevision() const { return maskRevision_; }
    QString maskPath() const { return maskPath_; }
    // True when the mask in memory is what maskPath() holds on disk.
    bool maskMatchesFile() const { return !maskPath_.isEmpty() && maskFileRevision_ == maskRevision_; }
    void markMaskSaved(const QString& path);
    void markImageSaved(const QString& path);

    const FilterParams& params() const { return params_; }
    const std::optional<FilterParams>& predicted() const { return predicted_; }
    double amount() const { return amount_; }
    QString modelVersion() const { return modelVersion_; }

    QUndoStack* undoStack() { return &undoStack_; }
    bool isModified() const { return !undoStack_.isClean(); }

    // Replaces everything (open, new session). Not undoable: clears the undo history.
    // Throws hz::Error when the mask's size differs from the image's.
    // `metadata`: the photo's EXIF/XMP/IPTC/ICC, for the export and the display.
    void setContent(ImagePtr image, const QString& imagePath, cv::Mat mask16, const QString& maskPath,
                    photo::PhotoMetadata metadata = {});
    void resetValues(const FilterParams& params, const std::optional<FilterParams>& predicted, double amount,
                     const QString& modelVersion);

    // Used by undo commands (and only there, so that every change is undoable).
    void setParams(const FilterParams& params);
    void setAmount(double amount);
    void setPrediction(const std::optional<FilterParams>& predicted, const QString& modelVersion);
    // Adopts the buffer without copying: the document never writes to a mask that anything
    // else still references (see mutableMask()).
    void replaceMask(std::shared_ptr<const cv::Mat> mask16, const QString& maskPath = {});
    void pasteMaskPatch(const cv::Rect& rect, const cv::Mat& patch);
    void notifyMaskPainted(const cv::Rect& rect);

    // Compose mode.
    bool inComposeMode() const { return compose_.has_value(); }
    const std::optional<ComposeState>& composeState() const { return compose_; }
    // Starts compose mode on a background (clears history); the composite is the background.
    void startCompose(ImagePtr background, const QString& backgroundPath, photo::PhotoMetadata metadata = {});
    // Opens a saved composition (clears history, like opening a file); `metadata`: the
    // background photo's, for the export.
    void loadComposition(const ComposeState& state, photo::PhotoMetadata metadata = {});
    // Recomposes; used by undo commands (add, remove, move, flatten and their undo).
    void setPlacement(int layer, const LayerPlacement& placement);
    void setComposeState(const std::optional<ComposeState>& state);
    // Where the session saved what only existed in memory (a pasted background or layer).
    void markComposeFileSaved(int layer, const QString& path, const QString& maskPath);  // layer -1: background
    // Which layer the Move tool drags: a selection, not an edit (no undo step, no recompose).
    void setActiveLayer(int layer);

Q_SIGNALS:
    void imageReplaced();             // new pixels, maybe a new size
    void maskChanged(QRect imageRect);
    void paramsChanged();
    void amountChanged();
    void predictionChanged();
    void composeChanged();
    void pathsChanged();

private:
    void installImage(ImagePtr image, const QString& path);
    void recompose();

    ImagePtr image_;
    HistogramsPtr histograms_;
    photo::PhotoMetadata metadata_;
    std::shared_ptr<const photo::SrgbConversion> displayConversion_;
    QString imagePath_;
    quint64 imageRevision_ = 0;
    std::shared_ptr<cv::Mat> mask_;
    QString maskPath_;
    quint64 maskRevision_ = 0, maskFileRevision_ = 0;
    FilterParams params_;
    std::optional<FilterParams> predicted_;
    double amount_ = 1.0;
    QString modelVersion_;
    std::optional<ComposeState> compose_;
    QUndoStack undoStack_;
};

}  // namespace hz::ui
