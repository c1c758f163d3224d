#include "core/model/predictor.h"

#include <opencv2/imgproc.hpp>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/image_io.h"
#include "core/paths.h"

namespace hz {

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void checkInputs(const cv::Mat& image, const cv::Mat& mask16) {
    if (image.empty()) throw Error("the image is empty");
    if (image.type() != CV_8UC3 && image.type() != CV_16UC3)
        throw Error("the image must be 8- or 16-bit with 3 channels (BGR)");
    if (mask16.type() != CV_16UC1) throw Error("the mask must be 16-bit single-channel");
    if (mask16.size() != image.size())
        throw Error("the mask is " + std::to_string(mask16.cols) + "x" + std::to_string(mask16.rows) +
                    " but the image is " + std::to_string(image.cols) + "x" + std::to_string(image.rows));
}

}  // namespace

// Pre-processing. Resizing comes first, on the 8/16-bit data, so that a 12 MP composite costs
// only the 256x256 samples (INTER_LINEAR reads 2x2 neighbours per output pixel: bilinear,
// no antialiasing, the same sampling as the reference's bilinear interpolate). Only then
// convert to float and reorder OpenCV's interleaved BGR [H, W, 3] to the network's planar
// RGB [1, 3, S, S]. (A photo in another colour space is converted to sRGB before the resize,
// see predictor.h; untagged and sRGB photos skip that.)
NetworkInput prepareNetworkInput(const cv::Mat& image, const cv::Mat& mask16, int inputSize,
                                 const photo::SrgbConversion* toSrgb) {
    checkInputs(image, mask16);
    const cv::Size size(inputSize, inputSize);
    cv::Mat smallBgr, smallMask;
    cv::resize(toSrgb ? toSrgb->convertBgr(image) : image, smallBgr, size, 0, 0, cv::INTER_LINEAR);
    cv::resize(mask16, smallMask, size, 0, 0, cv::INTER_LINEAR);

    cv::Mat rgb;
    cv::cvtColor(smallBgr, rgb, cv::COLOR_BGR2RGB);
    cv::Mat rgbFloat, maskFloat;
    rgb.convertTo(rgbFloat, CV_32FC3, image.depth() == CV_16U ? 1.0 / 65535.0 : 1.0 / 255.0);
    smallMask.convertTo(maskFloat, CV_32FC1, 1.0 / 65535.0);

    NetworkInput input;
    // [S, S, 3] interleaved RGB -> [1, 3, S, S] planar; clone/contiguous copy out of the cv::Mat.
    input.image = torch::from_blob(rgbFloat.data, {inputSize, inputSize, 3}, torch::kFloat32)
                      .permute({2, 0, 1})
                      .contiguous()
                      .unsqueeze(0);
    input.mask = torch::from_blob(maskFloat.data, {1, 1, inputSize, inputSize}, torch::kFloat32).clone();
    return input;
}

// Post-processing: [1, 6] raw outputs in restore order -> FilterParams clamped to [-1, 1].
FilterParams paramsFromNetworkOutput(const torch::Tensor& output) {
    TORCH_CHECK(output.dim() == 2 && output.size(0) == 1 && output.size(1) == kFilterCount,
                "expected a [1, 6] network output, got ", output.sizes());
    const auto values = output.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    std::array<double, kFilterCount> array{};
    for (int i = 0; i < kFilterCount; ++i) {
        array[i] = values.data_ptr<double>()[i];
        // Clamping would pass NaN through; only broken weights produce it, so say so.
        if (!std::isfinite(array[i]))
            throw Error("the model produced a non-finite value for '" + std::string(filterSpecs()[i].key) +
                        "' (are the weights corrupt?)");
    }
    return FilterParams::fromArray(array).clamped();
}


struct Predictor::State {
    HarmonizerNet net;
    std::unique_ptr<FoldedHarmonizerNet> folded;
    StatisticsHead head{nullptr};  // empty when the file has none
    ModelMetadata metadata;
    std::string modelPath;
    torch::Device device{torch::kCPU};
    int threads = 1;
    int views = 1;
    double outputGain = 1.0;
    int inputSize = 128;
    std::vector<int> extraInputSizes;
    PredictionTiming timing;
    // The last profile's conversion: a batch or the editor predicts many times for one photo.
    std::string iccProfile;
    std::shared_ptr<const photo::SrgbConversion> toSrgb;
};

