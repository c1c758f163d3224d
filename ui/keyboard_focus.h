#pragma once
// Keyboard focus for an editor whose tools are single keys (B, E, H, V, M, S): after typing
// a number in a spin box, Enter commits it and Escape reverts it, and either gives the focus
// back to the canvas. While a spin box has the focus, letters (which a number field cannot
// take) and Ctrl+letter shortcuts other than the text-editing ones (copy, paste, cut, undo,
// redo, select all) reach the window's actions instead of the field. Text fields that take
// letters (file names in dialogs) are left alone.
#include <QObject>
#include <QPointer>

class QWidget;

namespace hz::ui {

class KeyboardFocus : public QObject {
    Q_OBJECT
public:
    // Watches the key events of `window`'s children; `home` gets the focus back.
    KeyboardFocus(QWidget* window, QWidget* home);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QPointer<QWidget> window_, home_;
};

}  // namespace hz::ui
