#pragma once
// Mask > Refine Edge…: one slider and number field per entry of subject::refineEdgeSpecs()
// (radius, shift edge, feather), a live preview of the refined mask on the canvas while they
// move, OK = one undo step, Cancel (or Escape, or closing) = the mask exactly as it was.
// Window-modal and non-blocking (open(), not exec()): the preview keeps rendering.
#include <QDialog>

#include <vector>

#include "core/subject/refine.h"

class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;

namespace hz::ui {

class EditorDocument;
class RefineEdgePreview;

class RefineEdgeDialog : public QDialog {
    Q_OBJECT
public:
    RefineEdgeDialog(EditorDocument* document, QWidget* parent = nullptr);
    ~RefineEdgeDialog() override;

    subject::RefineEdgeParams params() const { return params_; }
    void setParams(const subject::RefineEdgeParams& params);
    // Index i follows refineEdgeSpecs()[i].
    QSlider* slider(int i) const { return sliders_[std::size_t(i)]; }
    QDoubleSpinBox* spinBox(int i) const { return spins_[std::size_t(i)]; }
    QDialogButtonBox* buttons() const { return buttons_; }
    RefineEdgePreview* preview() const { return preview_; }

    void accept() override;
    void reject() override;

private:
    void setValue(int i, double value);
    void onShown();

    EditorDocument* document_;
    RefineEdgePreview* preview_;
    subject::RefineEdgeParams params_;
    std::vector<QSlider*> sliders_;
    std::vector<QDoubleSpinBox*> spins_;
    QLabel* status_ = nullptr;
    QDialogButtonBox* buttons_ = nullptr;
    bool acceptWhenShown_ = false;
};

}  // namespace hz::ui
