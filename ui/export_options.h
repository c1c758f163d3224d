#pragma once
// The JPEG step of File > Export: the quality, and what JPEG costs. Exporting as PNG or TIFF
// keeps every pixel outside the mask bit for bit; JPEG re-encodes the whole picture, so the
// background changes slightly too, and a 16-bit photo is rounded to 8 bits. Users are told
// before they choose, not afterwards.
#include <QDialog>

class QLabel;
class QSpinBox;

namespace hz::ui {

class JpegExportDialog : public QDialog {
    Q_OBJECT
public:
    JpegExportDialog(int quality, bool sixteenBitSource, QWidget* parent = nullptr);
    int quality() const;
    QSpinBox* qualityBox() const { return quality_; }
    QLabel* noteLabel() const { return note_; }

    static QString note(bool sixteenBitSource);

private:
    QSpinBox* quality_ = nullptr;
    QLabel* note_ = nullptr;
};

}  // namespace hz::ui
