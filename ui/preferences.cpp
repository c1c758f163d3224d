#include "ui/preferences.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace hz::ui {

Preferences Preferences::load() {
    QSettings settings;
    Preferences p;
    p.autoHarmonize = settings.value("preferences/autoHarmonize", p.autoHarmonize).toBool();
    p.threads = std::max(0, settings.value("preferences/threads", p.threads).toInt());
    p.device = settings.value("preferences/device", p.device).toString();
    if (p.device != "auto" && p.device != "cpu" && p.device != "cuda") p.device = "auto";
    p.pixelLimitMegapixels = std::max(0, settings.value("preferences/pixelLimitMegapixels", p.pixelLimitMegapixels).toInt());
    return p;
}

void Preferences::save() const {
    QSettings settings;
    settings.setValue("preferences/autoHarmonize", autoHarmonize);
    settings.setValue("preferences/threads", threads);
    settings.setValue("preferences/device", device);
    settings.setValue("preferences/pixelLimitMegapixels", pixelLimitMegapixels);
}

PreferencesDialog::PreferencesDialog(const Preferences& current, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Preferences"));
    setObjectName("preferencesDialog");
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    autoHarmonize_ = new QCheckBox(tr("Harmonize when an image opens with a mask"), this);
    autoHarmonize_->setChecked(current.autoHarmonize);
    threads_ = new QSpinBox(this);
    threads_->setRange(0, 256);
    threads_->setSpecialValueText(tr("automatic (%1)").arg(std::max(1, QThread::idealThreadCount() - 1)));
    threads_->setValue(current.threads);
    threads_->setToolTip(tr("Threads for Harmonize and export; automatic keeps one core for the window"));
    device_ = new QComboBox(this);
    device_->addItem(tr("Automatic (GPU if available)"), "auto");
    device_->addItem(tr("CPU"), "cpu");
    device_->addItem(tr("GPU (CUDA)"), "cuda");
    device_->setCurrentIndex(std::max(0, device_->findData(current.device)));
    pixelLimit_ = new QSpinBox(this);
    pixelLimit_->setRange(0, 2000);
    pixelLimit_->setSuffix(tr(" MP"));
    pixelLimit_->setSpecialValueText(tr("no limit"));
    pixelLimit_->setValue(current.pixelLimitMegapixels);
    pixelLimit_->setToolTip(tr("Images above this many megapixels are refused instead of filling the memory"));
    form->addRow(autoHarmonize_);
    form->addRow(tr("Threads:"), threads_);
    form->addRow(tr("Device:"), device_);
    form->addRow(tr("Largest image:"), pixelLimit_);
    layout->addLayout(form);
    auto* note = new QLabel(tr("Device and threads apply to the next Harmonize; command-line options override them."), this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

Preferences PreferencesDialog::values() const {
    Preferences p;
    p.autoHarmonize = autoHarmonize_->isChecked();
    p.threads = threads_->value();
    p.device = device_->currentData().toString();
    p.pixelLimitMegapixels = pixelLimit_->value();
    return p;
}

}  // namespace hz::ui
