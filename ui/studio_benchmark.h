#pragma once
// `harmonizer-studio --benchmark`: drives the real window (not a mock) and measures what
// issue 5 asks for: slider change -> preview on screen for a view of 1920x1080, and the
// longest stall of the GUI thread while predicting and exporting a 12 MP image (a 1 ms
// QTimer heartbeat; a stall is the longest gap between its ticks).
#include <QJsonObject>
#include <QString>

namespace hz::ui {

struct BenchmarkOptions {
    QString modelPath;        // empty: the shipped model, else a random-initialised one
    int sliderSamples = 60;
    int viewWidth = 1920, viewHeight = 1080;
    int imageWidth = 4608, imageHeight = 2592;  // 11.9 MP
};

// Runs inside a QApplication; returns the figures (also the JSON that main prints).
QJsonObject runStudioBenchmark(const BenchmarkOptions& options);

}  // namespace hz::ui
