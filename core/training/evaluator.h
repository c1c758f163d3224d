#pragma once
// The evaluator of spec section 7 on the iHarmony4 layout: MSE, PSNR and fMSE per image
// (0-255 scale) and averaged, for the unharmonized composite, our result and optionally
// the Lab baseline.
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/training/metrics.h"

namespace hz::training {

struct EvalOptions {
    std::string dataset;       // a subset folder or a folder of subsets
    std::string listFile;      // optional: composites to evaluate (else <Subset>_test.txt, else all)
    int size = 256;            // square evaluation size; 0 = full (native) resolution
    std::string modelPath;     // empty = the installed default model
    bool useModel = true;      // false: composite (and baseline) figures only
    bool labBaseline = false;
    double labStrength = 0.5;  // LabBaselineOptions::strength
    std::string saveDir;       // harmonized images under the composite's file name (lab/ for the baseline)
    int threads = 0;
    int views = 1;             // PredictorOptions::views
    std::optional<double> outputGain;  // PredictorOptions::outputGain
    std::optional<int> inputSize;      // PredictorOptions::inputSize
    std::optional<std::vector<int>> extraInputSizes;  // PredictorOptions::extraInputSizes
    int limit = 0;             // evaluate at most this many composites (0 = all)
    // Also the filters' ceiling: the six values fitted to each image against its ground
    // truth (oracle.h), started from zero and from the model's prediction.
    bool oracle = false;
};

struct EvalRow {
    std::string subset, composite;    // composite path as found
    ImageMetrics unharmonized, result, baseline, oracle;
    FilterParams predicted, oracleValues;
    // The perturbation a six-filter composite was made with (restore order), when its set
    // has a perturbations.csv (make-evalset writes one), and the values that undo it
    // (restoringArgsFor on the real photo and mask): the truth the predictions are held to.
    std::optional<std::array<double, kFilterCount>> perturbation, restoring;
};

struct MeanMetrics {
    double mse = 0, psnr = 0, fmse = 0;
    // Rows whose foreground this method made worse (fMSE above the composite's): a mean can
    // hide a model that helps the far-off composites and harms the nearly right ones.
    int madeWorse = 0;
};

struct EvalReport {
    EvalOptions options;
    std::string modelPath, modelVersion;
    std::vector<EvalRow> rows;
    double secondsPerImage = 0;
};

// Throws hz::Error for a missing dataset, unreadable files or mismatched sizes.
// `progress(done, total)` is called after each image when given.
EvalReport evaluate(const EvalOptions& options, const std::function<void(int, int)>& progress = {});

// How well each predicted filter value follows the true one (`restoring`) over the rows
// that have both: R^2 = 1 - sum (pred - true)^2 / sum (true - mean true)^2, per filter in
// restore order. A network that predicts one answer for everything scores <= 0. Empty when
// fewer than two rows have a perturbation. `values` picks what is held to the truth: the
// model's predictions, or (&EvalRow::oracleValues) the values that reproduce the real photo
// best, which says how far the image itself pins each filter down.
std::vector<double> filterR2(const std::vector<EvalRow>& rows, FilterParams EvalRow::*values = &EvalRow::predicted);

enum class Method { Composite, Result, Baseline, Oracle };
MeanMetrics meanOf(const std::vector<EvalRow>& rows, Method method);

// One JSON object: {"dataset", "size", "count", "model", "composite": {mse, psnr, fmse},
// "result": {...}, "baseline_lab": {...}, "subsets": {name: {"count", "composite", ...}}}.
std::string reportJson(const EvalReport& report);
// One row per image: subset, composite, mse/psnr/fmse per method, fg_pixels, predicted filters.
std::string reportCsv(const EvalReport& report);
// A readable table for the terminal.
std::string reportText(const EvalReport& report);

}  // namespace hz::training
