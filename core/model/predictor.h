#pragma once
// Turns a composite and its mask into the six filter values. Loads the model once,
// runs under c10::InferenceMode. Thread-compatible: one predict() at a time per object.
#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

#include "core/model/model_file.h"
#include "core/model/predictor_options.h"
#include "core/params.h"
#include "core/photo/colour.h"

namespace hz {

// The network's input, built the way the predictor builds it (spec section 3): resized to
// inputSize x inputSize with bilinear interpolation and no antialiasing, aspect not kept.
struct NetworkInput {
    torch::Tensor image;  // [1, 3, S, S] float, RGB order, [0, 1], no normalisation
    torch::Tensor mask;   // [1, 1, S, S] float, [0, 1]
};
// image: CV_8UC3 or CV_16UC3 BGR; mask16: CV_16UC1 of the same size. Throws hz::Error.
// `toSrgb` (may be null: untagged or sRGB) converts the image's colours to sRGB, the space
// the network was trained in; it runs at full resolution before the resize, so the input
// is the one the photo converted to sRGB by an editor gives (converting only the resized
// samples moved a sensitive network's output by up to 0.1 at saturated edges).
NetworkInput prepareNetworkInput(const cv::Mat& image, const cv::Mat& mask16, int inputSize,
                                 const photo::SrgbConversion* toSrgb = nullptr);
// Raw network output [1, 6] (restore order) -> parameters clamped to [-1, 1].
FilterParams paramsFromNetworkOutput(const torch::Tensor& output);

class Predictor {
public:
    // Throws hz::Error naming the file for a missing/unreadable/mismatched model, or when
    // CUDA is asked for and not available.
    explicit Predictor(const PredictorOptions& options);
    ~Predictor();

    // image: CV_8UC3 or CV_16UC3 BGR; mask: CV_16UC1 same size. Values clamped to [-1, 1].
    // Throws hz::Error for an empty mask, a size mismatch or an unsupported pixel type.
    FilterParams predict(const cv::Mat& image, const cv::Mat& mask);
    // The same for an image whose numbers are in the colour space of `iccProfile` (empty:
    // sRGB, the same as above): the network sees them converted to sRGB.
    FilterParams predict(const cv::Mat& image, const cv::Mat& mask, const std::string& iccProfile);

    const ModelMetadata& metadata() const;
    const std::string& modelPath() const;
    std::string deviceName() const;   // "cpu" or "cuda:0"
    PredictionTiming lastTiming() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace hz
