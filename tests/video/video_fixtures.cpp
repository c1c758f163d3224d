#include "tests/video/video_fixtures.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <stdexcept>

#include "core/model/model_file.h"
#include "core/video/video_io.h"

namespace hz::test {

cv::Mat colourFrame(cv::Size size, int index, int seed) {
    cv::Mat frame(size, CV_8UC3);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x)
            frame.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(40 + 150 * x / size.width + 7 * seed),
                                                  cv::saturate_cast<uchar>(60 + 120 * y / size.height + 5 * index),
                                                  cv::saturate_cast<uchar>(200 - 100 * x / size.width - 3 * seed));
    const int side = std::max(4, size.height / 3);
    const int x0 = (3 * index + 11 * seed) % std::max(1, size.width - side);
    cv::rectangle(frame, cv::Rect(x0, size.height / 3, side, side), cv::Scalar(30 + 20 * seed, 220, 90), cv::FILLED);
    return frame;
}

cv::Mat maskFrame(cv::Size size, int index) {
    cv::Mat mask(size, CV_8UC1, cv::Scalar(0));
    cv::ellipse(mask, {size.width / 2 + (index % 5), size.height / 2}, {size.width / 4, size.height / 3}, 0, 0, 360,
                cv::Scalar(255), cv::FILLED);
    cv::GaussianBlur(mask, mask, {5, 5}, 0);
    cv::Mat bgr;
    cv::cvtColor(mask, bgr, cv::COLOR_GRAY2BGR);
    return bgr;
}

cv::Mat noisyFrame(cv::Size size, int index, double sigma) {
    cv::Mat frame = colourFrame(size, 0, 1);
    cv::Mat noise(size, CV_16SC3);
    cv::RNG rng(1000 + index);
    rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
    cv::Mat out;
    cv::add(frame, noise, out, cv::noArray(), CV_8UC3);
    return out;
}

void writeClip(const std::string& path, ClipKind kind, cv::Size size, int frames, double fps) {
    AtomicVideoWriter writer(path, chooseVideoCodec(path), fps, size);
    for (int i = 0; i < frames; ++i) {
        switch (kind) {
            case ClipKind::Colour: writer.write(colourFrame(size, i)); break;
            case ClipKind::Mask: writer.write(maskFrame(size, i)); break;
            case ClipKind::Noisy: writer.write(noisyFrame(size, i, 6.0)); break;
        }
    }
    writer.commit();
}

void writeStillMask(const std::string& path, cv::Size size) {
    cv::Mat bgr = maskFrame(size, 0), grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    if (!cv::imwrite(path, grey)) throw std::runtime_error(path + ": cannot write the test mask");
}

void writeRandomModel(const std::string& path) {
    torch::manual_seed(1234);
    HarmonizerNet net;
    // Straight from initialisation the BatchNorm statistics (mean 0, variance 1) do not fit
    // the activations, which shrink layer by layer: the outputs are ~1e-3, set by the biases,
    // and hardly depend on the image. Calibrating the statistics on one random batch and
    // scaling the output layers gives values of a trained model's size (~0.1-0.5) that react
    // to the picture (and to noise), which is what the smoothing tests need.
    auto setMomentum = [&](double momentum) {
        for (const auto& module : net->modules(false))
            if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(module.get())) bn->options.momentum(momentum);
    };
    {
        torch::NoGradGuard noGrad;
        setMomentum(1.0);  // running statistics := this batch's
        net->train();
        net->forward(torch::rand({8, 3, 128, 128}), (torch::rand({8, 1, 128, 128}) > 0.5).to(torch::kFloat));
        setMomentum(0.01);
        net->eval();
        for (auto& layer : net->outputs) {
            layer->weight.mul_(300.0);
            layer->bias.zero_();
        }
    }
    ModelMetadata metadata;
    metadata.modelVersion = "test-random-init";
    metadata.trainingNotes = "random weights, BatchNorm calibrated on one random batch, outputs scaled; for tests only";
    saveModel(path, net, metadata);
}

}  // namespace hz::test
