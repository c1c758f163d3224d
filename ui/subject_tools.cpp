#include "ui/subject_tools.h"

#include <QAction>
#include <QDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>
#include <QWidget>

#include <opencv2/core.hpp>

#include "ui/box_select_tool.h"
#include "ui/editor_document.h"
#include "ui/image_canvas.h"
#include "ui/refine_edge_dialog.h"
#include "ui/subject_selection.h"

namespace hz::ui {

SubjectTools::SubjectTools(EditorDocument* document, ImageCanvas* canvas, QWidget* window, std::function<int()> threads)
    : QObject(window), document_(document), window_(window), threads_(std::move(threads)) {
    selection_ = new SubjectSelection(document, this);
    box_ = new BoxSelectTool(canvas);

    selectSubject_ = new QAction(tr("Select &Subject"), this);
    // Ctrl+Alt+S: free in the editor, and next to Refine Edge's Ctrl+Alt+R.
    selectSubject_->setShortcut(QKeySequence(tr("Ctrl+Alt+S")));
    selectSubject_->setIconText(tr("Subject"));
    selectSubject_->setToolTip(tr("Select Subject (Ctrl+Alt+S): the network finds the photo's main subject and makes "
                                  "it the mask; in compose mode it cuts out the selected layer's subject"));
    connect(selectSubject_, &QAction::triggered, this, &SubjectTools::selectSubject);

    refineEdge_ = new QAction(tr("&Refine Edge…"), this);
    refineEdge_->setShortcut(QKeySequence(tr("Ctrl+Alt+R")));
    refineEdge_->setToolTip(tr("Refine Edge (Ctrl+Alt+R): smooth, shift and feather the mask's edge"));
    connect(refineEdge_, &QAction::triggered, this, &SubjectTools::refineEdge);

    status_ = new QWidget(window);
    status_->setObjectName("subjectStatus");
    auto* layout = new QHBoxLayout(status_);
    layout->setContentsMargins(0, 0, 0, 0);
    progress_ = new QProgressBar(status_);
    progress_->setRange(0, 0);  // the pipelines report no fractions: a busy bar
    progress_->setMaximumWidth(200);
    progress_->setTextVisible(true);
    cancel_ = new QToolButton(status_);
    cancel_->setObjectName("subjectCancel");
    cancel_->setText(tr("Cancel"));
    layout->addWidget(progress_);
    layout->addWidget(cancel_);
    status_->hide();
    connect(cancel_, &QToolButton::clicked, selection_, &SubjectSelection::cancel);

    connect(box_, &BoxSelectTool::boxSelected, this, &SubjectTools::selectInBox);
    connect(selection_, &SubjectSelection::busyChanged, this, [this](bool busy, const QString& what) {
        progress_->setFormat(what);
        status_->setVisible(busy);
        refresh();
    });
    connect(selection_, &SubjectSelection::failed, this,
            [this](const QString& reason) { Q_EMIT error(tr("Select Subject failed: %1").arg(reason)); });
    connect(selection_, &SubjectSelection::finished, this, [this](bool, const QString& text) {
        if (!text.isEmpty()) Q_EMIT message(text);
    });
    connect(document_, &EditorDocument::imageReplaced, this, &SubjectTools::refresh);
    connect(document_, &EditorDocument::composeChanged, this, &SubjectTools::refresh);
    refresh();
}

RefineEdgeDialog* SubjectTools::refineDialog() const { return dialog_; }

void SubjectTools::setModelPath(const std::string& path) { selection_->setModelPath(path); }

void SubjectTools::refresh() {
    const bool image = document_->hasImage();
    const auto& compose = document_->composeState();
    const bool busy = selection_->isBusy();
    selectSubject_->setEnabled(image && !busy && (!compose || compose->activeLayer()));
    refineEdge_->setEnabled(image && !compose && !busy && !(dialog_ && dialog_->isVisible()));
}

void SubjectTools::prepare() { selection_->setThreads(threads_ ? threads_() : 0); }

bool SubjectTools::selectSubject() {
    if (!selectSubject_->isEnabled()) return false;
    prepare();
    return selection_->selectSubject();
}

bool SubjectTools::selectInBox(const QRect& r, bool subtract) {
    if (selection_->isBusy()) {
        Q_EMIT message(tr("A selection is still running; draw the box again when it is done."));
        return false;
    }
    if (dialog_ && dialog_->isVisible()) return false;
    prepare();
    return selection_->selectInBox(cv::Rect(r.x(), r.y(), r.width(), r.height()), subtract);
}

bool SubjectTools::cutOutLayer(int layer) {
    if (selection_->isBusy()) return false;
    prepare();
    return selection_->cutOutLayer(layer);
}

bool SubjectTools::refineEdge() {
    if (!refineEdge_->isEnabled()) return false;
    dialog_ = new RefineEdgeDialog(document_, window_);
    dialog_->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog_, &QDialog::finished, this, &SubjectTools::refresh);
    dialog_->open();
    refresh();
    return true;
}

}  // namespace hz::ui
