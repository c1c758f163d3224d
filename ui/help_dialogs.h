#pragma once
// Help > Keyboard Shortcuts and Help > About. The shortcuts table is built from the
// window's actions themselves, so it can never miss one; the few gestures that are not
// actions (hold \, [ ], space+drag, modifiers on the sliders) are listed after them.
#include <QDialog>
#include <QList>
#include <QString>

class QAction;
class QTableWidget;

namespace hz::ui {

class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    ShortcutsDialog(const QList<QAction*>& actions, QWidget* parent = nullptr);
    QTableWidget* table() const { return table_; }

private:
    QTableWidget* table_ = nullptr;
};

// The model card's summary lines ("version", "status") from `cardPath` (models/README.md,
// installed beside the weights); empty when the card is missing.
QString modelCardSummary(const QString& cardPath);
// Rich text for Help > About: version, licence, model, the paper it implements.
QString aboutText(const QString& programVersion, const QString& cardSummary, const QString& lastModelVersion);

}  // namespace hz::ui
