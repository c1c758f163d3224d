#pragma once
// The editor's preferences (Edit > Preferences), kept with QSettings: whether an image that
// opens with a mask is harmonized at once, the worker threads, the inference device, and
// the largest image the editor opens (a guard against running out of memory).
#include <QDialog>
#include <QString>

class QCheckBox;
class QComboBox;
class QSpinBox;

namespace hz::ui {

struct Preferences {
    bool autoHarmonize = true;  // like Photoshop's filter: the prediction is there on open
    int threads = 0;            // 0 = all cores but one
    QString device = QStringLiteral("auto");  // auto | cpu | cuda
    int pixelLimitMegapixels = 200;           // 0 = no limit

    static Preferences load();
    void save() const;
};

class PreferencesDialog : public QDialog {
    Q_OBJECT
public:
    explicit PreferencesDialog(const Preferences& current, QWidget* parent = nullptr);
    Preferences values() const;

    QCheckBox* autoHarmonizeBox() const { return autoHarmonize_; }
    QSpinBox* threadsBox() const { return threads_; }
    QComboBox* deviceBox() const { return device_; }
    QSpinBox* pixelLimitBox() const { return pixelLimit_; }

private:
    QCheckBox* autoHarmonize_ = nullptr;
    QSpinBox* threads_ = nullptr;
    QComboBox* device_ = nullptr;
    QSpinBox* pixelLimit_ = nullptr;
};

}  // namespace hz::ui
