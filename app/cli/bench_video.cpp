// Bench section "video": the whole `harmonizer-cli video` pipeline (decode, predict, render,
// encode, overlapped in threads) on a synthetic 1080p clip generated first in a temp folder.
// Compiled only when hz_video is linked (it defines HZ_HAVE_VIDEO).
#ifdef HZ_HAVE_VIDEO
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "app/cli/bench.h"
#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/predictor.h"
#include "core/paths.h"
#include "core/render/renderer.h"
#include "core/video/video_pipeline.h"

namespace hz::cli {
namespace {

namespace fs = std::filesystem;

// CPU time of the whole process (every thread), in milliseconds.
double processCpuMs() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

// Removes the temp folder however the section ends.
struct TempFolder {
    fs::path path;
    TempFolder() {
        path = fs::temp_directory_path() / ("hz-bench-video-" + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~TempFolder() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A clip with the texture and motion a codec has to work for: a smooth colour field with
// fine noise, panning a few pixels per frame, and a mask (an ellipse) moving with it.
void writeSyntheticClip(const std::string& compositePath, const std::string& maskPath, cv::Size size, int frames) {
    const int margin = 4 * frames;
    cv::Mat field(size.height + margin, size.width + margin, CV_8UC3);
    cv::Mat coarse(9, 16, CV_8UC3);
    cv::RNG rng(7);
    rng.fill(coarse, cv::RNG::UNIFORM, 30, 220);
    cv::resize(coarse, field, field.size(), 0, 0, cv::INTER_CUBIC);
    cv::Mat noise(field.size(), CV_8UC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    cv::add(field, noise, field, cv::noArray(), CV_8U);

    const VideoCodec codec = chooseVideoCodec(compositePath);
    AtomicVideoWriter composite(compositePath, codec, 25.0, size);
    AtomicVideoWriter mask(maskPath, codec, 25.0, size);
    for (int i = 0; i < frames; ++i) {
        composite.write(field(cv::Rect(4 * i, 2 * i, size.width, size.height)));
        cv::Mat m(size, CV_8UC3, cv::Scalar::all(0));
        cv::ellipse(m, {size.width / 2 + 3 * i, size.height / 2}, {size.width / 5, size.height / 3}, 0, 0, 360,
                    cv::Scalar::all(255), cv::FILLED);
        mask.write(m);
    }
    composite.commit();
    mask.commit();
}

void benchVideo(const BenchOptions& options, BenchReport& report) {
    const cv::Size size = options.quick ? cv::Size(320, 180) : cv::Size(1920, 1080);
    const int frames = options.quick ? 8 : 48;
    TempFolder temp;
    const std::string compositePath = (temp.path / "composite.mp4").string();
    const std::string maskPath = (temp.path / "mask.mp4").string();
    writeSyntheticClip(compositePath, maskPath, size, frames);

    std::string modelPath = defaultModelPath();
    std::error_code ec;
    if (fs::exists(modelPath, ec)) {
        report.note("video_model", "shipped model " + modelPath);
    } else {
        modelPath = (temp.path / "random.hzm").string();
        HarmonizerNet net;
        ModelMetadata metadata;
        metadata.modelVersion = "bench-random-init";
        saveModel(modelPath, net, metadata);
        report.note("video_model", "random-init model (no shipped model found); speed does not depend on the weights");
    }
    PredictorOptions predictorOptions;
    predictorOptions.modelPath = modelPath;
    predictorOptions.device = DeviceChoice::Cpu;
    predictorOptions.threads = videoPredictorThreads();
    Predictor predictor(predictorOptions);
    const FramePredictor predict = [&](const cv::Mat& image, const cv::Mat& mask) {
        return predictor.predict(image, mask);
    };

    // Each run is a whole clip (seconds at 1080p), so a few runs give a stable median.
    const int runs = options.quick ? 1 : std::clamp(options.repetitions, 1, 3);
    std::vector<VideoResult> results;
    const double cpuStart = processCpuMs();
    long long framesDone = 0;
    for (int run = 0; run < runs; ++run) {
        VideoJob job;
        job.compositePath = compositePath;
        job.maskPath = maskPath;
        job.outputPath = (temp.path / ("out" + std::to_string(run) + ".mp4")).string();
        VideoPipeline pipeline(job);
        results.push_back(pipeline.run(predict));
        framesDone += results.back().frames;
    }
    const double cpuPerFrame = (processCpuMs() - cpuStart) / double(std::max(1LL, framesDone));
    std::sort(results.begin(), results.end(),
              [](const VideoResult& a, const VideoResult& b) { return a.wallSeconds < b.wallSeconds; });
    const VideoResult& median = results[results.size() / 2];
    const double n = double(std::max(1LL, median.frames));
    report.add("video_1080p_fps", median.frames / std::max(1e-9, median.wallSeconds));
    // CPU time of all threads per frame: unlike the wall figures it hardly depends on what
    // else the machine runs; cores * 1000 / this bounds the fps on an idle machine.
    report.add("video_cpu_ms_per_frame", cpuPerFrame);
    // Inside the pipeline the stages run at once and slow each other down; these say how
    // busy each thread was per frame.
    report.add("video_pipeline_decode_ms", median.times.decodeMs / n);
    report.add("video_pipeline_predict_ms", median.times.predictMs / double(std::max(1LL, median.predictions)));
    report.add("video_pipeline_render_ms", median.times.renderMs / n);
    report.add("video_pipeline_encode_ms", median.times.encodeMs / n);

    // Where the time goes: each stage alone on the same clip, per frame.
    std::vector<cv::Mat> images, masks;
    const auto decodeStart = std::chrono::steady_clock::now();
    {
        FrameSource composite(compositePath, FrameSource::Content::Color, false);
        FrameSource mask(maskPath, FrameSource::Content::Mask, true);
        cv::Mat image, mask16;
        while (composite.read(image) && mask.read(mask16)) {
            images.push_back(image);
            masks.push_back(mask16);
        }
    }
    const double decodeMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - decodeStart).count() /
        double(std::max<std::size_t>(1, images.size()));
    const double predictMs = medianMs(options.repetitions, [&] { predict(images[0], masks[0]); });
    FilterParams params;
    params.temperature = 0.2;
    params.brightness = 0.1;
    params.contrast = 0.2;
    params.saturation = -0.2;
    params.highlight = 0.1;
    params.shadow = 0.15;
    cv::Mat rendered;
    const double renderMs = medianMs(options.repetitions, [&] { render(images[0], masks[0], params, rendered); });
    const auto encodeStart = std::chrono::steady_clock::now();
    {
        AtomicVideoWriter writer((temp.path / "encode.mp4").string(), chooseVideoCodec(compositePath), 25.0, size);
        for (const auto& image : images) writer.write(image);
        writer.commit();
    }
    const double encodeMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - encodeStart).count() /
        double(std::max<std::size_t>(1, images.size()));
    report.add("video_decode_ms", decodeMs);
    report.add("video_predict_ms", predictMs);
    report.add("video_render_ms", renderMs);
    report.add("video_encode_ms", encodeMs);
    report.add("video_serial_ms", decodeMs + predictMs + renderMs + encodeMs);
    report.note("video_clip", std::to_string(frames) + " frames " + std::to_string(size.width) + "x" +
                                  std::to_string(size.height) + ", mp4v composite + mp4v mask video -> mp4v. "
                                  "video_cpu_ms_per_frame: CPU time of all threads per frame in the pipeline. "
                                  "video_<stage>_ms: each stage alone, per frame (decode = composite + mask); "
                                  "video_serial_ms = their sum (no overlap); video_pipeline_<stage>_ms: busy time "
                                  "per frame of each stage's thread while they overlap and contend for the cores");
}

BenchRegistrar registrar{{"video", benchVideo}};

}  // namespace
}  // namespace hz::cli

#endif  // HZ_HAVE_VIDEO
