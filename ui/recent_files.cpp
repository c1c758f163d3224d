#include "ui/recent_files.h"

#include <QAction>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

#include <algorithm>

namespace hz::ui {

namespace {
const char* kKey = "recentFiles";

QList<RecentEntry> stored() {
    QList<RecentEntry> list;
    for (const QString& line : QSettings().value(kKey).toStringList()) {
        const QStringList parts = line.split('\n');
        list.push_back({parts.value(0), parts.value(1)});
    }
    return list;
}

void store(const QList<RecentEntry>& list) {
    QStringList lines;
    for (const RecentEntry& e : list) lines << (e.maskPath.isEmpty() ? e.path : e.path + '\n' + e.maskPath);
    QSettings().setValue(kKey, lines);
}
}  // namespace

RecentFiles::RecentFiles(QMenu* menu, std::function<void(const RecentEntry&)> open, QObject* parent)
    : QObject(parent), menu_(menu), open_(std::move(open)) {
    connect(menu_, &QMenu::aboutToShow, this, &RecentFiles::rebuildMenu);
    rebuildMenu();
}

void RecentFiles::add(const QString& path, const QString& maskPath) {
    if (path.isEmpty()) return;
    const RecentEntry entry{QFileInfo(path).absoluteFilePath(),
                            maskPath.isEmpty() ? QString() : QFileInfo(maskPath).absoluteFilePath()};
    QList<RecentEntry> list = stored();
    list.removeAll(entry);
    // The same image with another mask replaces the older entry rather than doubling it.
    list.erase(std::remove_if(list.begin(), list.end(), [&](const RecentEntry& e) { return e.path == entry.path; }),
               list.end());
    list.prepend(entry);
    while (list.size() > kMaxEntries) list.removeLast();
    store(list);
    rebuildMenu();
}

QList<RecentEntry> RecentFiles::entries() const {
    QList<RecentEntry> list;
    for (const RecentEntry& e : stored())
        if (QFileInfo::exists(e.path) && (e.maskPath.isEmpty() || QFileInfo::exists(e.maskPath))) list.push_back(e);
    return list;
}

void RecentFiles::clear() {
    store({});
    rebuildMenu();
}

void RecentFiles::rebuildMenu() {
    menu_->clear();
    const QList<RecentEntry> list = entries();
    int number = 1;
    for (const RecentEntry& entry : list) {
        QString text = QFileInfo(entry.path).fileName();
        if (!entry.maskPath.isEmpty()) text += tr(" + %1").arg(QFileInfo(entry.maskPath).fileName());
        if (number <= 9) text = QStringLiteral("&%1 %2").arg(number).arg(text);
        ++number;
        QAction* action = menu_->addAction(text);
        action->setToolTip(entry.path);
        connect(action, &QAction::triggered, this, [this, entry] { open_(entry); });
    }
    if (list.isEmpty()) menu_->addAction(tr("No recent files"))->setEnabled(false);
    menu_->addSeparator();
    QAction* clearAction = menu_->addAction(tr("&Clear List"));
    clearAction->setEnabled(!list.isEmpty());
    connect(clearAction, &QAction::triggered, this, &RecentFiles::clear);
}

}  // namespace hz::ui
