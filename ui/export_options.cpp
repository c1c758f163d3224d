#include "ui/export_options.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace hz::ui {

QString JpegExportDialog::note(bool sixteenBitSource) {
    QString text = tr("JPEG re-encodes the whole image: the background's pixels change slightly, not only the "
                      "foreground. Export as PNG or TIFF to keep everything outside the mask bit for bit.");
    if (sixteenBitSource)
        text += QStringLiteral("\n\n") + tr("This image has 16 bits per channel; JPEG keeps only 8, so it is rounded to "
                                            "8-bit. PNG and TIFF keep all 16.");
    return text;
}

JpegExportDialog::JpegExportDialog(int quality, bool sixteenBitSource, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Export as JPEG"));
    setObjectName("jpegExportDialog");
    auto* layout = new QVBoxLayout(this);
    note_ = new QLabel(note(sixteenBitSource), this);
    note_->setObjectName("jpegNote");
    note_->setWordWrap(true);
    layout->addWidget(note_);
    auto* form = new QFormLayout;
    quality_ = new QSpinBox(this);
    quality_->setObjectName("jpegQuality");
    quality_->setRange(1, 100);
    quality_->setValue(quality);
    form->addRow(tr("Quality (1–100):"), quality_);
    layout->addLayout(form);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(420);
}

int JpegExportDialog::quality() const { return quality_->value(); }

}  // namespace hz::ui
