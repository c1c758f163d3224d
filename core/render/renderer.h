#pragma once
// The fast full-resolution renderer: a pure function of (image, mask, params, amount,
// cancel flag). Follows spec section 2 exactly: the chain runs on the whole image with
// whole-image statistics, and only the final result is blended with the mask:
//     out = A*M * F(I0) + (1 - A*M) * I0      (A = amount, 1 by default)
// Outside the mask (M = 0) the output equals the input bit for bit.
#include <opencv2/core.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "core/params.h"

namespace hz {

// Per-channel histograms of an 8- or 16-bit BGR image: everything the global statistics
// need. Computing them is the only whole-image pass besides rendering; callers that
// render the same image many times (the editor) compute them once and pass them in.
struct ImageHistograms {
    int depth = -1;                                // CV_8U or CV_16U
    std::array<std::vector<std::uint64_t>, 3> bgr; // 256 or 65536 bins per channel
    std::uint64_t pixelCount = 0;
};

ImageHistograms computeHistograms(const cv::Mat& image);

struct RenderOptions {
    double amount = 1.0;                         // 0..1, scales the mask
    const std::atomic<bool>* cancel = nullptr;   // polled between row bands
    // Statistics of the image the params are meant for. The editor's preview passes the
    // full-resolution image's histograms so that a downscaled preview matches the export.
    const ImageHistograms* histograms = nullptr;
    int threads = 0;                             // 0 = all cores
};

// image: CV_8UC3 or CV_16UC3 (BGR). mask: CV_16UC1 of the same size (0..65535).
// out: allocated with the image's size and type. Returns false if cancelled.
// Throws hz::Error on a type or size mismatch.
bool render(const cv::Mat& image, const cv::Mat& mask, const FilterParams& params, cv::Mat& out,
            const RenderOptions& options = {});

}  // namespace hz
