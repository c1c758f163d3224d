#pragma once
// Waiting for the editor's workers from the GUI thread (the screenshot and benchmark modes)
// in a real event loop: signals keep being delivered, and no busy polling steals a core from
// the workers.
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

namespace hz::ui {

inline void settle(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

// Returns false when `timeoutMs` passed before `done()` became true.
template <typename Predicate>
bool waitFor(Predicate done, int timeoutMs, int pollMs = 1) {
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs) return false;
        settle(pollMs);
    }
    return true;
}

}  // namespace hz::ui
