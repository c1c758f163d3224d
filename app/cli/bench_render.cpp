// `bench --only render`: the full-resolution renderer against a memory-copy floor measured
// in the same run (image + mask read, image written, same thread count).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <ctime>
#include <thread>
#include <vector>


#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "app/cli/bench.h"
#include "core/render/render_internal.h"
#include "core/render/renderer.h"

namespace hz::cli {
namespace {

// Photo-like: smooth colour gradients (a tiny random image scaled up with cubic
// interpolation) plus sensor-like noise, so that neighbouring pixels differ as in a photo.
cv::Mat photoLike(int width, int height, int depth) {
    cv::RNG rng(12345);
    cv::Mat coarse(9, 12, CV_32FC3);
    rng.fill(coarse, cv::RNG::UNIFORM, 0.05, 0.95);
    cv::Mat smooth;
    cv::resize(coarse, smooth, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
    cv::Mat noise(height, width, CV_32FC3);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, 0.02);
    smooth += noise;
    cv::Mat image;
    smooth.convertTo(image, CV_MAKETYPE(depth, 3), depth == CV_16U ? 65535.0 : 255.0);
    return image;
}

// Feathered ellipse: 1 inside, 0 outside, a soft edge over the outer 30% of its radius.
cv::Mat featheredEllipse(int width, int height) {
    cv::Mat mask(height, width, CV_16UC1);
    for (int y = 0; y < height; ++y) {
        auto* row = mask.ptr<std::uint16_t>(y);
        const double dy = (y + 0.5 - height / 2.0) / (0.4 * height);
        for (int x = 0; x < width; ++x) {
            const double dx = (x + 0.5 - width / 2.0) / (0.4 * width);
            const double r = std::sqrt(dx * dx + dy * dy);
            row[x] = std::uint16_t(std::lround(65535.0 * std::clamp((1.0 - r) / 0.3, 0.0, 1.0)));
        }
    }
    return mask;
}

double processCpuMs() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

// Median CPU time of the whole process (all threads) per call: unlike wall time it hardly
// moves when other programs compete for the cores.
double medianCpuMs(int repetitions, const std::function<void()>& fn) {
    fn();
    std::vector<double> times;
    for (int i = 0; i < std::max(1, repetitions); ++i) {
        const double start = processCpuMs();
        fn();
        times.push_back(processCpuMs() - start);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// The memory traffic floor of a render: copy the image, read the mask, on `threads` stripes
// of the same thread pool the renderer uses.
std::function<void()> copyFloor(const cv::Mat& image, const cv::Mat& mask, cv::Mat& out, int threads) {
    out.create(image.size(), image.type());
    return [&image, &mask, &out, threads] {
        static volatile std::uint64_t sink = 0;
        std::vector<std::uint64_t> partial(std::size_t(threads), 0);
        const std::size_t imageBytes = image.total() * image.elemSize();
        const std::size_t maskWords = mask.total() * mask.elemSize() / 8;
        const auto* words = reinterpret_cast<const std::uint64_t*>(mask.data);
        cv::parallel_for_(cv::Range(0, threads), [&](const cv::Range& range) {
            for (int t = range.start; t < range.end; ++t) {
                const std::size_t a = imageBytes * std::size_t(t) / std::size_t(threads);
                const std::size_t b = imageBytes * std::size_t(t + 1) / std::size_t(threads);
                std::memcpy(out.data + a, image.data + a, b - a);
                std::uint64_t acc = 0;
                for (std::size_t i = maskWords * std::size_t(t) / std::size_t(threads);
                     i < maskWords * std::size_t(t + 1) / std::size_t(threads); ++i)
                    acc |= words[i];
                partial[std::size_t(t)] = acc;
            }
        }, threads);
        for (auto v : partial) sink = sink | v;
    };
}

FilterParams values(double t, double b, double c, double s, double h, double sh) {
    return FilterParams::fromArray({t, b, c, s, h, sh});
}

void benchRender(const BenchOptions& options, BenchReport& report) {
    const int threads = std::max(1, int(std::thread::hardware_concurrency()));
    const cv::Size large = options.quick ? cv::Size(400, 300) : cv::Size(4000, 3000);
    const cv::Size hd = options.quick ? cv::Size(192, 108) : cv::Size(1920, 1080);

    // The spec's test vector: all six filters active, typical magnitudes.
    const FilterParams typical = values(0.1, -0.2, 0.3, -0.4, 0.2, -0.1);
    // Positive saturation, clipping contrast and steeper curves: the double-precision kernel.
    const FilterParams strong = values(0.2, 0.3, 0.4, 0.5, -0.2, 0.15);
    const FilterParams noSaturation = values(0.1, -0.2, 0.3, 0.0, 0.2, -0.1);

    const cv::Mat image = photoLike(large.width, large.height, CV_8U);
    const cv::Mat mask = featheredEllipse(large.width, large.height);
    report.add("mask_coverage", double(cv::countNonZero(mask)) / double(mask.total()));

    cv::Mat out;
    auto timeRender = [&](const cv::Mat& img, const cv::Mat& m, const FilterParams& p,
                          std::optional<renderer::Kernel> kernel, const char* kernelNote) {
        renderer::RenderReport used;
        const double ms = medianMs(options.repetitions, [&] {
            renderer::renderWith(img, m, p, out, RenderOptions{}, kernel, &used);
        });
        report.note(kernelNote, renderer::kernelName(used.kernel));
        return ms;
    };

    cv::Mat copied;
    const auto copy = copyFloor(image, mask, copied, threads);
    const double copyMs = medianMs(options.repetitions, copy);
    const double renderMs = timeRender(image, mask, typical, std::nullopt, "render_12mp_kernel");
    report.add("render_12mp_ms", renderMs);
    report.add("copy_12mp_ms", copyMs);
    report.add("render_vs_copy", renderMs / copyMs);
    // The same in CPU time of all threads together, for busy machines.
    const double renderCpuMs = medianCpuMs(options.repetitions, [&] { render(image, mask, typical, out); });
    const double copyCpuMs = medianCpuMs(options.repetitions, copy);
    report.add("render_12mp_cpu_ms", renderCpuMs);
    report.add("copy_12mp_cpu_ms", copyCpuMs);
    report.add("render_vs_copy_cpu", renderCpuMs / copyCpuMs);
    report.add("render_12mp_strong_ms", timeRender(image, mask, strong, std::nullopt, "render_12mp_strong_kernel"));
    report.add("render_12mp_saturation0_ms",
               timeRender(image, mask, noSaturation, std::nullopt, "render_12mp_saturation0_kernel"));
    report.add("render_12mp_portable_ms",
               timeRender(image, mask, typical, renderer::Kernel::PortableDouble, "render_12mp_portable_kernel"));
    report.add("histograms_12mp_ms", medianMs(options.repetitions, [&] { (void)computeHistograms(image); }));
    {
        // The statistics part of render_12mp_ms on its own (render() runs it first).
        renderer::ImageStatistics stats;
        report.add("statistics_12mp_ms", medianMs(options.repetitions, [&] {
            renderer::statisticsOfImage(image, typical.clamped(), 0, nullptr, stats);
        }));
        report.note("statistics_12mp_route", stats.fused ? (stats.guessMissed ? "fused, guess missed" : "fused")
                                                          : "two passes");
    }
    {
        const ImageHistograms histograms = computeHistograms(image);
        RenderOptions withHistograms;
        withHistograms.histograms = &histograms;
        report.add("render_12mp_given_histograms_ms",
                   medianMs(options.repetitions, [&] { render(image, mask, typical, out, withHistograms); }));
    }

    const cv::Mat image16 = photoLike(large.width, large.height, CV_16U);
    report.add("render_12mp_16bit_ms", timeRender(image16, mask, typical, std::nullopt, "render_12mp_16bit_kernel"));

    const cv::Mat imageHd = photoLike(hd.width, hd.height, CV_8U);
    const cv::Mat maskHd = featheredEllipse(hd.width, hd.height);
    report.add("render_1080p_ms", timeRender(imageHd, maskHd, typical, std::nullopt, "render_1080p_kernel"));
    if (options.quick) report.note("render_sizes", "quick: 400x300 and 192x108 instead of 4000x3000 and 1920x1080");
}

BenchRegistrar registrar{{"render", benchRender}};

}  // namespace
}  // namespace hz::cli
