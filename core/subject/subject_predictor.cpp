#include "core/subject/subject_predictor.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/image_io.h"
#include "core/paths.h"
#include "core/subject/subject_model.h"

namespace hz::subject {

struct SubjectPredictor::State {
    std::string path;
    SubjectModelInfo info;
    mutable SubjectNet net;  // forward() is not const in LibTorch
    int threads = 1;
    bool mirrorAverage = true;
    mutable double forwardMs = 0;
};

SubjectPredictor::SubjectPredictor(const std::string& modelPath, int threads) : state_(std::make_unique<State>()) {
    auto& s = *state_;
    s.path = modelPath.empty() ? defaultSubjectModelPath() : modelPath;
    s.net->eval();
    s.info = loadSubjectModel(s.path, s.net);
    s.net->eval();
    s.threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(s.threads);
}

SubjectPredictor::~SubjectPredictor() = default;

const SubjectModelInfo& SubjectPredictor::info() const { return state_->info; }
const std::string& SubjectPredictor::modelPath() const { return state_->path; }
double SubjectPredictor::lastForwardMs() const { return state_->forwardMs; }
void SubjectPredictor::setMirrorAverage(bool on) { state_->mirrorAverage = on; }
bool SubjectPredictor::mirrorAverage() const { return state_->mirrorAverage; }

cv::Mat SubjectPredictor::predictSquare(const cv::Mat& photoBgr) const {
    const auto& s = *state_;
    if (photoBgr.empty()) throw Error("Select Subject: the image is empty");
    if (photoBgr.type() != CV_8UC3 && photoBgr.type() != CV_16UC3)
        throw Error("Select Subject: expected an 8- or 16-bit colour image");
    const int side = s.info.inputSize;

    // Pre-process: BGR photo -> [1, 3, S, S] RGB float in [0, 1] (aspect not kept, as trained).
    // Area interpolation: a 12 MP photo shrinks ~40x, and bilinear sampling would alias.
    cv::Mat small;
    cv::resize(photoBgr, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
    cv::Mat rgb;
    cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(rgb, CV_32FC3, photoBgr.depth() == CV_16U ? 1.0 / 65535.0 : 1.0 / 255.0);

    c10::InferenceMode inference;
    if (torch::get_num_threads() != s.threads) torch::set_num_threads(s.threads);
    auto input = torch::from_blob(rgb.data, {1, side, side, 3}, torch::kFloat32).permute({0, 3, 1, 2});
    // With the mirror average: [2, 3, S, S], the photo and its left-right mirror.
    if (s.mirrorAverage) input = torch::cat({input, input.flip({3})}, 0);
    input = input.contiguous();

    // Forward: [V, 3, S, S] -> [V, 1, S, S] logits -> [1, 1, S, S] probability (mirror undone).
    const auto start = std::chrono::steady_clock::now();
    auto probability = torch::sigmoid(s.net->forward(input));
    s.forwardMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (s.mirrorAverage) probability = 0.5 * (probability.narrow(0, 0, 1) + probability.narrow(0, 1, 1).flip({3}));
    probability = probability.contiguous();

    // Post-process: [1, 1, S, S] -> CV_32FC1 S x S in [0, 1].
    return cv::Mat(side, side, CV_32FC1, probability.data_ptr<float>()).clone();
}

}  // namespace hz::subject
