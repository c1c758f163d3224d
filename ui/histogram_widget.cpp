#include "ui/histogram_widget.h"

#include <QImage>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace hz::ui {

MaskedHistograms computeMaskedHistograms(const QImage& source, const cv::Mat& mask16, int step) {
    step = std::max(1, step);
    MaskedHistograms h;
    if (source.isNull() || mask16.empty() || mask16.rows != source.height() || mask16.cols != source.width()) return h;
    const QImage image = source.convertToFormat(QImage::Format_RGB32);
    std::array<double, 3> fgSum{}, bgSum{};
    for (int y = 0; y < image.height(); y += step) {
        const auto* px = reinterpret_cast<const QRgb*>(image.constScanLine(y));
        const std::uint16_t* m = mask16.ptr<std::uint16_t>(y);
        for (int x = 0; x < image.width(); x += step) {
            const double w = m[x] / 65535.0;
            const int rgb[3] = {qRed(px[x]), qGreen(px[x]), qBlue(px[x])};
            for (int c = 0; c < 3; ++c) {
                h.foreground[c][rgb[c]] += w;
                h.background[c][rgb[c]] += 1.0 - w;
                fgSum[c] += w * rgb[c];
                bgSum[c] += (1.0 - w) * rgb[c];
            }
            h.foregroundWeight += w;
            h.backgroundWeight += 1.0 - w;
        }
    }
    for (int c = 0; c < 3; ++c) {
        h.foregroundMean[c] = h.foregroundWeight > 0 ? fgSum[c] / h.foregroundWeight : 0.0;
        h.backgroundMean[c] = h.backgroundWeight > 0 ? bgSum[c] / h.backgroundWeight : 0.0;
    }
    return h;
}

HistogramWidget::HistogramWidget(QWidget* parent) : QWidget(parent) {
    setObjectName("histogram");
    setMinimumHeight(150);
    setToolTip(tr("Red, green and blue of the foreground (line) against the background (filled), from the preview"));
}

void HistogramWidget::setHistograms(const MaskedHistograms& histograms) {
    histograms_ = histograms;
    hasData_ = histograms.foregroundWeight > 0 || histograms.backgroundWeight > 0;
    update();
}

void HistogramWidget::clear() {
    hasData_ = false;
    update();
}

void HistogramWidget::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(32, 32, 32));
    if (!hasData_) {
        painter.setPen(QColor(160, 160, 160));
        painter.drawText(rect(), Qt::AlignCenter, tr("No preview yet"));
        return;
    }
    const QColor colours[3] = {QColor(235, 80, 80), QColor(90, 210, 90), QColor(100, 150, 255)};
    const char* names[3] = {"R", "G", "B"};
    const int band = height() / 3;
    painter.setRenderHint(QPainter::Antialiasing, true);
    for (int c = 0; c < 3; ++c) {
        const QRectF area(28, c * band + 3, width() - 32, band - 6);
        // Each curve is normalised to its own total and the band's peak, so a small
        // foreground is as readable as a large background.
        auto normalised = [](const std::array<double, 256>& bins, double total) {
            std::array<double, 256> out{};
            if (total <= 0) return out;
            for (int i = 0; i < 256; ++i) out[i] = bins[i] / total;
            return out;
        };
        const auto fg = normalised(histograms_.foreground[c], histograms_.foregroundWeight);
        const auto bg = normalised(histograms_.background[c], histograms_.backgroundWeight);
        const double peak = std::max(1e-9, std::max(*std::max_element(fg.begin(), fg.end()),
                                                    *std::max_element(bg.begin(), bg.end())));
        auto path = [&](const std::array<double, 256>& bins, bool closed) {
            QPainterPath p;
            p.moveTo(area.left(), area.bottom());
            for (int i = 0; i < 256; ++i)
                p.lineTo(area.left() + area.width() * i / 255.0, area.bottom() - area.height() * std::min(1.0, bins[i] / peak));
            if (closed) p.lineTo(area.right(), area.bottom());
            return p;
        };
        QColor fill = colours[c];
        fill.setAlpha(70);
        painter.setPen(Qt::NoPen);
        painter.setBrush(fill);
        painter.drawPath(path(bg, true));
        painter.setPen(QPen(colours[c].lighter(130), 1.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path(fg, false));
        painter.setPen(QColor(200, 200, 200));
        painter.drawText(QRectF(4, area.top(), 22, area.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::fromLatin1(names[c]));
        const QString means = tr("fg %1  bg %2").arg(histograms_.foregroundMean[c], 0, 'f', 0).arg(histograms_.backgroundMean[c], 0, 'f', 0);
        painter.drawText(area.adjusted(0, 0, -2, 0), Qt::AlignRight | Qt::AlignTop, means);
    }
}

}  // namespace hz::ui
