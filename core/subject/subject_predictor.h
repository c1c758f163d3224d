#pragma once
// The subject network's predictor: loads models/subject.hzm once and turns a photo into a
// low-resolution soft foreground mask. Runs under c10::InferenceMode. Thread-compatible:
// one predictSquare() at a time per object (the editor runs it on its own worker thread).
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/paths.h"

namespace hz::subject {

struct SubjectModelInfo {
    int inputSize = 320;          // the square side the photo is resized to
    std::string modelVersion;     // e.g. "2026.12-subject-1"
    std::string trainingNotes;
    std::int64_t parameterCount = 0;
};

// <shareDir>/models/subject.hzm (the shipped subject model). Defined in core/paths, which has no
// LibTorch, so the editor can name it before the network is loaded.
using hz::defaultSubjectModelPath;

class SubjectPredictor {
public:
    // modelPath empty = defaultSubjectModelPath(). threads 0 = every core (the process-wide
    // LibTorch thread count is set, as the harmonization predictor does).
    // Throws hz::Error naming the file for a missing, damaged or mismatched model.
    explicit SubjectPredictor(const std::string& modelPath = {}, int threads = 0);
    ~SubjectPredictor();
    SubjectPredictor(const SubjectPredictor&) = delete;
    SubjectPredictor& operator=(const SubjectPredictor&) = delete;

    // Average the network's answer on the photo and on its mirror image (one batch of two).
    // Default on: a subject is a subject either way round, and the two answers disagree
    // mostly where the network is unsure (the model card has what it changes).
    void setMirrorAverage(bool on);
    bool mirrorAverage() const;

    const SubjectModelInfo& info() const;
    const std::string& modelPath() const;

    // photo: CV_8UC3 or CV_16UC3 BGR, any size. The photo is resized (aspect not kept, area
    // interpolation) to info().inputSize squared, converted to RGB for the network, and the
    // network's foreground probability is returned: CV_32FC1 in [0, 1], inputSize x inputSize
    // (the square the photo was squashed to; resize it back to the photo's aspect).
    // Throws hz::Error for an empty or unsupported image.
    cv::Mat predictSquare(const cv::Mat& photoBgr) const;
    // Milliseconds of the last predictSquare's network forward pass alone.
    double lastForwardMs() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace hz::subject
