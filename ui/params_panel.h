#pragma once
// The side panel: Harmonize, the six sliders (from the spec table, shown -100..100 with
// spin boxes), the predicted values, the two resets and the overall amount. It reports
// edits as signals and shows values it is given; it never touches the document itself.
#include <QWidget>

#include <array>
#include <optional>

#include "core/params.h"

class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;

namespace hz::ui {

class ParamsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParamsPanel(QWidget* parent = nullptr);

    void setParams(const FilterParams& params);
    void setPredicted(const std::optional<FilterParams>& predicted);
    void setAmount(double amount);
    void setBusy(bool busy, const QString& status);
    void setStatus(const QString& status);
    void setEditingEnabled(bool enabled);
    // The mask changed since the values were predicted: say so and offer to predict again.
    void setPredictionStale(bool stale);
    bool predictionStale() const;
    QPushButton* harmonizeAgainButton() const { return harmonizeAgain_; }

    QSlider* slider(Filter filter) const { return rows_[std::size_t(filter)].slider; }
    QDoubleSpinBox* spinBox(Filter filter) const { return rows_[std::size_t(filter)].spin; }
    QSlider* amountSlider() const { return amountSlider_; }
    QPushButton* harmonizeButton() const { return harmonizeButton_; }
    QPushButton* resetPredictedButton() const { return resetPredictedButton_; }
    QPushButton* resetZeroButton() const { return resetZeroButton_; }
    QLabel* statusLabel() const { return status_; }

Q_SIGNALS:
    // `interaction` is the same for every change of one slider drag, so it merges into one undo step.
    void valueEdited(hz::Filter filter, double value, int interaction);
    void amountEdited(double amount, int interaction);
    void harmonizeRequested();
    void resetToPredictedRequested();
    void resetToZeroRequested();

private:
    struct Row {
        QSlider* slider = nullptr;
        QDoubleSpinBox* spin = nullptr;
        QLabel* predicted = nullptr;
        int drag = 0;
    };
    int interactionFor(const QSlider* slider, int& drag);

    std::array<Row, kFilterCount> rows_{};
    QSlider* amountSlider_ = nullptr;
    QSpinBox* amountSpin_ = nullptr;
    int amountDrag_ = 0;
    QPushButton* harmonizeButton_ = nullptr;
    QPushButton* resetPredictedButton_ = nullptr;
    QPushButton* resetZeroButton_ = nullptr;
    QLabel* status_ = nullptr;
    QWidget* staleBox_ = nullptr;
    QPushButton* harmonizeAgain_ = nullptr;
    int nextInteraction_ = 1;
    std::optional<FilterParams> predicted_;
};

}  // namespace hz::ui
