#pragma once
// Test-time scales (ModelMetadata::extraInputSizes): the network runs at its input size and at
// a few other sides, and the values are averaged with the views'. A network fine-tuned at
// several sizes (the shipped soup's ingredients were trained at 224 and 256) answers a little
// differently at each; the average is steadier than any one of them. Which sides to add is
// chosen here on sets that are not the reported ones, and not on training photos either: the
// network has partly memorised those at its training size, and a list that lowered fMSE on
// validation photos by 9-16% did nothing there (session 23). tools/model_workspace makes
// Tune_* sets for this: the validation photos with other perturbations than the Val_* sets.
#include <functional>
#include <string>
#include <vector>

#include "core/training/evaluator.h"

namespace hz::training {

struct ScaleChoiceOptions {
    EvalOptions eval;                             // model, size, views, threads (dataset and sizes set per run)
    std::vector<std::string> datasets;            // iHarmony4-layout sets, one per composite family
    std::vector<std::vector<int>> candidates;     // extra input sides; an empty list = the input size alone
};

struct ScaleCandidate {
    std::vector<int> extraInputSizes;
    std::vector<double> resultFmse;     // mean fMSE of our result, per dataset
    std::vector<double> compositeFmse;  // mean fMSE of the composite, per dataset
    // Mean over the datasets of result / composite fMSE: each family counts the same although
    // their composites' errors differ five-fold.
    double score = 0.0;
};

struct ScaleChoice {
    std::vector<ScaleCandidate> candidates;  // in the order given
    std::size_t best = 0;                    // index of the lowest score (the first of equals)
};

// Evaluates every candidate on every dataset; `progress(done, total)` after each evaluation.
// Throws hz::Error for no candidates or datasets, an invalid side, or what evaluate() throws.
ScaleChoice chooseExtraInputSizes(const ScaleChoiceOptions& options, const std::function<void(int, int)>& progress = {});

// A copy of the model file (its statistics head included: the network's values at its input
// size do not change) with `extraInputSizes` stored, written atomically to `outPath` (never
// over `modelPath`). A non-empty `version` replaces the stored model version. Throws hz::Error
// (saveModel refuses an invalid side).
void writeModelWithExtraInputSizes(const std::string& modelPath, const std::vector<int>& extraInputSizes,
                                   const std::string& outPath, const std::string& version = {});

// "224,288" ("none" for an empty list): how the CLI prints and reads a candidate.
std::string describeInputSizes(const std::vector<int>& sides);

}  // namespace hz::training
