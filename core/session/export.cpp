#include "core/session/export.h"

#include <algorithm>

#include "core/render/renderer.h"
#include "core/session/session_file.h"

namespace hz {

bool exportRendered(const cv::Mat& image, const cv::Mat& mask16, const FilterParams& params, double amount,
                    const ExportSettings& settings, const std::function<void(double)>& progress,
                    const std::atomic<bool>* cancel) {
    if (!isSupportedOutputExtension(settings.path))
        throw Error(settings.path + ": unsupported output format (use .png, .jpg, .tif or .webp)");
    refuseToOverwriteInputs(settings.path, settings.inputs);
    if (image.empty()) throw Error(settings.path + ": there is no image to export");
    if (mask16.size() != image.size()) throw Error(settings.path + ": the mask and the image differ in size");
    checkOutputImageSize(settings.path, image.size());  // before the render, not after it
    checkOutputs({settings.path}, settings.inputs);

    const FilterParams values = roundToSidecarPrecision(params.clamped());
    RenderOptions options;
    options.amount = roundToSidecarPrecision(std::clamp(amount, 0.0, 1.0));
    options.cancel = cancel;
    options.threads = settings.threads;
    // Every row only needs the whole image's statistics, so rendering in bands with the
    // full histograms gives the same pixels as one call, and lets us report progress.
    const ImageHistograms histograms = computeHistograms(image);
    options.histograms = &histograms;

    cv::Mat result(image.size(), image.type());
    const int bands = std::clamp(image.rows / 256, 1, 20);
    for (int band = 0; band < bands; ++band) {
        if (cancel && cancel->load()) return false;
        const int y0 = image.rows * band / bands, y1 = image.rows * (band + 1) / bands;
        const cv::Range rows(y0, y1);
        cv::Mat out = result.rowRange(rows);
        cv::Mat rendered;
        if (!render(image.rowRange(rows), mask16.rowRange(rows), values, rendered, options)) return false;
        rendered.copyTo(out);
        if (progress) progress(0.9 * (band + 1) / bands);
    }
    if (cancel && cancel->load()) return false;
    if (result.depth() == CV_16U && !extensionSupports16Bit(settings.path))
        result.convertTo(result, CV_8U, 1.0 / 257.0);
    WriteOptions writeOptions;
    writeOptions.jpegQuality = std::clamp(settings.jpegQuality, 1, 100);
    writeOptions.metadata = settings.metadata;
    writeOptions.stripMetadata = settings.stripMetadata;
    writeImageAtomic(settings.path, result, settings.inputs, writeOptions);
    if (progress) progress(1.0);
    return true;
}

}  // namespace hz
