// render(): validation, statistics, the kernel plan, and the row bands run on all cores.
// The maths lives in render_plan.cpp, the pixel loops in kernels_*.cpp.
#include "core/render/renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <thread>

#include <opencv2/core/utility.hpp>

#include "core/image_io.h"
#include "core/render/render_internal.h"
#include "core/render/render_kernels.h"

namespace hz {
namespace {

using renderer::BasicMoments;
using renderer::ClampMoments;
using renderer::Kernel;

// About this many pixels per band: small enough for load balance and a prompt cancel,
// large enough that the per-band overhead vanishes.
constexpr int kBandPixels = 32768;

int resolveThreads(int requested) {
    if (requested > 0) return requested;
    return std::max(1, int(std::thread::hardware_concurrency()));
}

bool cancelled(const std::atomic<bool>* cancel) {
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

struct Bands {
    int rows = 0, rowsPerBand = 1, count = 0;
    Bands(int rowCount, int cols) : rows(rowCount) {
        rowsPerBand = std::max(1, kBandPixels / std::max(1, cols));
        count = (rows + rowsPerBand - 1) / rowsPerBand;
    }
    int begin(int band) const { return band * rowsPerBand; }
    int end(int band) const { return std::min(rows, (band + 1) * rowsPerBand); }
};

// Runs fn(worker, band) for every band on up to `threads` threads, polling `cancel` before
// each band; returns false when cancelled. The workers are stripes of cv::parallel_for_
// (OpenCV's persistent pool: no thread start per call), each pulling bands from a shared
// counter, so a slow or descheduled thread holds up at most one band.
template <typename Fn>
bool forEachBand(int bandCount, int threads, const std::atomic<bool>* cancel, Fn&& fn) {
    std::atomic<int> next{0};
    std::atomic<bool> stopped{false};
    auto worker = [&](int workerIndex) {
        for (;;) {
            if (cancelled(cancel)) {
                stopped = true;
                return;
            }
            const int band = next.fetch_add(1);
            if (band >= bandCount) return;
            fn(workerIndex, band);
        }
    };
    const int workers = std::max(1, std::min(threads, bandCount));
    if (workers == 1) {
        worker(0);
    } else {
        cv::parallel_for_(cv::Range(0, workers), [&](const cv::Range& range) {
            for (int w = range.start; w < range.end; ++w) worker(w);
        }, workers);
    }
    return !stopped;
}

int workerCount(int threads, int bandCount) { return std::max(1, std::min(threads, bandCount)); }

std::string typeName(int type) {
    return std::string(cv::typeToString(type));
}

void checkImage(const cv::Mat& image, const char* what) {
    if (image.empty()) throw Error(std::string(what) + ": the image is empty");
    if (image.type() != CV_8UC3 && image.type() != CV_16UC3)
        throw Error(std::string(what) + ": the image must be 8- or 16-bit BGR (CV_8UC3 or CV_16UC3), got " +
                    typeName(image.type()));
}

void checkHistograms(const ImageHistograms& h) {
    std::size_t bins = 0;
    if (h.depth == CV_8U) bins = 256;
    else if (h.depth == CV_16U) bins = 65536;
    else throw Error("render: histograms must be of an 8- or 16-bit image");
    if (h.pixelCount == 0) throw Error("render: histograms of an empty image");
    for (const auto& channel : h.bgr) {
        if (channel.size() != bins)
            throw Error("render: histograms must have " + std::to_string(bins) + " bins per channel");
        std::uint64_t total = 0;
        for (auto count : channel) total += count;
        if (total != h.pixelCount) throw Error("render: histogram counts do not add up to the pixel count");
    }
}

template <typename Pixel>
void histogramRow(const Pixel* row, int count, std::uint64_t* bins, std::size_t binCount) {
    // Consecutive pixels go to different copies so increments of equal values do not wait
    // on each other (8-bit only; 16-bit values rarely repeat).
    std::uint64_t* b = bins;
    std::uint64_t* g = bins + binCount;
    std::uint64_t* r = bins + 2 * binCount;
    if (binCount == 256) {
        int i = 0;
        for (; i + 2 <= count; i += 2) {
            ++b[row[3 * i]];
            ++g[row[3 * i + 1]];
            ++r[row[3 * i + 2]];
            ++b[768 + row[3 * i + 3]];
            ++g[768 + row[3 * i + 4]];
            ++r[768 + row[3 * i + 5]];
        }
        for (; i < count; ++i) {
            ++b[row[3 * i]];
            ++g[row[3 * i + 1]];
            ++r[row[3 * i + 2]];
        }
        return;
    }
    for (int i = 0; i < count; ++i) {
        ++b[row[3 * i]];
        ++g[row[3 * i + 1]];
        ++r[row[3 * i + 2]];
    }
}

// Statistics straight from the image. Rows are cut into segments of at most this many
// pixels; the first pass keeps each segment's sums and maxima, so the second pass (only
// when Contrast's mean needs sums of clipped values) revisits just the segments holding a
// value above a clip point: usually the few bright parts of the photo.
constexpr int kSegmentPixels = 2048;

struct SegmentMoments {
    std::array<std::uint64_t, 3> sum{};
    std::array<std::uint32_t, 3> max{};
};

struct Segments {
    int perRow = 1;
    int width = 0;
    std::vector<SegmentMoments> moments;  // row-major: row * perRow + segment
    int begin(int segment) const { return segment * kSegmentPixels; }
    int end(int segment) const { return std::min(width, (segment + 1) * kSegmentPixels); }
};

bool basicMomentsOfImage(const cv::Mat& image, int threads, const std::atomic<bool>* cancel,
                         BasicMoments& moments, Segments& segments) {
    const bool sixteen = image.depth() == CV_16U;
    const bool avx2 = renderer::cpuHasAvx2();
    const auto rows8 = avx2 ? renderer::avx2BasicMoments8 : renderer::accumulateBasicMoments8;
    const auto rows16 = avx2 ? renderer::avx2BasicMoments16 : renderer::accumulateBasicMoments16;
    segments.width = image.cols;
    segments.perRow = (image.cols + kSegmentPixels - 1) / kSegmentPixels;
    segments.moments.assign(std::size_t(image.rows) * std::size_t(segments.perRow), SegmentMoments{});
    const Bands bands(image.rows, image.cols);
    std::vector<BasicMoments> partial(std::size_t(workerCount(threads, bands.count)));
    const bool done = forEachBand(bands.count, threads, cancel, [&](int worker, int band) {
        auto& m = partial[std::size_t(worker)];
        for (int y = bands.begin(band); y < bands.end(band); ++y)
            for (int s = 0; s < segments.perRow; ++s) {
                BasicMoments local;
                const int x0 = segments.begin(s), n = segments.end(s) - x0;
                if (sixteen) rows16(image.ptr<std::uint16_t>(y) + 3 * x0, n, local);
                else rows8(image.ptr<std::uint8_t>(y) + 3 * x0, n, local);
                auto& segment = segments.moments[std::size_t(y) * std::size_t(segments.perRow) + std::size_t(s)];
                segment.sum = local.sum;
                segment.max = local.max;
                for (int c = 0; c < 3; ++c) {
                    m.sum[c] += local.sum[c];
                    m.max[c] = std::max(m.max[c], local.max[c]);
                }
            }
    });
    moments = BasicMoments{};
    moments.maxCode = sixteen ? 65535 : 255;
    moments.pixelCount = std::uint64_t(image.rows) * std::uint64_t(image.cols);
    for (const auto& m : partial)
        for (int c = 0; c < 3; ++c) {
            moments.sum[c] += m.sum[c];
            moments.max[c] = std::max(moments.max[c], m.max[c]);
        }
    return done;
}

// `segments`: the first pass's per-segment moments, or null when that pass kept none
// (then every segment is read).
bool clampMomentsOfImage(const cv::Mat& image, const Segments* known, int threads,
                         const std::atomic<bool>* cancel, ClampMoments& clamp) {
    Segments whole;
    whole.width = image.cols;
    whole.perRow = (image.cols + kSegmentPixels - 1) / kSegmentPixels;
    const Segments& segments = known ? *known : whole;
    const bool sixteen = image.depth() == CV_16U;
    const bool avx2 = renderer::cpuHasAvx2();
    const auto rows8 = avx2 ? renderer::avx2ClampMoments8 : renderer::accumulateClampMoments8;
    const auto rows16 = avx2 ? renderer::avx2ClampMoments16 : renderer::accumulateClampMoments16;
    const Bands bands(image.rows, image.cols);
    std::vector<ClampMoments> partial(std::size_t(workerCount(threads, bands.count)));
    for (auto& p : partial) p.threshold = clamp.threshold;
    const bool done = forEachBand(bands.count, threads, cancel, [&](int worker, int band) {
        auto& m = partial[std::size_t(worker)];
        for (int y = bands.begin(band); y < bands.end(band); ++y)
            for (int s = 0; s < segments.perRow; ++s) {
                if (known) {
                    const auto& segment =
                        segments.moments[std::size_t(y) * std::size_t(segments.perRow) + std::size_t(s)];
                    bool clips = false;
                    for (int c = 0; c < 3; ++c) clips = clips || segment.max[c] > clamp.threshold[c];
                    if (!clips) {
                        // min(v, K) = v for every value here, and none is above K.
                        for (int c = 0; c < 3; ++c) m.sumOfMin[c] += segment.sum[c];
                        continue;
                    }
                }
                const int x0 = segments.begin(s), n = segments.end(s) - x0;
                if (sixteen) rows16(image.ptr<std::uint16_t>(y) + 3 * x0, n, m);
                else rows8(image.ptr<std::uint8_t>(y) + 3 * x0, n, m);
            }
    });
    for (const auto& m : partial)
        for (int c = 0; c < 3; ++c) {
            clamp.sumOfMin[c] += m.sumOfMin[c];
            clamp.countAbove[c] += m.countAbove[c];
        }
    return done;
}

// Clip thresholds from the channel means of about 48 evenly spaced rows: what the fused
// pass sums at (every 16th row cost 0.2 ms of a 1 ms pass at 12 MP). Returns false when
// no channel is expected to clip (then the two-pass route is cheaper).
bool guessClampThresholds(const cv::Mat& image, const FilterParams& params, ClampMoments& guess) {
    BasicMoments sample;
    sample.maxCode = 255;
    const int stride = std::max(1, image.rows / 48), first = stride / 2;
    int rows = 0;
    for (int y = first; y < image.rows; y += stride, ++rows)
        renderer::avx2BasicMoments8(image.ptr<std::uint8_t>(y), image.cols, sample);
    sample.pixelCount = std::uint64_t(rows) * std::uint64_t(image.cols);
    sample.max = {255, 255, 255};  // assume every channel reaches the top
    return renderer::needsClampMoments(params, renderer::toneConstants(params, sample), sample, guess);
}

// One AVX-512 pass for sums, maxima and clip sums at `guess`'s thresholds.
bool fusedMomentsOfImage(const cv::Mat& image, const ClampMoments& guess, int threads,
                         const std::atomic<bool>* cancel, BasicMoments& moments, ClampMoments& clamp) {
    const Bands bands(image.rows, image.cols);
    const int workers = workerCount(threads, bands.count);
    std::vector<BasicMoments> basicPartial(static_cast<std::size_t>(workers));
    std::vector<ClampMoments> clampPartial(static_cast<std::size_t>(workers));
    for (auto& c : clampPartial) c.threshold = guess.threshold;
    const bool continuous = image.isContinuous();
    const bool done = forEachBand(bands.count, threads, cancel, [&](int worker, int band) {
        auto& b = basicPartial[std::size_t(worker)];
        auto& c = clampPartial[std::size_t(worker)];
        if (continuous) {
            // The band's rows are one run of pixels: fewer, longer calls.
            renderer::avx512FusedMoments8(image.ptr<std::uint8_t>(bands.begin(band)),
                                          (bands.end(band) - bands.begin(band)) * image.cols, b, c);
            return;
        }
        for (int y = bands.begin(band); y < bands.end(band); ++y)
            renderer::avx512FusedMoments8(image.ptr<std::uint8_t>(y), image.cols, b, c);
    });
    moments = BasicMoments{};
    moments.maxCode = 255;
    moments.pixelCount = std::uint64_t(image.rows) * std::uint64_t(image.cols);
    clamp = ClampMoments{};
    clamp.threshold = guess.threshold;
    for (int w = 0; w < workers; ++w)
        for (int c = 0; c < 3; ++c) {
            moments.sum[c] += basicPartial[std::size_t(w)].sum[c];
            moments.max[c] = std::max(moments.max[c], basicPartial[std::size_t(w)].max[c]);
            clamp.sumOfMin[c] += clampPartial[std::size_t(w)].sumOfMin[c];
            clamp.countAbove[c] += clampPartial[std::size_t(w)].countAbove[c];
        }
    return done;
}

bool isAvx2(Kernel kernel) {
    return kernel == Kernel::Avx2Lut || kernel == Kernel::Avx2Float || kernel == Kernel::Avx2Double;
}

void copyImage(const cv::Mat& image, cv::Mat& out) {
    if (out.data == image.data && out.size() == image.size() && out.type() == image.type() &&
        out.step == image.step)
        return;  // in place
    image.copyTo(out);
}

}  // namespace

ImageHistograms computeHistograms(const cv::Mat& image) {
    checkImage(image, "computeHistograms");
    const bool sixteen = image.depth() == CV_16U;
    const std::size_t binCount = sixteen ? 65536 : 256;
    const int copies = sixteen ? 1 : 2;
    const int threads = resolveThreads(0);
    const Bands bands(image.rows, image.cols);
    const int workers = workerCount(threads, bands.count);
    std::vector<std::vector<std::uint64_t>> partial(std::size_t(workers),
                                                    std::vector<std::uint64_t>(3 * binCount * std::size_t(copies)));
    forEachBand(bands.count, threads, nullptr, [&](int worker, int band) {
        std::uint64_t* bins = partial[std::size_t(worker)].data();
        for (int y = bands.begin(band); y < bands.end(band); ++y) {
            if (sixteen) histogramRow(image.ptr<std::uint16_t>(y), image.cols, bins, binCount);
            else histogramRow(image.ptr<std::uint8_t>(y), image.cols, bins, binCount);
        }
    });
    ImageHistograms result;
    result.depth = sixteen ? CV_16U : CV_8U;
    result.pixelCount = std::uint64_t(image.rows) * std::uint64_t(image.cols);
    for (int c = 0; c < 3; ++c) {
        auto& channel = result.bgr[std::size_t(c)];
        channel.assign(binCount, 0);
        for (const auto& p : partial)
            for (int copy = 0; copy < copies; ++copy) {
                const std::uint64_t* bins = p.data() + std::size_t(copy) * 3 * binCount + std::size_t(c) * binCount;
                for (std::size_t v = 0; v < binCount; ++v) channel[v] += bins[v];
            }
    }
    return result;
}

namespace renderer {

bool statisticsOfImage(const cv::Mat& image, const FilterParams& params, int threads,
                       const std::atomic<bool>* cancel, ImageStatistics& stats, const ClampMoments* guess) {
    stats = ImageStatistics{};
    threads = resolveThreads(threads);
    ClampMoments thresholds;
    // 8-bit with Contrast: the clip thresholds can be guessed well before the pass that gives
    // the exact means, so one AVX-512 pass collects everything; a wrong guess costs the
    // second pass the two-pass route would have run anyway.
    ClampMoments guessed;
    bool fused = image.depth() == CV_8U && params.contrast != 0.0 && cpuHasAvx512();
    if (fused) {
        if (guess) guessed = *guess;
        else fused = guessClampThresholds(image, params, guessed);
    }
    if (fused) {
        stats.fused = true;
        ClampMoments atGuess;
        if (!fusedMomentsOfImage(image, guessed, threads, cancel, stats.basic, atGuess)) return false;
        stats.clampNeeded = needsClampMoments(params, toneConstants(params, stats.basic), stats.basic, thresholds);
        if (!stats.clampNeeded) return true;
        bool match = true;
        for (int c = 0; c < 3; ++c)
            match = match && (thresholds.threshold[c] >= 255 || thresholds.threshold[c] == guessed.threshold[c]);
        if (match) {
            stats.clamp = thresholds;
            for (int c = 0; c < 3; ++c)
                if (thresholds.threshold[c] < 255) {
                    stats.clamp.sumOfMin[c] = atGuess.sumOfMin[c];
                    stats.clamp.countAbove[c] = atGuess.countAbove[c];
                }
            return true;
        }
        stats.guessMissed = true;
        stats.clamp = thresholds;
        return clampMomentsOfImage(image, nullptr, threads, cancel, stats.clamp);
    }
    Segments segments;
    if (!basicMomentsOfImage(image, threads, cancel, stats.basic, segments)) return false;
    stats.clampNeeded = needsClampMoments(params, toneConstants(params, stats.basic), stats.basic, thresholds);
    if (!stats.clampNeeded) return true;
    stats.clamp = thresholds;
    return clampMomentsOfImage(image, &segments, threads, cancel, stats.clamp);
}

BasicMoments basicMomentsOf(const ImageHistograms& histograms) {
    checkHistograms(histograms);
    BasicMoments moments;
    moments.maxCode = histograms.depth == CV_16U ? 65535 : 255;
    moments.pixelCount = histograms.pixelCount;
    for (int c = 0; c < 3; ++c) {
        const auto& bins = histograms.bgr[std::size_t(c)];
        for (std::size_t v = 0; v < bins.size(); ++v) {
            moments.sum[c] += bins[v] * v;
            if (bins[v] != 0) moments.max[c] = std::uint32_t(v);
        }
    }
    return moments;
}

ClampMoments clampMomentsOf(const ImageHistograms& histograms, const ClampMoments& thresholds) {
    checkHistograms(histograms);
    ClampMoments clamp;
    clamp.threshold = thresholds.threshold;
    for (int c = 0; c < 3; ++c) {
        const auto& bins = histograms.bgr[std::size_t(c)];
        const std::uint64_t k = thresholds.threshold[c];
        for (std::size_t v = 0; v < bins.size(); ++v) {
            clamp.sumOfMin[c] += bins[v] * std::min<std::uint64_t>(v, k);
            if (v > k) clamp.countAbove[c] += bins[v];
        }
    }
    return clamp;
}

bool renderWith(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, cv::Mat& out,
                const RenderOptions& options, std::optional<Kernel> forced, RenderReport* report) {
    checkImage(image, "render");
    if (mask.type() != CV_16UC1)
        throw Error("render: the mask must be 16-bit single-channel (CV_16UC1), got " + typeName(mask.type()));
    if (mask.size() != image.size())
        throw Error("render: the mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                    " but the image is " + std::to_string(image.cols) + "x" + std::to_string(image.rows));
    if (!(options.amount >= 0.0 && options.amount <= 1.0))
        throw Error("render: amount must be between 0 and 1, got " + std::to_string(options.amount));
    for (double value : params.toArray())
        if (!std::isfinite(value)) throw Error("render: filter values must be finite numbers");
    if (options.histograms) checkHistograms(*options.histograms);
    if (forced && isAvx2(*forced) && !cpuHasAvx2()) throw Error("render: this CPU has no AVX2");
    if (forced && *forced == Kernel::Avx512Float && !cpuHasAvx512()) throw Error("render: this CPU has no AVX-512");
    if (cancelled(options.cancel)) return false;

    // Writing over the mask would destroy it mid-render: render into a fresh buffer then.
    cv::Mat separate;
    cv::Mat& target = (out.data != nullptr && out.data == mask.data) ? separate : out;

    const int threads = resolveThreads(options.threads);
    const int maxCode = image.depth() == CV_16U ? 65535 : 255;
    Plan plan;
    plan.maxCode = maxCode;
    plan.params = params.clamped();
    plan.weightScale = float(options.amount / 65535.0);
    plan.fullAmount = options.amount == 1.0;
    plan.kernel = forced ? *forced : chooseKernel(maxCode, plan.params, cpuHasAvx2());
    if (!forced && options.amount == 0.0) plan.kernel = Kernel::Copy;
    RenderReport localReport;
    localReport.kernel = plan.kernel;

    if (plan.kernel == Kernel::Copy) {
        copyImage(image, target);
        if (&target != &out) out = target;
        if (report) *report = localReport;
        return true;
    }

    // Global statistics: only Temperature (channel means) and Contrast (image mean) need them.
    const FilterParams& p = plan.params;
    if (p.temperature != 0.0 || p.contrast != 0.0) {
        BasicMoments basic;
        ClampMoments clamp;
        bool needClamp = false;
        if (options.histograms) {
            basic = basicMomentsOf(*options.histograms);
            needClamp = needsClampMoments(p, toneConstants(p, basic), basic, clamp);
            if (needClamp) clamp = clampMomentsOf(*options.histograms, clamp);
        } else {
            ImageStatistics stats;
            if (!statisticsOfImage(image, p, threads, options.cancel, stats)) return false;
            basic = stats.basic;
            needClamp = stats.clampNeeded;
            clamp = stats.clamp;
            localReport.fusedStatistics = stats.fused && !stats.guessMissed;
        }
        localReport.clampMoments = needClamp;
        plan.tone = toneConstants(p, basic);
        finishContrastMean(p, basic, needClamp ? &clamp : nullptr, plan.tone);
    } else {
        plan.tone = toneConstants(p, BasicMoments{});
    }
    buildTables(plan, threads > 1);
    // The AVX-512 kernel computes exactly what Avx2Float does, 16 pixels at a time; it hands
    // steps outside the nearest-point table's range back to the AVX2 kernel, so it pays off
    // where that table exists (8-bit) or no curve is needed.
    if (!forced && plan.kernel == Kernel::Avx2Float && maxCode == 255 && cpuHasAvx512() &&
        (plan.hsIdentity || plan.hs->uniformSteps > 0))
        plan.kernel = Kernel::Avx512Float;
    localReport.kernel = plan.kernel;
    localReport.exactBins = plan.hs->exactBins;
    if (cancelled(options.cancel)) return false;

    target.create(image.size(), image.type());
    const renderer::RowKernel kernel = renderer::rowKernel(plan.kernel, maxCode == 65535);
    const Bands bands(image.rows, image.cols);
    const bool done = forEachBand(bands.count, threads, options.cancel, [&](int, int band) {
        for (int y = bands.begin(band); y < bands.end(band); ++y)
            kernel(plan, image.ptr(y), mask.ptr<std::uint16_t>(y), target.ptr(y), image.cols);
    });
    if (&target != &out) out = target;
    if (report) *report = localReport;
    return done;
}

}  // namespace renderer

bool render(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, cv::Mat& out,
            const RenderOptions& options) {
    return renderer::renderWith(image, mask, params, out, options, std::nullopt, nullptr);
}

}  // namespace hz
