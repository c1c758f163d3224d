#pragma once
// Compose mode's layer list: the foregrounds over the background, top first, as in
// Photoshop's and GIMP's layer panels. Picking a row makes that layer the one the Move tool
// drags; Remove asks for the layer to go (an undo step, made by the window). It shows what
// it is given and never touches the document itself.
#include <QWidget>

class QListWidget;
class QPushButton;

namespace hz::ui {

struct ComposeState;

class LayersPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayersPanel(QWidget* parent = nullptr);

    // Null (not composing) empties the list.
    void setState(const ComposeState* state);
    QListWidget* list() const { return list_; }
    QPushButton* removeButton() const { return remove_; }

Q_SIGNALS:
    void layerActivated(int layer);  // index into ComposeState::layers (bottom first)
    void removeRequested(int layer);

private:
    int layerOfRow(int row) const;
    QListWidget* list_ = nullptr;
    QPushButton* remove_ = nullptr;
    int layerCount_ = 0;
};

}  // namespace hz::ui
