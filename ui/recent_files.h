#pragma once
// File > Open Recent: the last composites (with their masks) and sessions, newest first,
// kept with QSettings. The menu is rebuilt each time it opens; entries whose file has gone
// are left out.
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

class QMenu;

namespace hz::ui {

struct RecentEntry {
    QString path;      // an image or a session
    QString maskPath;  // for an image: its mask, or empty
    bool operator==(const RecentEntry& o) const { return path == o.path && maskPath == o.maskPath; }
};

class RecentFiles : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxEntries = 10;
    // `open` is called with the entry the user picked.
    RecentFiles(QMenu* menu, std::function<void(const RecentEntry&)> open, QObject* parent = nullptr);

    void add(const QString& path, const QString& maskPath = {});
    QList<RecentEntry> entries() const;  // existing files only, newest first
    void clear();
    QMenu* menu() const { return menu_; }

private:
    void rebuildMenu();
    QMenu* menu_;
    std::function<void(const RecentEntry&)> open_;
};

}  // namespace hz::ui
