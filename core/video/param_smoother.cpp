#include "core/video/param_smoother.h"

#include <cmath>
#include <string>

#include "core/image_io.h"

namespace hz {

double defaultSmoothingSeconds() { return -1.0 / (25.0 * std::log(0.96)); }

double smoothingWeight(double timeConstantSeconds, double fps) {
    if (!std::isfinite(fps) || fps <= 0)
        throw Error("smoothing needs a positive frame rate, got " + std::to_string(fps));
    if (!std::isfinite(timeConstantSeconds) || timeConstantSeconds < 0)
        throw Error("smoothing time constant must be >= 0 seconds, got " + std::to_string(timeConstantSeconds));
    if (timeConstantSeconds == 0) return 0.0;
    return std::exp(-1.0 / (fps * timeConstantSeconds));
}

ParamSmoother::ParamSmoother(double timeConstantSeconds, double fps)
    : weight_(smoothingWeight(timeConstantSeconds, fps)) {}

FilterParams ParamSmoother::update(const FilterParams& target) {
    if (!initialised_) {
        current_ = target;
        initialised_ = true;
        return current_;
    }
    for (const auto& spec : filterSpecs())
        current_.*(spec.field) = weight_ * (current_.*(spec.field)) + (1.0 - weight_) * (target.*(spec.field));
    return current_;
}

void ParamSmoother::reset() {
    initialised_ = false;
    current_ = FilterParams{};
}

}  // namespace hz
