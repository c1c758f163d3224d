#include "ui/params_panel.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include "ui/fine_slider.h"

#include <cmath>

namespace hz::ui {

namespace {
// The panel shows values as -100..100; the document keeps -1..1.
constexpr double kDisplayScale = 100.0;
}  // namespace

ParamsPanel::ParamsPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto* harmonizeBox = new QGroupBox(tr("Harmonize"), this);
    auto* harmonizeLayout = new QVBoxLayout(harmonizeBox);
    harmonizeButton_ = new QPushButton(tr("Harmonize"), harmonizeBox);
    harmonizeButton_->setObjectName("harmonizeButton");
    harmonizeButton_->setToolTip(tr("Predict the six values that make the foreground match the background (Ctrl+H)"));
    harmonizeButton_->setMinimumHeight(34);
    QFont bold = harmonizeButton_->font();
    bold.setBold(true);
    harmonizeButton_->setFont(bold);
    status_ = new QLabel(harmonizeBox);
    status_->setObjectName("harmonizeStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    harmonizeLayout->addWidget(harmonizeButton_);
    harmonizeLayout->addWidget(status_);
    staleBox_ = new QWidget(harmonizeBox);
    staleBox_->setObjectName("staleBox");
    staleBox_->setStyleSheet("#staleBox { background: #6b5a1e; border-radius: 3px; } #staleBox QLabel { color: white; }");
    auto* staleLayout = new QHBoxLayout(staleBox_);
    staleLayout->setContentsMargins(6, 4, 4, 4);
    auto* staleText = new QLabel(tr("The mask changed: the predicted values are out of date."), staleBox_);
    staleText->setObjectName("staleText");
    staleText->setWordWrap(true);
    harmonizeAgain_ = new QPushButton(tr("Harmonize Again"), staleBox_);
    harmonizeAgain_->setObjectName("harmonizeAgainButton");
    staleLayout->addWidget(staleText, 1);
    staleLayout->addWidget(harmonizeAgain_);
    staleBox_->hide();
    harmonizeLayout->addWidget(staleBox_);
    connect(harmonizeAgain_, &QPushButton::clicked, this, &ParamsPanel::harmonizeRequested);
    layout->addWidget(harmonizeBox);
    connect(harmonizeButton_, &QPushButton::clicked, this, &ParamsPanel::harmonizeRequested);

    auto* adjustBox = new QGroupBox(tr("Adjustments"), this);
    auto* grid = new QGridLayout(adjustBox);
    grid->setColumnStretch(1, 1);
    grid->setHorizontalSpacing(6);
    auto* predictedHeader = new QLabel(tr("predicted"), adjustBox);
    predictedHeader->setStyleSheet("color: palette(mid); font-size: small;");
    predictedHeader->setAlignment(Qt::AlignRight);
    grid->addWidget(predictedHeader, 0, 3);
    int row = 1;
    for (const FilterSpec& spec : filterSpecs()) {
        Row& r = rows_[std::size_t(spec.filter)];
        auto* label = new QLabel(tr(spec.label), adjustBox);
        label->setToolTip(tr(spec.description));
        auto* fine = new FineSlider(Qt::Horizontal, adjustBox);
        r.slider = fine;
        r.slider->setMinimumWidth(200);  // 1 unit a pixel; Shift+drag 0.1
        r.slider->setObjectName(QStringLiteral("slider_%1").arg(spec.key));
        r.slider->setRange(int(spec.minValue * kDisplayScale), int(spec.maxValue * kDisplayScale));
        r.slider->setPageStep(10);
        r.slider->setToolTip(tr("%1\nShift+drag or Shift+wheel: fine adjustment; double-click: back to the predicted value")
                                 .arg(tr(spec.description)));
        r.spin = new QDoubleSpinBox(adjustBox);
        r.spin->setObjectName(QStringLiteral("spin_%1").arg(spec.key));
        r.spin->setRange(spec.minValue * kDisplayScale, spec.maxValue * kDisplayScale);
        r.spin->setDecimals(1);
        r.spin->setSingleStep(1.0);
        r.spin->setKeyboardTracking(false);  // one value on Enter, not one per keystroke
        r.spin->setToolTip(tr(spec.description));
        r.spin->setMinimumWidth(64);
        r.predicted = new QLabel(adjustBox);
        r.predicted->setMinimumWidth(44);
        r.predicted->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        r.predicted->setStyleSheet("color: palette(mid);");
        label->setBuddy(r.slider);
        grid->addWidget(label, row, 0);
        grid->addWidget(r.slider, row, 1);
        grid->addWidget(r.spin, row, 2);
        grid->addWidget(r.predicted, row, 3);
        ++row;

        const Filter filter = spec.filter;
        QSlider* slider = r.slider;
        QDoubleSpinBox* spin = r.spin;
        int& drag = r.drag;
        connect(slider, &QSlider::sliderReleased, this, [&drag] { drag = 0; });
        connect(fine, &FineSlider::resetRequested, this, [this, filter, field = spec.field] {
            const double target = predicted_ ? (*predicted_).*field : 0.0;
            Q_EMIT valueEdited(filter, target, nextInteraction_++);
        });
        connect(slider, &QSlider::valueChanged, this, [this, filter, slider, spin, &drag](int v) {
            {
                const QSignalBlocker block(spin);
                spin->setValue(v);
            }
            Q_EMIT valueEdited(filter, v / kDisplayScale, interactionFor(slider, drag));
        });
        connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, filter, slider](double v) {
            {
                const QSignalBlocker block(slider);
                slider->setValue(int(std::lround(v)));
            }
            Q_EMIT valueEdited(filter, v / kDisplayScale, nextInteraction_++);
        });
    }
    auto* resets = new QHBoxLayout;
    resetPredictedButton_ = new QPushButton(tr("Reset to Predicted"), adjustBox);
    resetPredictedButton_->setObjectName("resetPredictedButton");
    resetPredictedButton_->setToolTip(tr("Put every slider back to the values Harmonize predicted"));
    resetZeroButton_ = new QPushButton(tr("Reset to Zero"), adjustBox);
    resetZeroButton_->setObjectName("resetZeroButton");
    resetZeroButton_->setToolTip(tr("Set every slider to 0 (no change)"));
    resets->addWidget(resetPredictedButton_);
    resets->addWidget(resetZeroButton_);
    grid->addLayout(resets, row++, 0, 1, 4);
    connect(resetPredictedButton_, &QPushButton::clicked, this, &ParamsPanel::resetToPredictedRequested);
    connect(resetZeroButton_, &QPushButton::clicked, this, &ParamsPanel::resetToZeroRequested);
    layout->addWidget(adjustBox);

    auto* amountBox = new QGroupBox(tr("Amount"), this);
    auto* amountLayout = new QHBoxLayout(amountBox);
    amountSlider_ = new QSlider(Qt::Horizontal, amountBox);
    amountSlider_->setObjectName("amountSlider");
    amountSlider_->setRange(0, 100);
    amountSlider_->setPageStep(10);
    amountSlider_->setToolTip(tr("Overall strength of the adjustment on the foreground"));
    amountSpin_ = new QSpinBox(amountBox);
    amountSpin_->setRange(0, 100);
    amountSpin_->setSuffix(" %");
    amountSpin_->setKeyboardTracking(false);
    amountSpin_->setMinimumWidth(64);
    amountLayout->addWidget(amountSlider_, 1);
    amountLayout->addWidget(amountSpin_);
    layout->addWidget(amountBox);
    connect(amountSlider_, &QSlider::sliderReleased, this, [this] { amountDrag_ = 0; });
    connect(amountSlider_, &QSlider::valueChanged, this, [this](int v) {
        {
            const QSignalBlocker block(amountSpin_);
            amountSpin_->setValue(v);
        }
        Q_EMIT amountEdited(v / 100.0, interactionFor(amountSlider_, amountDrag_));
    });
    connect(amountSpin_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int v) {
        {
            const QSignalBlocker block(amountSlider_);
            amountSlider_->setValue(v);
        }
        Q_EMIT amountEdited(v / 100.0, nextInteraction_++);
    });

    layout->addStretch(1);
    setPredicted(std::nullopt);
    setAmount(1.0);
}

