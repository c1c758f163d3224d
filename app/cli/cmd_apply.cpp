// `harmonizer-cli apply`: render the six filter values onto the foreground at full resolution.
#include <cstdio>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/render/renderer.h"

namespace hz::cli {
namespace {

int runApply(const std::vector<std::string>& args) {
    ArgParser parser("apply", "--image IN --mask MASK -o OUT [--temperature X] ... [--shadow X] [--amount A]",
                     "Applies the six white-box filters to the foreground of IN (where MASK > 0) and writes OUT\n"
                     "with IN's size and bit depth. Outside the mask OUT equals IN bit for bit. OUT keeps IN's EXIF,\n"
                     "XMP, IPTC and ICC profile, with the orientation reset to normal (the pixels are turned).");
    parser.addOption("image", "IN", "composite image (8-bit JPEG/PNG/TIFF/WebP/HEIC/AVIF, 16-bit PNG/TIFF, grayscale ok)");
    parser.addOption("mask", "MASK", "foreground mask, same size as IN (1/3/4 channels, 8/16-bit, soft)");
    parser.addOption("output", "OUT", "output image (.png .jpg .tif .webp); written to a temporary file, then renamed");
    parser.addFilterOptions();
    parser.addOption("amount", "A", "overall strength in [0, 1], default 1 (scales the mask)");
    parser.addOption("quality", "Q", "JPEG quality 1..100, default 95");
    parser.addStripMetadataFlag();
    if (!parser.parse(args)) return 0;

    const std::string imagePath = parser.value("image");
    const std::string maskPath = parser.value("mask");
    const std::string outputPath = parser.value("output");
    const FilterParams params = parser.filterParams();
    RenderOptions renderOptions;
    renderOptions.amount = parser.number("amount", 1.0, 0.0, 1.0);
    WriteOptions writeOptions;
    writeOptions.jpegQuality = parser.integer("quality", 95, 1, 100);
    // Check the destination before the (possibly long) render so a typo costs nothing.
    if (!isSupportedOutputExtension(outputPath))
        throw Error(outputPath + ": unsupported output format (use .png, .jpg, .tif or .webp)");
    checkOutputs({outputPath}, {imagePath, maskPath});
    checkOutputImageSize(outputPath, checkImageAndMaskHeaders(imagePath, maskPath));

    const LoadedImage image = loadImage(imagePath);
    std::vector<std::string> warnings = image.warnings;
    const cv::Mat mask = loadMask(maskPath, image, warnings);
    for (const auto& warning : warnings) std::fprintf(stderr, "harmonizer-cli apply: warning: %s\n", warning.c_str());
    if (maskIsEmpty(mask))
        std::fprintf(stderr, "harmonizer-cli apply: warning: %s: mask is empty, the output equals the input\n",
                     maskPath.c_str());
    if (image.pixels.depth() == CV_16U && !extensionSupports16Bit(outputPath))
        throw Error(outputPath + ": the input is 16-bit; write .png or .tif to keep its depth");

    writeOptions.metadata = image.metadata;
    writeOptions.stripMetadata = parser.has("strip-metadata");
    cv::Mat result;
    render(image.pixels, mask, params, result, renderOptions);
    writeImageAtomic(outputPath, result, {imagePath, maskPath}, writeOptions);
    return 0;
}

Registrar registrar{{"apply", "render given filter values onto the masked foreground", runApply}};

}  // namespace
}  // namespace hz::cli
