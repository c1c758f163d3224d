#include "ui/keyboard_focus.h"

#include <QAbstractSpinBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QApplication>
#include <QKeyEvent>
#include <QKeySequence>
#include <QWidget>

namespace hz::ui {

namespace {

QAbstractSpinBox* spinBoxOf(QObject* object) {
    // Keys go to the spin box's inner line edit; the spin box is its parent.
    for (QObject* o = object; o != nullptr; o = o->parent())
        if (auto* spin = qobject_cast<QAbstractSpinBox*>(o)) return spin;
        else if (o->isWidgetType() && static_cast<QWidget*>(o)->isWindow()) break;
    return nullptr;
}

bool isTextEditingKey(const QKeyEvent* key) {
    for (auto standard : {QKeySequence::Copy, QKeySequence::Paste, QKeySequence::Cut, QKeySequence::Undo,
                          QKeySequence::Redo, QKeySequence::SelectAll})
        if (key->matches(standard)) return true;
    return false;
}

}  // namespace

KeyboardFocus::KeyboardFocus(QWidget* window, QWidget* home) : QObject(window), window_(window), home_(home) {
    qApp->installEventFilter(this);
}

bool KeyboardFocus::eventFilter(QObject* watched, QEvent* event) {
    const QEvent::Type type = event->type();
    if (type != QEvent::KeyPress && type != QEvent::ShortcutOverride) return false;
    if (!window_ || !home_ || !watched->isWidgetType() || static_cast<QWidget*>(watched)->window() != window_)
        return false;
    QAbstractSpinBox* spin = spinBoxOf(watched);
    if (!spin) return false;
    auto* key = static_cast<QKeyEvent*>(event);
    const Qt::KeyboardModifiers modifiers = key->modifiers() & ~Qt::KeypadModifier;

    if (type == QEvent::ShortcutOverride) {
        // An accepted override gives the key to the field; an ignored one lets the window's
        // shortcut fire. Letters mean nothing to a number field.
        const bool letter = key->key() >= Qt::Key_A && key->key() <= Qt::Key_Z;
        const bool plainLetter = letter && (modifiers == Qt::NoModifier || modifiers == Qt::ShiftModifier);
        const bool controlLetter = letter && (modifiers & Qt::ControlModifier) && !isTextEditingKey(key);
        if (plainLetter || controlLetter) {
            event->ignore();
            return true;
        }
        return false;
    }

    if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
        spin->interpretText();  // commit what was typed (keyboard tracking is off)
        home_->setFocus(Qt::ShortcutFocusReason);
        return true;
    }
    if (key->key() == Qt::Key_Escape) {
        // Drop what was typed: setting the committed value again rewrites the text.
        if (auto* integer = qobject_cast<QSpinBox*>(spin)) integer->setValue(integer->value());
        if (auto* real = qobject_cast<QDoubleSpinBox*>(spin)) real->setValue(real->value());
        home_->setFocus(Qt::ShortcutFocusReason);
        return true;
    }
    return false;
}

}  // namespace hz::ui
