#include "ui/help_dialogs.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFile>
#include <QHeaderView>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

namespace hz::ui {

ShortcutsDialog::ShortcutsDialog(const QList<QAction*>& actions, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Keyboard Shortcuts"));
    setObjectName("shortcutsDialog");
    auto* layout = new QVBoxLayout(this);
    table_ = new QTableWidget(0, 2, this);
    table_->setObjectName("shortcutsTable");
    table_->setHorizontalHeaderLabels({tr("Command"), tr("Keys")});
    table_->verticalHeader()->hide();
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    auto addRow = [this](const QString& command, const QString& keys) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        table_->setItem(row, 0, new QTableWidgetItem(command));
        table_->setItem(row, 1, new QTableWidgetItem(keys));
    };
    for (const QAction* action : actions) {
        if (action->shortcuts().isEmpty()) continue;
        QStringList keys;
        for (const QKeySequence& key : action->shortcuts()) keys << key.toString(QKeySequence::NativeText);
        addRow(action->text().remove('&').remove(QStringLiteral("…")), keys.join(QStringLiteral(", ")));
    }
    addRow(tr("Show the original while held"), QStringLiteral("\\"));
    addRow(tr("Brush size smaller / larger"), QStringLiteral("[  ]"));
    addRow(tr("Pan with any tool"), tr("Space+drag, middle button"));
    addRow(tr("Object Selection: take the object out of the mask"), tr("Alt+drag"));
    addRow(tr("Zoom at the cursor"), tr("Wheel"));
    addRow(tr("Fine slider adjustment"), tr("Shift+drag, Shift+wheel"));
    addRow(tr("Reset one slider to its predicted value"), tr("Double-click the slider"));
    addRow(tr("Commit a typed number / revert it (focus back to the image)"), tr("Enter / Escape"));
    layout->addWidget(table_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(560, 620);
}

QString modelCardSummary(const QString& cardPath) {
    QFile file(cardPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
    const QString text = QString::fromUtf8(file.readAll());
    QStringList lines;
    // The card's first table: "| version | ... |", "| status | ... |".
    for (const QString key : {QStringLiteral("version"), QStringLiteral("status")}) {
        const QRegularExpression row(QStringLiteral("^\\| %1 \\| (.*) \\|$").arg(key), QRegularExpression::MultilineOption);
        const QRegularExpressionMatch match = row.match(text);
        if (match.hasMatch()) {
            QString value = match.captured(1).toHtmlEscaped();
            value.replace(QRegularExpression(QStringLiteral("`([^`]*)`")), QStringLiteral("<code>\\1</code>"));
            value.replace(QRegularExpression(QStringLiteral("\\*\\*([^*]*)\\*\\*")), QStringLiteral("<b>\\1</b>"));
            lines << QStringLiteral("<b>%1</b>: %2").arg(key, value);
        }
    }
    return lines.join(QStringLiteral("<br>"));
}

QString aboutText(const QString& programVersion, const QString& cardSummary, const QString& lastModelVersion) {
    QString text = QObject::tr(
                       "<h3>Harmonizer Studio %1</h3>"
                       "<p>Makes a pasted foreground match its background: a small network predicts six "
                       "ordinary photo-filter values (temperature, brightness, contrast, saturation, "
                       "highlight, shadow) that you can edit.</p>"
                       "<p><b>Method:</b> Ke et al., "
                       "<i>Harmonizer: Learning to Perform White-Box Image and Video Harmonization</i>, "
                       "ECCV 2022, rebuilt from its description.</p>")
                       .arg(programVersion.toHtmlEscaped());
    text += QObject::tr("<p><b>Model</b> (card: models/README.md):<br>%1</p>")
                .arg(cardSummary.isEmpty() ? QObject::tr("the model card is not installed") : cardSummary);
    if (!lastModelVersion.isEmpty())
        text += QObject::tr("<p>Last prediction by model <code>%1</code>.</p>").arg(lastModelVersion.toHtmlEscaped());
    text += QObject::tr(
        "<p><b>Licence:</b> the project has not declared a licence yet (no LICENSE file); "
        "the bundled sample is made from public-domain photos (resources/sample/SOURCE.md). "
        "Built with Qt, LibTorch and OpenCV, each under its own licence.</p>");
    return text;
}

}  // namespace hz::ui
