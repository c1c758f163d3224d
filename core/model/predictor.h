#pragma once
// Turns a composite and its mask into the six filter values. Loads the model once,
// runs under c10::InferenceMode. Thread-compatible: one predict() at a time per object.
#include <opencv2/core.hpp>

#include <memory>
#include <string>

#include "core/model/model_file.h"
#include "core/params.h"

namespace hz {

enum class DeviceChoice { Auto, Cpu, Cuda };
// "auto" | "cpu" | "cuda"; throws hz::Error otherwise.
DeviceChoice parseDeviceChoice(const std::string& text);

struct PredictorOptions {
    std::string modelPath;           // empty = defaultModelPath()
    DeviceChoice device = DeviceChoice::Auto;
    int threads = 0;                 // 0 = every core
};

struct PredictionTiming {
    double preprocessMs = 0, forwardMs = 0, postprocessMs = 0;
};

class Predictor {
public:
    // Throws hz::Error naming the file for a missing/unreadable/mismatched model, or when
    // CUDA is asked for and not available.
    explicit Predictor(const PredictorOptions& options);
    ~Predictor();

    // image: CV_8UC3 or CV_16UC3 BGR; mask: CV_16UC1 same size. Values clamped to [-1, 1].
    FilterParams predict(const cv::Mat& image, const cv::Mat& mask);

    const ModelMetadata& metadata() const;
    std::string deviceName() const;   // "cpu" or "cuda:0"
    PredictionTiming lastTiming() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace hz
