#include "ui/foreground_cutout.h"

#include <QMessageBox>
#include <QPushButton>

namespace hz::ui {

ForegroundMaskChoice askForegroundMask(QWidget* parent, const QString& fileName) {
    QMessageBox box(parent);
    box.setObjectName("foregroundMaskQuestion");
    box.setIcon(QMessageBox::Question);
    box.setWindowTitle(QObject::tr("Add Foreground"));
    box.setText(QObject::tr("%1 has no transparency. Cut out its subject?").arg(fileName));
    box.setInformativeText(QObject::tr("Cut Out Subject finds the photo's main subject and makes it the layer's "
                                       "mask, as one undo step."));
    QPushButton* cut = box.addButton(QObject::tr("Cut Out Subject"), QMessageBox::AcceptRole);
    QPushButton* file = box.addButton(QObject::tr("Mask File…"), QMessageBox::ActionRole);
    QPushButton* whole = box.addButton(QObject::tr("Use Whole Image"), QMessageBox::ActionRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(cut);
    box.exec();
    if (box.clickedButton() == cut) return ForegroundMaskChoice::CutOutSubject;
    if (box.clickedButton() == file) return ForegroundMaskChoice::MaskFile;
    if (box.clickedButton() == whole) return ForegroundMaskChoice::WholeImage;
    return ForegroundMaskChoice::Cancel;
}

}  // namespace hz::ui
