#include "core/video/video_pipeline.h"

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/image_io.h"
#include "core/render/renderer.h"
#include "core/video/bounded_queue.h"

namespace hz {
namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string sizeText(cv::Size size) { return std::to_string(size.width) + "x" + std::to_string(size.height); }

std::string fpsText(double fps) {
    std::ostringstream out;
    out << fps;
    return out.str();
}

struct DecodedFrame {
    long long index = 0;
    cv::Mat image;   // the composite, CV_8UC3
    cv::Mat mask16;  // CV_16UC1
    bool maskEmpty = false;
};

struct PredictedFrame {
    DecodedFrame decoded;
    bool predicted = false;       // a fresh prediction was made on this frame
    bool havePrediction = false;  // false until the first frame with a foreground
    FilterParams held;            // the prediction in force
};

struct RenderedFrame {
    long long index = 0;
    cv::Mat image;
};

// The first error of any stage wins; the others are usually consequences of it.
class FirstError {
public:
    void set(std::exception_ptr error) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::move(error);
    }
    std::exception_ptr get() {
        std::lock_guard<std::mutex> lock(mutex_);
        return error_;
    }

private:
    std::mutex mutex_;
    std::exception_ptr error_;
};

}  // namespace

VideoPipeline::VideoPipeline(VideoJob job) : job_(std::move(job)) {
    const bool compositeMode = !job_.compositePath.empty();
    const bool composeMode = !job_.foregroundPath.empty() || !job_.backgroundPath.empty();
    if (compositeMode == composeMode)
        throw Error("give either a composite video, or a foreground and a background (not both)");
    if (composeMode && (job_.foregroundPath.empty() || job_.backgroundPath.empty()))
        throw Error(job_.foregroundPath.empty() ? "a background needs a foreground too"
                                                : "a foreground needs a background too");
    if (job_.maskPath.empty()) throw Error("a mask (video or still image) is required");
    if (job_.outputPath.empty()) throw Error("an output path is required");
    if (job_.predictEvery < 1) throw Error("predict-every must be at least 1");
    if (!(job_.amount >= 0 && job_.amount <= 1)) throw Error("amount must be in [0, 1]");
    smoothingWeight(job_.smoothingSeconds, 25.0);  // validates the time constant early

    inputPaths_ = {job_.compositePath, job_.foregroundPath, job_.backgroundPath, job_.maskPath};
    // The cheap output checks come first so that a typo costs no decoding.
    codec_ = chooseVideoCodec(job_.outputPath, job_.codec);
    checkVideoOutputPath(job_.outputPath, inputPaths_);

    using Content = FrameSource::Content;
    if (compositeMode) {
        composite_ = std::make_unique<FrameSource>(job_.compositePath, Content::Color, false);
    } else {
        foreground_ = std::make_unique<FrameSource>(job_.foregroundPath, Content::Color, true);
        background_ = std::make_unique<FrameSource>(job_.backgroundPath, Content::Color, true);
    }
    mask_ = std::make_unique<FrameSource>(job_.maskPath, Content::Mask, true);

    std::vector<FrameSource*> sources;
    for (FrameSource* source : {composite_.get(), foreground_.get(), background_.get(), mask_.get()})
        if (source) sources.push_back(source);

    size_ = sources.front()->size();
    for (const FrameSource* source : sources) {
        if (source->size() == size_) continue;
        std::string message = "frame sizes differ:";
        for (const FrameSource* s : sources) message += " " + s->path() + " is " + sizeText(s->size()) + ";";
        message.back() = ' ';
        throw Error(message + "(all inputs need one frame size)");
    }

    // Checked again by AtomicVideoWriter; here it costs no model load.
    if (size_.width % 2 != 0 || size_.height % 2 != 0)
        throw Error(job_.outputPath + ": the video is " + sizeText(size_) +
                    "; the video encoders only keep an even width and height (crop the input by one pixel)");

    std::vector<const FrameSource*> videos;
    for (const FrameSource* source : sources)
        if (!source->isStill()) videos.push_back(source);
    if (videos.empty())
        throw Error("no video among the inputs: at least one of the foreground, background or mask must be a video");
    if (mask_->isStill()) {
        cv::Mat mask;
        mask_->read(mask);
        if (maskIsEmpty(mask)) throw Error(job_.maskPath + ": mask is empty (no foreground to harmonize)");
    }

    fps_ = videos.front()->fps();
    if (fps_ <= 0) {
        fps_ = 25.0;
        warnings_.push_back(videos.front()->path() + " does not state its frame rate; writing 25 fps");
    }
    for (const FrameSource* video : videos) {
        if (video->fps() > 0 && std::abs(video->fps() - fps_) > 0.01)
            warnings_.push_back(video->path() + " is " + fpsText(video->fps()) + " fps but " +
                                videos.front()->path() + " is " + fpsText(fps_) +
                                " fps; frames are paired one to one and written at " + fpsText(fps_) + " fps");
    }
    long long shortest = -1, longest = -1;
    for (const FrameSource* video : videos) {
        const long long count = video->frameCountHint();
        if (count < 0) continue;
        shortest = shortest < 0 ? count : std::min(shortest, count);
        longest = std::max(longest, count);
    }
    if (videos.size() > 1 && shortest >= 0 && longest - shortest > 1)
        warnings_.push_back("the input videos differ in length (" + std::to_string(shortest) + " to " +
                            std::to_string(longest) + " frames); the output stops with the shortest");
    frameCountEstimate_ = shortest;
    if (job_.maxFrames > 0) frameCountEstimate_ = frameCountEstimate_ < 0 ? job_.maxFrames
                                                                         : std::min(frameCountEstimate_, job_.maxFrames);
}

