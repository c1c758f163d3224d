#pragma once
// The editor's Select Subject tools in one place: the Select Subject and Refine Edge actions,
// the Object Selection gesture (ui/box_select_tool), the worker (ui/subject_selection), and
// their busy indicator with Cancel for the status bar. The window only puts the actions in
// its menus and tool bar and shows what this reports.
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <string>

class QAction;
class QProgressBar;
class QToolButton;
class QWidget;

namespace hz::ui {

class BoxSelectTool;
class EditorDocument;
class ImageCanvas;
class RefineEdgeDialog;
class SubjectSelection;

class SubjectTools : public QObject {
    Q_OBJECT
public:
    // `threads`: asked before each request (the window's worker thread count).
    SubjectTools(EditorDocument* document, ImageCanvas* canvas, QWidget* window, std::function<int()> threads);

    QAction* selectSubjectAction() const { return selectSubject_; }
    QAction* refineEdgeAction() const { return refineEdge_; }
    SubjectSelection* selection() const { return selection_; }
    BoxSelectTool* boxTool() const { return box_; }
    // Progress and Cancel, shown while a request runs.
    QWidget* statusWidget() const { return status_; }
    // The open Refine Edge dialog, if any.
    RefineEdgeDialog* refineDialog() const;

    void setModelPath(const std::string& path);
    bool selectSubject();
    bool selectInBox(const QRect& imageRect, bool subtract);
    bool cutOutLayer(int layer);
    // Opens Refine Edge (window-modal, non-blocking); false when there is no mask to refine.
    bool refineEdge();

Q_SIGNALS:
    void error(const QString& message);
    void message(const QString& message);

private:
    void refresh();
    void prepare();

    EditorDocument* document_;
    QWidget* window_;
    std::function<int()> threads_;
    SubjectSelection* selection_;
    BoxSelectTool* box_;
    QAction* selectSubject_;
    QAction* refineEdge_;
    QWidget* status_;
    QProgressBar* progress_;
    QToolButton* cancel_;
    QPointer<RefineEdgeDialog> dialog_;
};

}  // namespace hz::ui