int ParamsPanel::interactionFor(const QSlider* slider, int& drag) {
    if (!slider->isSliderDown()) return nextInteraction_++;  // a key or a click: a step of its own
    if (drag == 0) drag = nextInteraction_++;
    return drag;
}

void ParamsPanel::setParams(const FilterParams& params) {
    for (const FilterSpec& spec : filterSpecs()) {
        const Row& r = rows_[std::size_t(spec.filter)];
        const double shown = params.*(spec.field) * kDisplayScale;
        const QSignalBlocker blockSlider(r.slider);
        const QSignalBlocker blockSpin(r.spin);
        // While the user drags, the slider already is where the value came from.
        if (!r.slider->isSliderDown()) r.slider->setValue(int(std::lround(shown)));
        const double tenths = std::round(shown * 10.0) / 10.0;
        r.spin->setValue(tenths == 0.0 ? 0.0 : tenths);  // the spin box shows tenths; never "-0.0"
    }
}

void ParamsPanel::setPredicted(const std::optional<FilterParams>& predicted) {
    predicted_ = predicted;
    for (const FilterSpec& spec : filterSpecs()) {
        const Row& r = rows_[std::size_t(spec.filter)];
        if (predicted) {
            const double shown = (*predicted).*(spec.field) * kDisplayScale;
            const double tenths = std::round(shown * 10.0) / 10.0;
            r.predicted->setText(QString::number(tenths == 0.0 ? 0.0 : tenths, 'f', 1));  // no "-0.0"
            r.predicted->setToolTip(tr("Predicted: %1").arg(shown, 0, 'f', 4));
        } else {
            r.predicted->setText(QStringLiteral("–"));
            r.predicted->setToolTip(tr("Not predicted yet: press Harmonize"));
        }
    }
    resetPredictedButton_->setEnabled(predicted.has_value());
}

void ParamsPanel::setAmount(double amount) {
    const QSignalBlocker blockSlider(amountSlider_);
    const QSignalBlocker blockSpin(amountSpin_);
    if (!amountSlider_->isSliderDown()) amountSlider_->setValue(int(std::lround(amount * 100.0)));
    amountSpin_->setValue(int(std::lround(amount * 100.0)));
}

void ParamsPanel::setBusy(bool busy, const QString& status) {
    harmonizeButton_->setEnabled(!busy);
    harmonizeButton_->setText(busy ? tr("Harmonizing…") : tr("Harmonize"));
    setStatus(status);
}

void ParamsPanel::setStatus(const QString& status) { status_->setText(status); }

void ParamsPanel::setPredictionStale(bool stale) {
    staleBox_->setVisible(stale);
    for (const Row& r : rows_) r.predicted->setStyleSheet(stale ? "color: #b08a20;" : "color: palette(mid);");
}

bool ParamsPanel::predictionStale() const { return !staleBox_->isHidden(); }

void ParamsPanel::setEditingEnabled(bool enabled) {
    for (const Row& r : rows_) {
        r.slider->setEnabled(enabled);
        r.spin->setEnabled(enabled);
    }
    amountSlider_->setEnabled(enabled);
    amountSpin_->setEnabled(enabled);
    resetZeroButton_->setEnabled(enabled);
    harmonizeButton_->setEnabled(enabled);
}

}  // namespace hz::ui
