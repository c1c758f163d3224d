#pragma once
// Add Foreground with a photo that has no transparency: pasting it whole is rarely what the
// user wants, so they are asked whether to cut out its subject (Select Subject on the photo),
// take a mask file, or use the whole rectangle.
#include <QString>

class QWidget;

namespace hz::ui {

enum class ForegroundMaskChoice { CutOutSubject, MaskFile, WholeImage, Cancel };

// The question's object name is "foregroundMaskQuestion"; its buttons read "Cut Out Subject",
// "Mask File…", "Use Whole Image" and "Cancel".
ForegroundMaskChoice askForegroundMask(QWidget* parent, const QString& fileName);

}  // namespace hz::ui