Predictor::Predictor(const PredictorOptions& options) : state_(std::make_unique<State>()) {
    auto& s = *state_;
    s.modelPath = options.modelPath.empty() ? defaultModelPath() : options.modelPath;
    std::error_code ec;
    if (options.modelPath.empty() && !std::filesystem::exists(s.modelPath, ec))
        throw Error("no model file given and the shipped model '" + s.modelPath +
                    "' is missing: pass a model file with --model FILE");

    bool useCuda = false;
    if (options.device == DeviceChoice::Cuda) {
        if (!torch::cuda::is_available())
            throw Error("CUDA was requested but is not available (no CUDA device, or this build of LibTorch has no CUDA "
                        "support); use --device cpu or auto");
        useCuda = true;
    } else if (options.device == DeviceChoice::Auto) {
        useCuda = torch::cuda::is_available();
    }
    s.device = useCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);

    if (!isValidViewCount(options.views))
        throw Error("views must be 1, 2, 4 or 8, got " + std::to_string(options.views));
    s.views = options.views;
    s.threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(s.threads);

    s.metadata = loadModel(s.modelPath, s.net, &s.head);
    s.outputGain = options.outputGain.value_or(s.metadata.outputGain);
    if (!isValidOutputGain(s.outputGain))
        throw Error("output gain must be a number in (0, 4], got " + std::to_string(s.outputGain));
    s.inputSize = options.inputSize.value_or(s.metadata.inputSize);
    s.extraInputSizes = options.extraInputSizes.value_or(s.metadata.extraInputSizes);
    std::vector<int> sides = s.extraInputSizes;
    sides.push_back(s.inputSize);
    checkInputSides(sides);
    s.net->eval();
    // Channels-last lets oneDNN skip its layout reorders on the CPU (measured ~25% faster).
    s.folded = std::make_unique<FoldedHarmonizerNet>(s.net, s.device, /*channelsLast=*/!useCuda);
}

Predictor::~Predictor() = default;

FilterParams Predictor::predict(const cv::Mat& image, const cv::Mat& mask) { return predict(image, mask, std::string()); }

FilterParams Predictor::predict(const cv::Mat& image, const cv::Mat& mask, const std::string& iccProfile) {
    auto& s = *state_;
    if (iccProfile != s.iccProfile) {
        s.toSrgb = photo::SrgbConversion::fromIcc(iccProfile);
        s.iccProfile = iccProfile;
    }
    checkInputs(image, mask);
    if (maskIsEmpty(mask)) throw Error("mask is empty: nothing to harmonize");
    // Another part of the program may have changed LibTorch's global thread count.
    if (torch::get_num_threads() != s.threads) torch::set_num_threads(s.threads);
    c10::InferenceMode inferenceMode;

    s.timing = {};
    // One run of the network over the views at one input side, from an input prepared since
    // `start`: each view's values as they would be applied (clamped), [V, 6] on the CPU.
    const auto viewValues = [&s](NetworkInput input, Clock::time_point start) {
        // On CUDA the views are made on the device: one upload of the input instead of V.
        // (A no-op on the CPU.)
        input.image = input.image.to(s.device);
        input.mask = input.mask.to(s.device);
        if (s.views > 1) {
            input.image = symmetricViews(input.image, s.views);  // [V, 3, S, S]
            input.mask = symmetricViews(input.mask, s.views);    // [V, 1, S, S]
        }
        s.timing.preprocessMs += millisecondsSince(start);
        start = Clock::now();
        auto output = s.folded->forward(input.image, input.mask);  // [V, 6]
        if (s.device.is_cuda()) torch::cuda::synchronize();
        s.timing.forwardMs += millisecondsSince(start);
        start = Clock::now();
        if (s.outputGain != 1.0) output = output * s.outputGain;
        output = output.to(torch::kCPU).clamp(-1.0, 1.0);
        s.timing.postprocessMs += millisecondsSince(start);
        return output;
    };

    auto start = Clock::now();
    NetworkInput input = prepareNetworkInput(image, mask, s.inputSize, s.toSrgb.get());
    // The head's statistics are measured on the network's own input (CPU, before the views),
    // after the forward pass (timed as post-processing).
    const torch::Tensor unviewedImage = input.image, unviewedMask = input.mask;
    std::vector<torch::Tensor> values{viewValues(std::move(input), start)};
    for (int side : s.extraInputSizes) {  // test-time scales: the same at other sides
        start = Clock::now();
        values.push_back(viewValues(prepareNetworkInput(image, mask, side, s.toSrgb.get()), start));
    }

    start = Clock::now();
    // Every view's and side's values, averaged: [V * sides, 6] -> [1, 6].
    auto output = torch::cat(values).mean(0, /*keepdim=*/true);
    // The head corrects the values as they would be applied (a mean of clamped values is in
    // range): [1, F] + [1, 6] -> [1, 6].
    if (!s.head.is_empty())
        output = s.head->forward(statisticsFeatures(unviewedImage, unviewedMask, s.head->featureSet()).unsqueeze(0), output);
    const FilterParams params = paramsFromNetworkOutput(output);
    s.timing.postprocessMs += millisecondsSince(start);
    return params;
}

const ModelMetadata& Predictor::metadata() const { return state_->metadata; }
const std::string& Predictor::modelPath() const { return state_->modelPath; }

std::string Predictor::deviceName() const { return state_->device.is_cuda() ? "cuda:0" : "cpu"; }

PredictionTiming Predictor::lastTiming() const { return state_->timing; }

}  // namespace hz