VideoPipeline::~VideoPipeline() = default;

VideoResult VideoPipeline::run(const FramePredictor& predict, const std::atomic<bool>* cancel,
                               const VideoProgressFn& progress) {
    if (ran_) throw Error("internal error: a video pipeline runs once");
    ran_ = true;
    const auto start = Clock::now();
    VideoResult result;
    result.fps = fps_;
    result.size = size_;
    result.codec = codec_;
    result.warnings = warnings_;

    AtomicVideoWriter writer(job_.outputPath, codec_, fps_, size_, inputPaths_);
    const std::size_t depth = std::size_t(std::max(1, job_.queueDepth));
    BoundedQueue<DecodedFrame> decoded(depth);
    BoundedQueue<PredictedFrame> predicted(depth);
    BoundedQueue<RenderedFrame> rendered(depth);
    std::atomic<bool> failed{false};
    FirstError firstError;
    auto stopRequested = [&] { return failed.load() || (cancel && cancel->load()); };
    auto fail = [&](std::exception_ptr error) {
        firstError.set(std::move(error));
        failed = true;
        decoded.abort();
        predicted.abort();
        rendered.abort();
    };
    const long long limit = job_.maxFrames > 0 ? job_.maxFrames : LLONG_MAX;
    const bool maskIsStill = mask_->isStill();

    double decodeMs = 0;
    std::thread reader([&] {
        try {
            cv::Mat fg, bg;
            for (long long index = 0; index < limit && !stopRequested(); ++index) {
                const auto t0 = Clock::now();
                DecodedFrame frame;
                frame.index = index;
                if (composite_) {
                    if (!composite_->read(frame.image)) break;
                } else {
                    if (!foreground_->read(fg) || !background_->read(bg)) break;
                }
                if (!mask_->read(frame.mask16)) break;
                if (!composite_) composeVideoFrame(fg, bg, frame.mask16, frame.image);
                frame.maskEmpty = !maskIsStill && maskIsEmpty(frame.mask16);
                decodeMs += msSince(t0);
                if (!decoded.push(std::move(frame))) break;
            }
        } catch (...) {
            fail(std::current_exception());
        }
        decoded.close();
    });

    double encodeMs = 0;
    long long written = 0;
    std::thread encoder([&] {
        try {
            RenderedFrame frame;
            while (rendered.pop(frame)) {
                if (stopRequested()) break;
                const auto t0 = Clock::now();
                writer.write(frame.image);
                encodeMs += msSince(t0);
                ++written;
                if (progress) progress({written, frameCountEstimate_, std::chrono::duration<double>(Clock::now() - start).count()});
            }
        } catch (...) {
            fail(std::current_exception());
        }
    });

    // Prediction runs in its own thread, so the network works on frame i+1 while frame i
    // renders: on few cores this fills the gaps the reader and writer leave.
    double predictMs = 0;
    long long predictions = 0;
    std::thread predictor([&] {
        try {
            FilterParams held;
            bool havePrediction = false;
            long long lastPrediction = 0;
            DecodedFrame frame;
            while (!stopRequested() && decoded.pop(frame)) {
                PredictedFrame out;
                const bool due = !havePrediction || frame.index - lastPrediction >= job_.predictEvery;
                if (due && !frame.maskEmpty) {
                    const auto t0 = Clock::now();
                    held = predict(frame.image, frame.mask16).clamped();
                    predictMs += msSince(t0);
                    havePrediction = true;
                    lastPrediction = frame.index;
                    out.predicted = true;
                    ++predictions;
                }
                out.havePrediction = havePrediction;
                out.held = held;
                out.decoded = std::move(frame);
                if (!predicted.push(std::move(out))) break;
            }
        } catch (...) {
            fail(std::current_exception());
        }
        predicted.close();
    });

    try {
        ParamSmoother smoother(job_.smoothingSeconds, fps_);
        RenderOptions renderOptions;
        renderOptions.amount = job_.amount;
        renderOptions.cancel = cancel;
        renderOptions.threads = job_.renderThreads;
        PredictedFrame item;
        while (!stopRequested() && predicted.pop(item)) {
            const DecodedFrame& frame = item.decoded;
            const auto t0 = Clock::now();
            VideoFrameParams record;
            record.frame = frame.index;
            record.predicted = item.predicted;
            if (item.havePrediction) {
                record.raw = item.held;
                record.applied = smoother.update(item.held);
            }
            RenderedFrame out;
            out.index = frame.index;
            if (frame.maskEmpty || !item.havePrediction || record.applied.isIdentity()) {
                out.image = frame.image;  // nothing to change: the composite as it is
            } else if (!render(frame.image, frame.mask16, record.applied, out.image, renderOptions)) {
                break;  // cancelled
            }
            result.times.renderMs += msSince(t0);
            result.params.push_back(record);
            if (!rendered.push(std::move(out))) break;
        }
    } catch (...) {
        fail(std::current_exception());
    }
    if (stopRequested()) {
        decoded.abort();
        predicted.abort();
        rendered.abort();
    } else {
        rendered.close();
    }
    reader.join();
    predictor.join();
    encoder.join();
    result.times.predictMs = predictMs;
    result.predictions = predictions;

    result.times.decodeMs = decodeMs;
    result.times.encodeMs = encodeMs;
    result.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (const auto error = firstError.get()) {
        writer.discard();
        std::rethrow_exception(error);
    }
    if (cancel && cancel->load()) {
        writer.discard();
        result.cancelled = true;
        result.frames = written;
        return result;
    }
    result.frames = written;
    if (written == 0) throw Error(inputPaths_[composite_ ? 0 : 1] + ": no frames could be read");
    if (result.predictions == 0)
        throw Error(job_.maskPath + ": the mask is empty in every frame (no foreground to harmonize)");
    writer.commit();
    result.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

int videoPredictorThreads() { return std::max(1, int(std::thread::hardware_concurrency()) / 2); }

std::string videoParamsCsv(const std::vector<VideoFrameParams>& rows) {
    std::ostringstream out;
    out << "frame,predicted";
    for (const auto& spec : filterSpecs()) out << ",raw_" << spec.key;
    for (const auto& spec : filterSpecs()) out << ",smoothed_" << spec.key;
    out << "\n";
    char number[32];
    for (const auto& row : rows) {
        out << row.frame << "," << (row.predicted ? 1 : 0);
        for (const auto& spec : filterSpecs()) {
            std::snprintf(number, sizeof number, ",%.6f", row.raw.*(spec.field));
            out << number;
        }
        for (const auto& spec : filterSpecs()) {
            std::snprintf(number, sizeof number, ",%.6f", row.applied.*(spec.field));
            out << number;
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace hz
