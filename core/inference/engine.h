#pragma once
// The editor's door to the networks, without LibTorch. harmonizer-studio links none of
// LibTorch: the implementation (engine_plugin.cpp, a thin adapter over hz::Predictor and
// hz::subject::selectSubject / selectInBox) is a loadable module that links it, and
// loadEngine() (engine_loader.h) opens that module the first time a network is asked for.
// Everything that crosses here is a plain C++ type of ours, OpenCV's or the standard
// library's; the module is built with the program from the same sources, so the C++ ABI
// matches, and kEngineAbi guards against a stale module from another build.
#include <opencv2/core.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "core/model/predictor_options.h"
#include "core/params.h"

namespace hz::inference {

// Bumped whenever a class below changes; the module refuses to make an engine for another.
inline constexpr int kEngineAbi = 1;

// hz::Predictor: one predict() at a time per object (the editor holds it under a mutex).
class Harmonizer {
public:
    virtual ~Harmonizer() = default;
    // image: CV_8UC3 or CV_16UC3 BGR; mask16: CV_16UC1 of the same size; iccProfile: the
    // image's profile (empty: sRGB). Throws hz::Error (caught as std::exception).
    virtual FilterParams predict(const cv::Mat& image, const cv::Mat& mask16, const std::string& iccProfile) = 0;
    virtual PredictionTiming lastTiming() const = 0;
    virtual std::string deviceName() const = 0;    // "cpu" or "cuda:0"
    virtual std::string modelVersion() const = 0;  // the model file's metadata
};

// hz::subject::SubjectPredictor with the pipelines of core/subject/select.h.
class SubjectSelector {
public:
    virtual ~SubjectSelector() = default;
    // As hz::subject::selectSubject / selectInBox: CV_16UC1 of the photo's size, empty when
    // `cancel` was set.
    virtual cv::Mat selectSubject(const cv::Mat& photoBgr, const std::atomic<bool>* cancel) const = 0;
    virtual cv::Mat selectInBox(const cv::Mat& photoBgr, const cv::Rect& box, const std::atomic<bool>* cancel) const = 0;
};

class Engine {
public:
    virtual ~Engine() = default;
    // Loads the model (hz::Predictor's constructor); throws hz::Error naming the file.
    virtual std::unique_ptr<Harmonizer> makeHarmonizer(const PredictorOptions& options) = 0;
    // modelPath empty: the shipped subject model; threads 0: every core.
    virtual std::unique_ptr<SubjectSelector> makeSubjectSelector(const std::string& modelPath, int threads) = 0;
    // A random-initialised harmonization model with every filter, for `--benchmark` when no
    // model is shipped (its timings do not depend on the weights).
    virtual void writeRandomModel(const std::string& path, const std::string& modelVersion) = 0;
};

}  // namespace hz::inference

// The one symbol the module exports: the engine for `abi`, or null for another ABI. The
// engine lives as long as the process (LibTorch is never unloaded).
extern "C" {
using HzCreateEngineFn = hz::inference::Engine* (*)(int abi);
}
#define HZ_CREATE_ENGINE_SYMBOL "hz_inference_create_engine"
