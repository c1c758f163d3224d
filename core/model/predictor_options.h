#pragma once
// The predictor's options, device choice and timing, without LibTorch: the editor passes them
// to the network through the on-demand inference library (core/inference) and must be able
// to parse --device without loading LibTorch. parseDeviceChoice lives in hz_base.
#include <optional>
#include <string>
#include <vector>

namespace hz {

enum class DeviceChoice { Auto, Cpu, Cuda };
// "auto" | "cpu" | "cuda"; throws hz::Error otherwise.
DeviceChoice parseDeviceChoice(const std::string& text);

struct PredictorOptions {
    std::string modelPath;           // empty = defaultModelPath(); if that is missing, an hz::Error
                                     // tells the user to pass --model FILE
    DeviceChoice device = DeviceChoice::Auto;
    int threads = 0;                 // 0 = every core
    // Test-time views: 1 = the input as is; 2 adds its mirror image; 4 adds the vertical
    // flips; 8 the transposes too (the 8 symmetries of the square the network was trained
    // with: flips and 90-degree rotations). The views run as one batch and their clamped
    // values are averaged, which evens out a prediction's dependence on orientation.
    int views = 1;
    // Replaces the model file's output gain (ModelMetadata::outputGain): for calibration runs.
    std::optional<double> outputGain;
    // Replaces the model file's input size (ModelMetadata::inputSize): for calibration runs.
    std::optional<int> inputSize;
    // Test-time scales: the network also runs at each of these input sides, with the same
    // views, and every run's clamped values join the average. Unset = the model file's own
    // list (ModelMetadata::extraInputSizes); an empty list = the input size alone (the fast
    // path: video frames, the single-view benchmark).
    std::optional<std::vector<int>> extraInputSizes;
};

// The views the product uses for a still image (CLI predict/harmonize/eval, the editor):
// measured on the validation sets, 8 views lowered fMSE by about 7% over 1.
inline constexpr int kStillImageViews = 8;
inline bool isValidViewCount(int views) { return views == 1 || views == 2 || views == 4 || views == 8; }

struct PredictionTiming {
    double preprocessMs = 0, forwardMs = 0, postprocessMs = 0;
};

}  // namespace hz
