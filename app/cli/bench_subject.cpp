// Bench section "subject": Select Subject's speed (issue 17: the network at 320 px <= 80 ms
// and Select Subject on a 12 MP photo <= 400 ms end to end, on 2 cores), and its parts that
// need no network: the guided upsampling and Refine Edge at 12 MP.
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "app/cli/bench.h"
#include "core/subject/refine.h"
#include "core/subject/select.h"
#include "core/subject/subject_model.h"

namespace hz::cli {
namespace {

namespace fs = std::filesystem;

// A photo with a subject: a textured background and an ellipse of another colour, so that the
// guided filter and the graph cut see real edges.
cv::Mat subjectPhoto(cv::Size size) {
    cv::Mat coarse(9, 12, CV_8UC3);
    cv::RNG rng(17);
    rng.fill(coarse, cv::RNG::UNIFORM, 30, 160);
    cv::Mat image;
    cv::resize(coarse, image, size, 0, 0, cv::INTER_CUBIC);
    cv::ellipse(image, {size.width / 2, size.height / 2}, {size.width / 5, size.height / 3}, 0, 0, 360,
                cv::Scalar(60, 190, 230), cv::FILLED);
    cv::Mat noise(size, CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    cv::add(image, noise, image, cv::noArray(), CV_8U);
    return image;
}

// Without a shipped subject model: random weights (speed does not depend on them) with
// BatchNorm statistics taken from one batch of noise, so that eval mode runs at a trained
// network's scale; written to a temporary file and loaded as users' models are.
std::string randomSubjectModel(const fs::path& path) {
    torch::manual_seed(1);
    subject::SubjectNet net;
    subject::recalibrateSubjectBatchNorm(net, torch::rand({2, 3, 64, 64}));
    subject::SubjectModelInfo info;
    info.modelVersion = "bench-random-init";
    subject::saveSubjectModel(path.string(), net, info);
    return path.string();
}

void benchSubject(const BenchOptions& options, BenchReport& report) {
    const cv::Size large = options.quick ? cv::Size(1000, 750) : cv::Size(4000, 3000);
    const std::string sizeText = std::to_string(large.width) + "x" + std::to_string(large.height);
    const cv::Mat photo = subjectPhoto(large);

    // The network's output at its size, made without the network: the ellipse, blurred.
    cv::Mat square(320, 320, CV_32F, cv::Scalar(0));
    cv::ellipse(square, {160, 160}, {64, 107}, 0, 0, 360, cv::Scalar(1), cv::FILLED);
    cv::GaussianBlur(square, square, cv::Size(), 2.0);
    report.add("subject_upsample_12mp_ms",
               medianMs(options.repetitions, [&] { subject::upsampleMaskGuided16(square, photo); }));
    const cv::Mat mask = subject::upsampleMaskGuided16(square, photo);
    subject::RefineEdgeParams refine;
    refine.radius = 10;
    refine.shift = 4;
    refine.feather = 3;
    report.add("subject_refine_edge_12mp_ms",
               medianMs(std::min(options.repetitions, 5), [&] { subject::refineEdge(mask, photo, refine); }));

    std::string modelPath = subject::defaultSubjectModelPath();
    const fs::path temporary = fs::temp_directory_path() / ("hz-bench-subject-" + std::to_string(::getpid()) + ".hzm");
    std::error_code ec;
    if (!fs::exists(modelPath, ec)) {
        modelPath = randomSubjectModel(temporary);
        report.note("subject_model", "random-init subject model (none shipped); speed does not depend on the weights");
    }
    subject::SubjectPredictor predictor(modelPath, 0);
    fs::remove(temporary, ec);
    const int side = predictor.info().inputSize;
    const cv::Mat atInput = subjectPhoto({side, side});
    // The network alone, one view (the figure), then the batch of two that Select
    // Subject runs by default (the photo and its mirror).
    for (const bool mirrored : {false, true}) {
        predictor.setMirrorAverage(mirrored);
        std::vector<double> forward;
        medianMs(options.repetitions, [&] {
            predictor.predictSquare(atInput);
            forward.push_back(predictor.lastForwardMs());
        });
        std::sort(forward.begin(), forward.end());
        report.add(std::string("subject_forward_") + (mirrored ? "mirrored_" : "") + std::to_string(side) + "_ms",
                   forward[forward.size() / 2]);
    }
    report.add("select_subject_12mp_ms", medianMs(std::min(options.repetitions, 5), [&] { subject::selectSubject(predictor, photo); }));
    const cv::Rect box(large.width / 4, large.height / 8, large.width / 2, large.height * 3 / 4);
    report.add("select_in_box_12mp_ms",
               medianMs(std::min(options.repetitions, 5), [&] { subject::selectInBox(predictor, photo, box); }));
    report.note("subject_inputs", "network at " + std::to_string(side) + "x" + std::to_string(side) +
                                      " (Select Subject averages it with the mirrored photo); Select Subject / in box / upsample / Refine Edge (radius 10, shift 4, " +
                                      "feather 3) on a synthetic " + sizeText + " 8-bit photo in memory, every core");
}

BenchRegistrar registrar{{"subject", benchSubject}};

}  // namespace
}  // namespace hz::cli
