#pragma once
// The editor's full-resolution export. It produces exactly the file that
//     harmonizer-cli apply --image I --mask M -o OUT --temperature ... --amount A --quality Q
// writes when given the values as the sidecar prints them (6 decimals): the same loader
// output, hz::render and hz::writeImageAtomic, with the values rounded the same way.
#include <opencv2/core.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/image_io.h"
#include "core/params.h"

namespace hz {

struct ExportSettings {
    std::string path;
    int jpegQuality = 95;
    std::vector<std::string> inputs;  // files that must not be overwritten (image, mask)
    int threads = 0;                  // render threads, 0 = every core (the editor leaves one to the GUI)
    photo::PhotoMetadata metadata;    // the input's EXIF/XMP/IPTC/ICC, written into the export
    bool stripMetadata = false;       // leave out EXIF/XMP/IPTC (GPS...); the ICC profile stays
};

// Renders `image` (CV_8UC3/CV_16UC3) with `mask16` and writes `settings.path`.
// `progress` (may be empty) is called with 0..1 from the calling thread; `cancel` is polled.
// Returns false when cancelled (nothing written). A 16-bit image written to JPEG or WebP
// (formats without 16 bits) is rounded to 8 bits first; the CLI refuses that case instead.
// Throws hz::Error for an unsupported extension, an unwritable folder or an input path.
bool exportRendered(const cv::Mat& image, const cv::Mat& mask16, const FilterParams& params, double amount,
                    const ExportSettings& settings, const std::function<void(double)>& progress = {},
                    const std::atomic<bool>* cancel = nullptr);

}  // namespace hz
