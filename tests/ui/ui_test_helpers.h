#pragma once
// Helpers shared by the editor's widget tests (test_editor_ux, test_subject_ui).
#include <QApplication>
#include <QObject>
#include <QTimer>

#include <opencv2/core.hpp>

#include <memory>

namespace hz::test {

// Same size, type and every pixel.
inline bool equalMats(const cv::Mat& a, const cv::Mat& b) {
    return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0.0;
}

// Runs `answer` on the next modal dialog of type T from inside its event loop.
template <typename T, typename F>
std::shared_ptr<QTimer> whenModal(F answer) {
    auto timer = std::make_shared<QTimer>();
    QObject::connect(timer.get(), &QTimer::timeout, [timer = timer.get(), answer] {
        auto* dialog = qobject_cast<T*>(QApplication::activeModalWidget());
        if (!dialog) return;
        timer->stop();
        answer(dialog);
    });
    timer->start(30);
    return timer;
}

}  // namespace hz::test
