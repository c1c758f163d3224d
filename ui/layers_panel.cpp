#include "ui/layers_panel.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QFileInfo>
#include <QVBoxLayout>

#include "ui/editor_document.h"

namespace hz::ui {

LayersPanel::LayersPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    list_ = new QListWidget(this);
    list_->setObjectName("layerList");
    list_->setToolTip(tr("Layers over the background, top first. The selected one moves with the Move tool (V)."));
    remove_ = new QPushButton(tr("Remove Layer"), this);
    remove_->setObjectName("removeLayerButton");
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(remove_);
    layout->addWidget(list_, 1);
    layout->addLayout(buttons);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0) Q_EMIT layerActivated(layerOfRow(row));
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (list_->currentRow() >= 0) Q_EMIT removeRequested(layerOfRow(list_->currentRow()));
    });
    setState(nullptr);
}

// The list shows the top layer first; the state keeps the bottom one first.
int LayersPanel::layerOfRow(int row) const { return layerCount_ - 1 - row; }

void LayersPanel::setState(const ComposeState* state) {
    const QSignalBlocker blocker(list_);
    layerCount_ = state ? int(state->layers.size()) : 0;
    const int rows = state ? layerCount_ + 1 : 0;  // the layers and the background
    // Rebuild only when the number of rows changes: this runs from the list's own signal
    // when a row is picked, and must not delete the item being clicked.
    if (list_->count() != rows) {
        list_->clear();
        for (int i = 0; i < rows; ++i) list_->addItem(QString());
        if (state) list_->item(rows - 1)->setFlags(Qt::ItemIsEnabled);  // the background cannot be picked
    }
    for (int i = layerCount_ - 1; i >= 0; --i) {
        const ComposeLayer& layer = state->layers[std::size_t(i)];
        QListWidgetItem* item = list_->item(layerCount_ - 1 - i);
        item->setText(tr("%1  (%2 %)").arg(layer.name()).arg(layer.placement.scale * 100.0, 0, 'f', 0));
        item->setToolTip(layer.path.isEmpty() ? tr("Only in memory; saved beside the session") : layer.path);
    }
    if (state)
        list_->item(rows - 1)->setText(tr("Background: %1").arg(
            state->backgroundPath.isEmpty() ? tr("pasted image") : QFileInfo(state->backgroundPath).fileName()));
    list_->setCurrentRow(state && state->active >= 0 ? layerOfRow(state->active) : -1);
    remove_->setEnabled(layerCount_ > 0);
}

}  // namespace hz::ui
