#pragma once
// The histogram panel: red, green and blue of the foreground (inside the mask, weighted by
// it) against the background (outside it), from the preview on screen, so it follows the
// sliders. Where the foreground's curves sit left of the background's it is darker, and so
// on: the place retouchers check a match.
#include <QWidget>

#include <array>

#include <opencv2/core.hpp>

class QImage;

namespace hz::ui {

struct MaskedHistograms {
    // [channel R,G,B][bin]: sums of mask weight (foreground) and of 1 - weight (background).
    std::array<std::array<double, 256>, 3> foreground{}, background{};
    double foregroundWeight = 0.0, backgroundWeight = 0.0;
    std::array<double, 3> foregroundMean{}, backgroundMean{};  // 0..255
};

// `image` is RGB32 (8 bits a channel); `mask16` (CV_16UC1) the same size. Every `step`-th
// pixel of every `step`-th row is counted (the live preview needs a few ms, not a full pass).
MaskedHistograms computeMaskedHistograms(const QImage& image, const cv::Mat& mask16, int step = 1);

class HistogramWidget : public QWidget {
    Q_OBJECT
public:
    explicit HistogramWidget(QWidget* parent = nullptr);
    void setHistograms(const MaskedHistograms& histograms);
    void clear();
    const MaskedHistograms& histograms() const { return histograms_; }
    bool hasData() const { return hasData_; }
    QSize sizeHint() const override { return {240, 180}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    MaskedHistograms histograms_;
    bool hasData_ = false;
};

}  // namespace hz::ui
