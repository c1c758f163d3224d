// `harmonizer-cli video`: harmonize a video frame by frame with temporally smoothed values.
// Compiled only when hz_video is linked (it defines HZ_HAVE_VIDEO; see core/video/CMakeLists.txt).
#ifdef HZ_HAVE_VIDEO
#include <csignal>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <atomic>
#include <chrono>
#include <mutex>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/predictor.h"
#include "core/video/video_pipeline.h"

namespace hz::cli {
namespace {

// Set from the signal handler; std::atomic<bool> is lock-free, so this is async-signal-safe.
std::atomic<bool> interrupted{false};

extern "C" void onInterrupt(int) { interrupted.store(true); }

// Routes SIGINT and SIGTERM to the flag for the lifetime of the object, then restores the
// previous handlers.
class InterruptGuard {
public:
    InterruptGuard() {
        interrupted = false;
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(SIGINT, &action, &previousInt_);
        sigaction(SIGTERM, &action, &previousTerm_);
    }
    ~InterruptGuard() {
        sigaction(SIGINT, &previousInt_, nullptr);
        sigaction(SIGTERM, &previousTerm_, nullptr);
    }

private:
    struct sigaction previousInt_ {}, previousTerm_ {};
};

std::string clockText(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const long long s = std::llround(seconds);
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    else std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
    return text;
}

// Frames done/total, speed and ETA on stderr: redrawn in place on a terminal (at most ~10
// times a second), otherwise one line after the first frame and then every ~2 seconds.
class ProgressPrinter {
public:
    explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}

    void update(const VideoProgress& p) {
        std::lock_guard<std::mutex> lock(mutex_);
        const double interval = terminal_ ? 0.1 : 2.0;
        if (printed_ && p.elapsedSeconds - lastPrint_ < interval) return;
        lastPrint_ = p.elapsedSeconds;
        printed_ = true;
        print(p);
    }

    void finish(const VideoProgress& p) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!printed_) return;
        if (p.framesDone != lastFrames_) print(p);
        if (terminal_) std::fputc('\n', stderr);
    }

private:
    void print(const VideoProgress& p) {
        const double fps = p.elapsedSeconds > 0 ? double(p.framesDone) / p.elapsedSeconds : 0;
        std::string line = "harmonizer-cli video: " + std::to_string(p.framesDone);
        if (p.framesTotal > 0) line += "/" + std::to_string(p.framesTotal);
        char rate[48];
        std::snprintf(rate, sizeof rate, " frames, %.1f fps", fps);
        line += rate;
        if (p.framesTotal > 0 && fps > 0)
            line += ", ETA " + clockText(double(std::max(0LL, p.framesTotal - p.framesDone)) / fps);
        if (terminal_) std::fprintf(stderr, "\r%-70s", line.c_str());
        else std::fprintf(stderr, "%s\n", line.c_str());
        std::fflush(stderr);
        lastFrames_ = p.framesDone;
    }

    bool terminal_;
    std::mutex mutex_;
    bool printed_ = false;
    double lastPrint_ = 0;
    long long lastFrames_ = -1;
};

void checkCsvOutput(const std::string& path, const std::vector<std::string>& inputs, const std::string& videoOutput) {
    namespace fs = std::filesystem;
    refuseToOverwriteInputs(path, inputs);
    refuseToOverwriteInputs(path, {videoOutput});
    const fs::path folder = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw Error(path + ": folder " + folder.string() + " does not exist");
}

