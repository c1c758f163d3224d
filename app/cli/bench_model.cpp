// Bench section "model": inference speed of the predictor (spec target: a 256x256 prediction
// well under the reference PyTorch implementation's 134 ms on 2 CPU cores), pre-processing
// from a 12 MP photo, and the whole single-image harmonize path at 12 MP.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

#include "app/cli/bench.h"
#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/predictor.h"
#include "core/paths.h"
#include "core/render/renderer.h"

namespace hz::cli {
namespace {

namespace fs = std::filesystem;

struct TempFolder {
    fs::path path;
    TempFolder() {
        path = fs::temp_directory_path() / ("hz-bench-model-" + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~TempFolder() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A photo-like test image: a smooth colour field with fine noise (JPEG has work to do).
cv::Mat syntheticPhoto(cv::Size size) {
    cv::Mat coarse(9, 12, CV_8UC3);
    cv::RNG rng(11);
    rng.fill(coarse, cv::RNG::UNIFORM, 30, 220);
    cv::Mat image;
    cv::resize(coarse, image, size, 0, 0, cv::INTER_CUBIC);
    cv::Mat noise(size, CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 5);
    cv::add(image, noise, image, cv::noArray(), CV_8U);
    return image;
}

cv::Mat ellipseMask(cv::Size size) {
    cv::Mat mask = cv::Mat::zeros(size, CV_16UC1);
    cv::ellipse(mask, {size.width / 2, size.height / 2}, {size.width / 5, size.height / 3}, 0, 0, 360,
                cv::Scalar(65535), cv::FILLED);
    return mask;
}

void benchModel(const BenchOptions& options, BenchReport& report) {
    TempFolder temp;
    const std::string shippedPath = defaultModelPath();
    std::error_code ec;
    const bool haveShipped = fs::exists(shippedPath, ec);
    // infer_256 is always measured at 256x256, whatever input size the shipped model runs at:
    // the shipped weights (or random ones) saved again with inputSize 256. Speed does not
    // depend on the values, but a fresh network in eval mode has vanishing activations;
    // re-estimated BatchNorm statistics give it a trained network's scale.
    const std::string modelPath = (temp.path / "bench256.hzm").string();
    {
        torch::manual_seed(1);
        HarmonizerNet net;
        StatisticsHead head{nullptr};  // the shipped file's statistics head, if any, is part of a prediction
        ModelMetadata metadata;
        if (haveShipped) {
            metadata = loadModel(shippedPath, net, &head);
            report.note("model_weights", "shipped model " + shippedPath + " (runs at its input size " +
                                             std::to_string(metadata.inputSize) + "), run at 256 for infer_256" +
                                             (head.is_empty() ? "" : ", statistics head included"));
        } else {
            recalibrateBatchNorm(net, torch::rand({2, 3, 256, 256}), (torch::rand({2, 1, 256, 256}) > 0.5).to(torch::kFloat));
            metadata.modelVersion = "bench-random-init";
            report.note("model_weights", "random-init model (no shipped model found); speed does not depend on the weights");
        }
        metadata.inputSize = 256;
        saveModel(modelPath, net, metadata, head.is_empty() ? nullptr : &head);
    }

    PredictorOptions predictorOptions;
    predictorOptions.modelPath = modelPath;
    predictorOptions.device = DeviceChoice::Cpu;
    predictorOptions.threads = 0;  // every core
    predictorOptions.extraInputSizes = std::vector<int>{};  // infer_256: one size, one view
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    Predictor predictor(predictorOptions);
    const int side = predictor.metadata().inputSize;

    // One prediction on an input already at the network's size: pre-process + forward + post-process.
    const cv::Mat small = syntheticPhoto({side, side});
    const cv::Mat smallMask = ellipseMask({side, side});
    PredictionTiming timing;
    report.add("infer_256_ms", medianMs(options.repetitions, [&] {
                   predictor.predict(small, smallMask);
                   timing = predictor.lastTiming();
               }));
    report.add("infer_256_forward_ms", timing.forwardMs);
    {
        // One thread: what a prediction costs when the other cores are busy (another process, the
        // video pipeline's decode/encode threads). OpenMP workers that spin on a core something
        // else is using can make the all-cores figure many times slower than this.
        PredictorOptions single = predictorOptions;
        single.threads = 1;
        Predictor singleThreaded(single);
        report.add("infer_256_1thread_ms", medianMs(options.repetitions, [&] { singleThreaded.predict(small, smallMask); }));
    }

    // Reference in the same run: the plain module (BatchNorm not folded, LibTorch's own conv dispatch).
    {
        torch::set_num_threads(cores);
        HarmonizerNet net;
        loadModel(modelPath, net);
        net->eval();
        c10::InferenceMode inference;
        const NetworkInput input = prepareNetworkInput(small, smallMask, side);
        report.add("infer_256_unfolded_forward_ms", medianMs(options.quick ? 1 : 3, [&] { net->forward(input.image, input.mask); }));
    }

    const cv::Size large = options.quick ? cv::Size(1000, 750) : cv::Size(4000, 3000);
    const std::string sizeText = std::to_string(large.width) + "x" + std::to_string(large.height);
    const cv::Mat photo = syntheticPhoto(large);
    const cv::Mat photoMask = ellipseMask(large);
    report.add("preprocess_12mp_ms", medianMs(options.repetitions, [&] { prepareNetworkInput(photo, photoMask, side); }));

    const std::string jpegIn = (temp.path / "photo.jpg").string();
    const std::string jpegOut = (temp.path / "harmonized.jpg").string();
    writeImageAtomic(jpegIn, photo);
    PredictorOptions userOptions = predictorOptions;
    if (haveShipped) userOptions.modelPath = shippedPath;
    userOptions.views = kStillImageViews;  // as harmonize and the editor predict,
    userOptions.extraInputSizes.reset();   // with the file's test-time scales
    Predictor userPredictor(userOptions);
    if (haveShipped) {
        const int userSide = userPredictor.metadata().inputSize;
        const cv::Mat userSmall = syntheticPhoto({userSide, userSide});
        const cv::Mat userMask = ellipseMask({userSide, userSide});
        PredictionTiming userTiming;
        report.add("infer_shipped_model_ms", medianMs(options.repetitions, [&] {
                       userPredictor.predict(userSmall, userMask);
                       userTiming = userPredictor.lastTiming();
                   }));
        // The last run's parts: the network's forward pass over the views, and what follows it
        // (averaging, and the statistics head where the file has one).
        report.add("infer_shipped_model_forward_ms", userTiming.forwardMs);
        report.add("infer_shipped_model_postprocess_ms", userTiming.postprocessMs);
    }
    report.add("harmonize_12mp_ms", medianMs(std::min(options.repetitions, 5), [&] {
                   const LoadedImage image = loadImage(jpegIn);
                   const FilterParams params = userPredictor.predict(image.pixels, photoMask);
                   cv::Mat result;
                   render(image.pixels, photoMask, params, result);
                   writeImageAtomic(jpegOut, result, {jpegIn});
               }));
    report.note("model_inputs", "infer_256: " + std::to_string(side) + "x" + std::to_string(side) +
                                    " 8-bit input, " + std::to_string(cores) +
                                    " threads; preprocess/harmonize: " + sizeText +
                                    " 8-bit (harmonize = JPEG decode + predict with the shipped model at its own size and " +
                                    std::to_string(kStillImageViews) +
                                    " test-time views, as infer_shipped_model_ms + render + JPEG q95 encode, mask in memory)");
}

BenchRegistrar registrar{{"model", benchModel}};

}  // namespace
}  // namespace hz::cli
