#pragma once
// Test-time calibration, stored in the model file and chosen on an evaluation set made from
// TRAINING photos (`make-evalset --split train`), never on the validation split whose figures
// are reported:
// - output gain (ModelMetadata::outputGain): a regressor trained with squared errors shrinks
//   its answers toward 0 (under doubt, a smaller edit costs less), so the raw outputs are
//   scaled by a factor;
// - input size (ModelMetadata::inputSize): training crops 55-100% of a photo's short side
//   and resizes the crop, while the predictor squeezes the whole photo into the square, so
//   things look smaller to the network than in training; a larger input side than the
//   training size undoes that (the "FixRes" effect).
#include <string>
#include <vector>

#include "core/training/evaluator.h"

namespace hz::training {

struct CalibrationOptions {
    EvalOptions eval;             // dataset, model, size, views, threads (gain and input size set per candidate)
    std::vector<double> gains;    // candidates, each valid for isValidOutputGain
    std::vector<int> inputSizes;  // candidates, each valid for isValidInputSize; empty = the file's own
};

struct GainCandidate {
    double gain = 1.0;
    int inputSize = 0;      // the network's input side for this candidate
    double meanFmse = 0.0;  // mean over all composites of the dataset
};

struct CalibrationResult {
    std::vector<GainCandidate> candidates;  // every (input size, gain), sizes outermost, in the order given
    double bestGain = 1.0;                  // of the lowest mean fMSE (the first of equals)
    int bestInputSize = 0;
};

// Evaluates every (input size, gain) pair; `progress(done, total)` after each one. Throws hz::Error.
CalibrationResult calibrateOutputGain(const CalibrationOptions& options,
                                      const std::function<void(int, int)>& progress = {});

// A copy of the model file at `modelPath` with its output gain set to `gain` and, when
// `inputSize` > 0, its input size set to `inputSize`, written atomically to `outPath` (never
// over `modelPath`). A non-empty `version` / `notes` replaces the stored model version /
// training notes (a fine-tuned run's file only knows its last run). Throws hz::Error.
void writeCalibratedModel(const std::string& modelPath, double gain, int inputSize, const std::string& outPath,
                          const std::string& version = {}, const std::string& notes = {});

}  // namespace hz::training
