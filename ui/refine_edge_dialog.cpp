#include "ui/refine_edge_dialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "ui/editor_document.h"
#include "ui/refine_edge_preview.h"

namespace hz::ui {

namespace {
// Tenths of a pixel a slider step: fine enough for a feather, few enough for a drag.
constexpr double kStepsPerPixel = 10.0;
}  // namespace

RefineEdgeDialog::RefineEdgeDialog(EditorDocument* document, QWidget* parent)
    : QDialog(parent), document_(document), preview_(new RefineEdgePreview(document, this)) {
    setObjectName("refineEdgeDialog");
    setWindowTitle(tr("Refine Edge"));
    setWindowModality(Qt::WindowModal);
    auto* layout = new QVBoxLayout(this);
    auto* grid = new QGridLayout;
    const auto& specs = subject::refineEdgeSpecs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const subject::RefineEdgeSpec& spec = specs[i];
        auto* label = new QLabel(tr(spec.label), this);
        auto* slider = new QSlider(Qt::Horizontal, this);
        slider->setObjectName(QStringLiteral("refine_%1").arg(spec.key));
        slider->setRange(int(std::lround(spec.minimum * kStepsPerPixel)), int(std::lround(spec.maximum * kStepsPerPixel)));
        slider->setMinimumWidth(240);
        auto* spin = new QDoubleSpinBox(this);
        spin->setRange(spec.minimum, spec.maximum);
        spin->setDecimals(1);
        spin->setSingleStep(1.0 / kStepsPerPixel);
        spin->setSuffix(QStringLiteral(" ") + QString::fromUtf8(spec.unit));
        spin->setKeyboardTracking(false);
        label->setBuddy(slider);
        grid->addWidget(label, int(i), 0);
        grid->addWidget(slider, int(i), 1);
        grid->addWidget(spin, int(i), 2);
        sliders_.push_back(slider);
        spins_.push_back(spin);
        params_.*(spec.member) = spec.defaultValue;
        connect(slider, &QSlider::valueChanged, this, [this, i](int v) { setValue(int(i), v / kStepsPerPixel); });
        connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, i](double v) { setValue(int(i), v); });
    }
    layout->addLayout(grid);
    status_ = new QLabel(tr("The canvas shows the refined mask; turn the overlay on (M) to see it."), this);
    status_->setObjectName("refineStatus");
    status_->setWordWrap(true);
    layout->addWidget(status_);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons_, &QDialogButtonBox::accepted, this, &RefineEdgeDialog::accept);
    connect(buttons_, &QDialogButtonBox::rejected, this, &RefineEdgeDialog::reject);
    layout->addWidget(buttons_);
    connect(preview_, &RefineEdgePreview::shown, this, &RefineEdgeDialog::onShown);
    connect(preview_, &RefineEdgePreview::failed, this, [this](const QString& error) {
        acceptWhenShown_ = false;
        buttons_->button(QDialogButtonBox::Ok)->setEnabled(true);
        status_->setText(tr("Refine Edge failed: %1").arg(error));
    });
    setParams(params_);
}

RefineEdgeDialog::~RefineEdgeDialog() = default;

void RefineEdgeDialog::setParams(const subject::RefineEdgeParams& params) {
    const auto& specs = subject::refineEdgeSpecs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const double value = params.*(specs[i].member);
        const QSignalBlocker a(sliders_[i]), b(spins_[i]);
        sliders_[i]->setValue(int(std::lround(value * kStepsPerPixel)));
        spins_[i]->setValue(value);
    }
    params_ = params;
    preview_->request(params_);
}

void RefineEdgeDialog::setValue(int i, double value) {
    const subject::RefineEdgeSpec& spec = subject::refineEdgeSpecs()[std::size_t(i)];
    value = std::clamp(value, spec.minimum, spec.maximum);
    if (params_.*(spec.member) == value) return;
    params_.*(spec.member) = value;
    {
        // Each widget shows the other's value without sending it back.
        const QSignalBlocker a(sliders_[std::size_t(i)]), b(spins_[std::size_t(i)]);
        sliders_[std::size_t(i)]->setValue(int(std::lround(value * kStepsPerPixel)));
        spins_[std::size_t(i)]->setValue(value);
    }
    preview_->request(params_);
}

void RefineEdgeDialog::onShown() {
    if (acceptWhenShown_ && preview_->isCurrent()) accept();
}

void RefineEdgeDialog::accept() {
    if (!preview_->commit(tr("Refine Edge"))) {
        // The latest values are still being applied; OK finishes when they are.
        acceptWhenShown_ = true;
        buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
        status_->setText(tr("Applying…"));
        return;
    }
    acceptWhenShown_ = false;
    QDialog::accept();
}

void RefineEdgeDialog::reject() {
    acceptWhenShown_ = false;
    preview_->restore();
    QDialog::reject();
}

}  // namespace hz::ui
