#pragma once
// Temporal smoothing of the predicted filter values (spec section 5). The reference applies
//     a_t = w * a_(t-1) + (1 - w) * pred_t,   w = 0.96 at 25 fps,
// to every frame. A fixed w means a different decay per second at another frame rate, so
// we state the smoothing as a time constant tau in seconds and derive
//     w = exp(-1 / (fps * tau)),
// which makes the values decay by the same factor per second at any frame rate. The
// default tau is chosen so that w = 0.96 exactly at 25 fps: tau = -1 / (25 ln 0.96) ~ 0.98 s.
// tau = 0 turns smoothing off (w = 0: the applied values are the raw predictions).
#include "core/params.h"

namespace hz {

// The time constant that gives the reference's w = 0.96 at 25 fps.
double defaultSmoothingSeconds();

// w for a time constant (seconds) and frame rate (frames per second). tau <= 0 gives 0.
// Throws hz::Error for a frame rate that is not a positive finite number or a negative tau.
double smoothingWeight(double timeConstantSeconds, double fps);

// A pure exponential moving average over FilterParams. The first update initialises the
// state with its input (no ramp from zero), later updates blend toward their input.
class ParamSmoother {
public:
    ParamSmoother(double timeConstantSeconds, double fps);

    // Feeds the target for the next frame and returns the values to apply to it.
    FilterParams update(const FilterParams& target);
    void reset();

    double weight() const { return weight_; }
    bool initialised() const { return initialised_; }
    const FilterParams& current() const { return current_; }

private:
    double weight_;
    bool initialised_ = false;
    FilterParams current_;
};

}  // namespace hz
