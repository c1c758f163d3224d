// libhz_inference.so: the engine of engine.h over the existing predictors and pipelines. The
// processing stays in core/model and core/subject; this only adapts their classes to the
// interface the editor sees.
#include <memory>
#include <string>

#include "core/inference/engine.h"
#include "core/model/model_file.h"
#include "core/model/predictor.h"
#include "core/subject/select.h"
#include "core/subject/subject_predictor.h"

namespace hz::inference {

namespace {

class PredictorHarmonizer final : public Harmonizer {
public:
    explicit PredictorHarmonizer(const PredictorOptions& options) : predictor_(options) {}
    FilterParams predict(const cv::Mat& image, const cv::Mat& mask16, const std::string& iccProfile) override {
        return predictor_.predict(image, mask16, iccProfile);
    }
    PredictionTiming lastTiming() const override { return predictor_.lastTiming(); }
    std::string deviceName() const override { return predictor_.deviceName(); }
    std::string modelVersion() const override { return predictor_.metadata().modelVersion; }

private:
    Predictor predictor_;
};

class PredictorSubjectSelector final : public SubjectSelector {
public:
    PredictorSubjectSelector(const std::string& modelPath, int threads) : predictor_(modelPath, threads) {}
    cv::Mat selectSubject(const cv::Mat& photoBgr, const std::atomic<bool>* cancel) const override {
        return subject::selectSubject(predictor_, photoBgr, cancel);
    }
    cv::Mat selectInBox(const cv::Mat& photoBgr, const cv::Rect& box, const std::atomic<bool>* cancel) const override {
        return subject::selectInBox(predictor_, photoBgr, box, cancel);
    }

private:
    subject::SubjectPredictor predictor_;
};

class TorchEngine final : public Engine {
public:
    std::unique_ptr<Harmonizer> makeHarmonizer(const PredictorOptions& options) override {
        return std::make_unique<PredictorHarmonizer>(options);
    }
    std::unique_ptr<SubjectSelector> makeSubjectSelector(const std::string& modelPath, int threads) override {
        return std::make_unique<PredictorSubjectSelector>(modelPath, threads);
    }
    void writeRandomModel(const std::string& path, const std::string& modelVersion) override {
        HarmonizerNet net;
        ModelMetadata metadata;
        metadata.modelVersion = modelVersion;
        for (const auto& spec : filterSpecs()) metadata.filterOrder.push_back(spec.key);
        saveModel(path, net, metadata);
    }
};

}  // namespace

}  // namespace hz::inference

extern "C" __attribute__((visibility("default"))) hz::inference::Engine* hz_inference_create_engine(int abi) {
    if (abi != hz::inference::kEngineAbi) return nullptr;
    static hz::inference::TorchEngine engine;
    return &engine;
}
