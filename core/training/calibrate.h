#pragma once
// Output-gain calibration: a regressor trained with squared errors shrinks its answers toward
// 0 (under doubt, a smaller edit costs less), so the shipped model's raw outputs are scaled by a
// factor stored in the model file (ModelMetadata::outputGain). The factor is chosen on an
// evaluation set made from TRAINING photos (`make-evalset --split train`), never on the
// validation split whose figures are reported.
#include <string>
#include <vector>

#include "core/training/evaluator.h"

namespace hz::training {

struct CalibrationOptions {
    EvalOptions eval;          // dataset, model, size, views, threads (outputGain is set per candidate)
    std::vector<double> gains;  // candidates, each valid for isValidOutputGain
};

struct GainCandidate {
    double gain = 1.0;
    double meanFmse = 0.0;  // mean over all composites of the dataset
};

struct CalibrationResult {
    std::vector<GainCandidate> candidates;  // in the order given
    double bestGain = 1.0;                  // the lowest mean fMSE (the first of equals)
};

// Evaluates every candidate; `progress(done, total)` after each one. Throws hz::Error.
CalibrationResult calibrateOutputGain(const CalibrationOptions& options,
                                      const std::function<void(int, int)>& progress = {});

// A copy of the model file at `modelPath` with its output gain set to `gain`, written
// atomically to `outPath` (never over `modelPath`). Throws hz::Error.
void writeModelWithOutputGain(const std::string& modelPath, double gain, const std::string& outPath);

}  // namespace hz::training
