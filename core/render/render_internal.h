#pragma once
// Internal to hz_render and its tests: render() with a chosen kernel, and what it did.
#include <atomic>
#include <optional>

#include "core/render/render_plan.h"
#include "core/render/renderer.h"

namespace hz::renderer {

struct RenderReport {
    Kernel kernel = Kernel::Copy;
    int exactBins = 0;         // Highlight+Shadow table bins evaluated exactly
    bool clampMoments = false;  // the statistics needed the second pass (or histogram sums)
    bool fusedStatistics = false;  // one pass gave all statistics (AVX-512, guessed thresholds right)
};

// The statistics render() takes from the image itself (no histograms given).
struct ImageStatistics {
    BasicMoments basic;
    bool clampNeeded = false;  // Contrast's mean needs clip sums
    ClampMoments clamp;        // when clampNeeded; sums only for channels with threshold < max code
    bool fused = false;        // one AVX-512 pass, clip sums at guessed thresholds
    bool guessMissed = false;  // ... which were wrong: a second pass ran
};

// `guess` replaces the thresholds guessed from a row sample (a test hook; 8-bit AVX-512 only).
bool statisticsOfImage(const cv::Mat& image, const FilterParams& clampedParams, int threads,
                       const std::atomic<bool>* cancel, ImageStatistics& stats,
                       const ClampMoments* guess = nullptr);

// render() with `forced` instead of the automatic kernel choice (an AVX2 kernel on a CPU
// without AVX2 throws hz::Error). Fills `report` when given.
bool renderWith(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, cv::Mat& out,
                const RenderOptions& options, std::optional<Kernel> forced, RenderReport* report);

// The statistics render() would use (from options.histograms when given).
BasicMoments basicMomentsOf(const ImageHistograms& histograms);
ClampMoments clampMomentsOf(const ImageHistograms& histograms, const ClampMoments& thresholds);

}  // namespace hz::renderer
