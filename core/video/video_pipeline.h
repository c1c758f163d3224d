#pragma once
// Harmonizing a video frame by frame (spec section 5), as a four-stage pipeline:
//   reader thread:    decode the inputs, compose fg * m + bg * (1 - m) when needed
//   predictor thread: predict (every Nth frame) at the network's input size
//   calling thread:   smooth, render at full resolution
//   writer thread:    encode
// joined by small bounded queues, so every stage overlaps with the others.
//
// Prediction and smoothing: a prediction is made on frame 0 and then every `predictEvery`
// frames; between predictions the last prediction is held. The smoother still steps once
// per frame toward the held prediction, so the applied values move smoothly even when
// predictions are sparse. Frames whose mask is empty are copied through unchanged and a
// prediction that falls on one waits for the next frame with a foreground.
//
// Inputs: a composite video with a mask, or foreground + background + mask. The mask, the
// background and the foreground may each be one still image (used for every frame) as
// long as at least one input is a video. All inputs must have one frame size; the
// shortest video decides the length. The output has the first video input's frame rate
// (composite, else foreground, background, mask) and the inputs' size. No audio.
#include <opencv2/core.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/video/param_smoother.h"
#include "core/video/video_io.h"

namespace hz {

struct VideoJob {
    std::string compositePath;                   // composite mode, or
    std::string foregroundPath, backgroundPath;  // compose mode
    std::string maskPath;
    std::string outputPath;
    std::string codec;                           // empty: the output extension's default
    double smoothingSeconds = defaultSmoothingSeconds();  // 0: off
    int predictEvery = 1;
    long long maxFrames = 0;                     // 0: until the shortest input ends
    double amount = 1.0;                         // overall strength, scales the mask when rendering
    int queueDepth = 3;                          // frames waiting between stages
    int renderThreads = 0;                       // 0: every core
};

// One row of the per-frame record (--params-out).
struct VideoFrameParams {
    long long frame = 0;
    bool predicted = false;   // a fresh prediction was made on this frame
    FilterParams raw;         // the prediction in force (held between predictions)
    FilterParams applied;     // after smoothing: what was rendered
};

struct VideoProgress {
    long long framesDone = 0;
    long long framesTotal = -1;  // estimate from the containers; -1 unknown
    double elapsedSeconds = 0;
};

// Wall time spent in each stage, summed over frames (stages run concurrently, so the sum
// of the stages can exceed the total).
struct VideoStageTimes {
    double decodeMs = 0;   // reading and decoding the inputs, composing
    double predictMs = 0;  // predictor calls (only on frames where one is made)
    double renderMs = 0;   // smoothing and the full-resolution render (every frame)
    double encodeMs = 0;   // encoding and writing
};

struct VideoResult {
    bool cancelled = false;
    long long frames = 0;
    long long predictions = 0;
    double fps = 0;
    cv::Size size;
    VideoCodec codec;
    double wallSeconds = 0;
    VideoStageTimes times;
    std::vector<VideoFrameParams> params;
    std::vector<std::string> warnings;  // e.g. inputs of different lengths
};

// Anything that turns a composite frame (CV_8UC3 BGR) and its mask (CV_16UC1) into the six
// values: the real hz::Predictor in the programs, a fake in tests. Called from the
// pipeline's predictor thread, one call at a time, never with an empty mask.
using FramePredictor = std::function<FilterParams(const cv::Mat& bgr, const cv::Mat& mask16)>;
using VideoProgressFn = std::function<void(const VideoProgress&)>;

class VideoPipeline {
public:
    // Opens and checks every input and the output's codec and folder (but creates nothing):
    // hz::Error naming the file for a missing, unreadable or frameless input, sizes that
    // disagree, an empty still mask, no video input, an output that would overwrite an
    // input, or an unsupported output extension or codec.
    explicit VideoPipeline(VideoJob job);
    ~VideoPipeline();

    cv::Size frameSize() const { return size_; }
    double fps() const { return fps_; }
    long long frameCountEstimate() const { return frameCountEstimate_; }  // -1 unknown
    const VideoCodec& codec() const { return codec_; }
    const std::vector<std::string>& warnings() const { return warnings_; }

    // Runs once. When `cancel` becomes true the run stops within a frame or two, deletes its
    // temporary file and returns with cancelled = true (nothing at the output path). Any
    // error also deletes the temporary file before it propagates. `progress` is called
    // from the writer thread after each frame is written.
    VideoResult run(const FramePredictor& predict, const std::atomic<bool>* cancel = nullptr,
                    const VideoProgressFn& progress = {});

private:
    VideoJob job_;
    std::vector<std::string> inputPaths_;
    std::unique_ptr<FrameSource> composite_, foreground_, background_, mask_;
    cv::Size size_;
    double fps_ = 0;
    long long frameCountEstimate_ = -1;
    VideoCodec codec_;
    std::vector<std::string> warnings_;
    bool ran_ = false;
};

// How many LibTorch threads the predictor should use inside the pipeline: half the cores,
// at least 1. LibTorch's OpenMP workers spin while they wait, so a team as large as the
// machine, next to the busy reader and writer threads, loses most of its time: measured on
// the 2-core dev machine, one prediction took 250-3500 ms with 2 threads and 50-85 ms with 1.
int videoPredictorThreads();

// One CSV line per frame: frame,predicted,raw_<key> x6,smoothed_<key> x6 (restore order).
std::string videoParamsCsv(const std::vector<VideoFrameParams>& rows);

}  // namespace hz