int runVideo(const std::vector<std::string>& args) {
    std::string codecHelp;
    for (const auto& codec : videoCodecs()) codecHelp += "\n  " + codec.name + ": " + codec.description;
    std::ostringstream smoothingDefault;
    smoothingDefault.precision(3);
    smoothingDefault << defaultSmoothingSeconds();
    ArgParser parser(
        "video",
        "(--composite VIDEO | --foreground FG --background BG) --mask MASK -o OUT [options]",
        "Harmonizes a video frame by frame: predicts the six filter values, smooths them over time and\n"
        "renders them onto the foreground. The input is a composite video with a mask, or a foreground\n"
        "and a background composed as fg * m + bg * (1 - m). MASK, FG and BG may each be a video or one\n"
        "still image used for every frame; all must have one frame size, and the shortest video decides\n"
        "the length. OUT keeps the input's frame size and frame rate.\n\n"
        "Smoothing: a_t = w a_(t-1) + (1 - w) pred_t with w = exp(-1 / (fps * SECONDS)), the same decay\n"
        "per second at any frame rate; the default " + smoothingDefault.str() +
            " s gives the reference's w = 0.96 at 25 fps.\n"
        "With --predict-every N the network runs on every Nth frame and its values are held in between;\n"
        "the smoothing still steps every frame toward the held values.\n\n"
        "Output: .mp4 .m4v .mov .mkv or .avi, through OpenCV's FFmpeg backend. Audio is NOT copied (OpenCV\n"
        "writes video only): mux it back with another tool if needed. The file is written under a\n"
        "temporary name and renamed when complete; Ctrl+C stops, deletes it and exits with status 130.\n"
        "Codecs (--codec):" + codecHelp);
    parser.addOption("composite", "VIDEO", "composite video (the foreground already pasted in)");
    parser.addOption("foreground", "FG", "foreground video or image (instead of --composite)");
    parser.addOption("background", "BG", "background video or image (instead of --composite)");
    parser.addOption("mask", "MASK", "foreground mask: a video or one still image (8/16-bit, soft)");
    parser.addOption("output", "OUT", "output video (.mp4 .m4v .mov .mkv .avi)");
    // One view per frame: the moving average already evens out frame-to-frame jitter, and
    // eight views would cost eight forward passes per frame.
    parser.addPredictorOptions(/*withThreads=*/false, /*defaultViews=*/1);
    parser.addOption("smoothing", "SECONDS", "smoothing time constant in seconds, default " + smoothingDefault.str() +
                                                 " (0 = off)");
    parser.addOption("predict-every", "N", "run the network on every Nth frame and hold its values between, default 1");
    parser.addOption("codec", "NAME", "mp4v | h264 | mjpg | ffv1, default by extension (see above)");
    parser.addOption("amount", "A", "overall strength in [0, 1], default 1 (scales the mask)");
    parser.addOption("max-frames", "N", "stop after N frames, default: the whole video");
    parser.addOption("params-out", "FILE.csv", "write per frame: index, predicted (0/1), raw and smoothed values");
    if (!parser.parse(args)) return 0;

    VideoJob job;
    job.compositePath = parser.optional("composite").value_or("");
    job.foregroundPath = parser.optional("foreground").value_or("");
    job.backgroundPath = parser.optional("background").value_or("");
    if (job.compositePath.empty() && job.foregroundPath.empty() && job.backgroundPath.empty())
        throw UsageError("give --composite VIDEO, or --foreground FG and --background BG");
    if (!job.compositePath.empty() && (!job.foregroundPath.empty() || !job.backgroundPath.empty()))
        throw UsageError("--composite cannot be combined with --foreground/--background");
    if (job.compositePath.empty() && (job.foregroundPath.empty() || job.backgroundPath.empty()))
        throw UsageError(job.foregroundPath.empty() ? "--background needs --foreground" : "--foreground needs --background");
    job.maskPath = parser.value("mask");
    job.outputPath = parser.value("output");
    job.codec = parser.optional("codec").value_or("");
    job.smoothingSeconds = parser.number("smoothing", defaultSmoothingSeconds(), 0.0, 3600.0);
    job.predictEvery = parser.integer("predict-every", 1, 1, 1000000);
    job.amount = parser.number("amount", 1.0, 0.0, 1.0);
    job.maxFrames = parser.integer("max-frames", 0, 1, 2000000000);
    PredictorOptions predictorOptions = parser.predictorOptions(/*defaultViews=*/1);
    predictorOptions.threads = videoPredictorThreads();
    // A frame runs at the input size alone: the file's test-time scales would triple each
    // frame's forward pass, and the pipeline's smoothing already steadies the values.
    predictorOptions.extraInputSizes = std::vector<int>{};
    const auto paramsOut = parser.optional("params-out");

    // Signals are caught from here on, so an interrupt during the model load is honoured too.
    InterruptGuard interruptGuard;
    VideoPipeline pipeline(job);  // checks every input and the output before the model loads
    const std::vector<std::string> inputs = {job.compositePath, job.foregroundPath, job.backgroundPath, job.maskPath};
    if (paramsOut) checkCsvOutput(*paramsOut, inputs, job.outputPath);
    for (const auto& warning : pipeline.warnings()) std::fprintf(stderr, "harmonizer-cli video: warning: %s\n", warning.c_str());

    Predictor predictor(predictorOptions);
    if (interrupted) {
        std::fprintf(stderr, "harmonizer-cli video: interrupted; nothing written\n");
        return 130;
    }
    ProgressPrinter printer(stderrIsTerminal());
    VideoProgress last;
    std::mutex lastMutex;
    const VideoResult result = pipeline.run(
        [&](const cv::Mat& image, const cv::Mat& mask) { return predictor.predict(image, mask); }, &interrupted,
        [&](const VideoProgress& p) {
            {
                std::lock_guard<std::mutex> lock(lastMutex);
                last = p;
            }
            printer.update(p);
        });
    printer.finish(last);
    if (result.cancelled) {
        std::fprintf(stderr, "harmonizer-cli video: interrupted after %lld frames; nothing written to %s\n",
                     result.frames, job.outputPath.c_str());
        return 130;
    }
    if (paramsOut) {
        std::vector<std::string> protectedPaths = inputs;
        protectedPaths.push_back(job.outputPath);
        writeFileAtomic(*paramsOut, videoParamsCsv(result.params), protectedPaths);
    }
    const double n = double(std::max(1LL, result.frames));
    std::fprintf(stderr,
                 "harmonizer-cli video: wrote %s: %lld frames, %dx%d, %.3g fps, codec %s, no audio; %.1f frames/s "
                 "(decode %.1f ms/frame, predict %.1f ms each x %lld, render %.1f ms/frame, encode %.1f ms/frame)\n",
                 job.outputPath.c_str(), result.frames, result.size.width, result.size.height, result.fps,
                 result.codec.name.c_str(), n / std::max(1e-9, result.wallSeconds), result.times.decodeMs / n,
                 result.times.predictMs / double(std::max(1LL, result.predictions)), result.predictions, result.times.renderMs / n, result.times.encodeMs / n);
    return 0;
}

Registrar registrar{{"video", "harmonize a video (composite + mask, or fg + bg + mask), smoothed over time", runVideo}};

}  // namespace
}  // namespace hz::cli

#endif  // HZ_HAVE_VIDEO
