#pragma once
// Internal to hz_render and its tests: render() with a chosen kernel, and what it did.
#include <optional>

#include "core/render/render_plan.h"
#include "core/render/renderer.h"

namespace hz::renderer {

struct RenderReport {
    Kernel kernel = Kernel::Copy;
    int exactBins = 0;         // Highlight+Shadow table bins evaluated exactly
    bool clampMoments = false;  // the statistics needed the second pass (or histogram sums)
};

// render() with `forced` instead of the automatic kernel choice (an AVX2 kernel on a CPU
// without AVX2 throws hz::Error). Fills `report` when given.
bool renderWith(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, cv::Mat& out,
                const RenderOptions& options, std::optional<Kernel> forced, RenderReport* report);

// The statistics render() would use (from options.histograms when given).
BasicMoments basicMomentsOf(const ImageHistograms& histograms);
ClampMoments clampMomentsOf(const ImageHistograms& histograms, const ClampMoments& thresholds);

}  // namespace hz::renderer
