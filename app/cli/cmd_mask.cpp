// `harmonizer-cli mask`: Select Subject (or the object inside --box) written as a 16-bit soft
// mask of the image's size, optionally refined (--refine, --shift, --feather).
#include <cstdio>

#include "app/cli/cli_common.h"
#include "app/cli/subject_mask.h"
#include "core/error.h"
#include "core/image_io.h"
#include "core/subject/refine.h"

namespace hz::cli {
namespace {

constexpr const char* kCommand = "harmonizer-cli mask";

int runMask(const std::vector<std::string>& args) {
    ArgParser parser("mask", "--image IN -o MASK.png [--box X,Y,W,H] [--refine PX] [--shift PX] [--feather PX]\n"
                             "       [--subject-model FILE] [--threads N]",
                     "Selects the subject of IN with the subject network (or, with --box, the object inside the box:\n"
                     "the network on the box and a graph cut) and writes it as a 16-bit soft mask of IN's size\n"
                     "(0 = background, 65535 = foreground), with edges that follow the photo at full resolution.\n"
                     "The box is in pixels of IN as displayed (after its EXIF orientation); the mask is 0 outside it.\n"
                     "--refine, --shift and --feather are the editor's Refine Edge.");
    parser.addOption("image", "IN", "photo (8-bit JPEG/PNG/TIFF/WebP/HEIC/AVIF, 16-bit PNG/TIFF)");
    parser.addOption("output", "MASK", "output mask, .png or .tif (16-bit)");
    parser.addOption("box", "X,Y,W,H", "select the object inside this box (pixels) instead of the whole photo's subject");
    addRefineEdgeOptions(parser);
    addSubjectModelOption(parser);
    parser.addOption("threads", "N", "CPU threads for the network, 1.." + std::to_string(maxThreads()) +
                                         " (the cores), default: every core");
    if (!parser.parse(args)) return 0;

    const std::string imagePath = parser.value("image");
    const std::string outputPath = parser.value("output");
    const auto box = parser.optional("box") ? std::optional<cv::Rect>(parseBox(*parser.optional("box"))) : std::nullopt;
    const subject::RefineEdgeParams refine = refineEdgeParams(parser);
    const int threads = parser.threads();
    if (!extensionSupports16Bit(outputPath))
        throw Error(outputPath + ": a mask is written as 16-bit .png or .tif");
    // Cheap checks first: the destination, the input's header, then the model.
    checkOutputs({outputPath}, {imagePath});
    probeImage(imagePath);
    const auto predictor = makeSubjectPredictor(parser, threads);

    const LoadedImage image = loadImage(imagePath);
    for (const auto& warning : image.warnings) std::fprintf(stderr, "%s: warning: %s\n", kCommand, warning.c_str());
    cv::Mat mask = selectSubjectOf(*predictor, image, imagePath, box);
    if (!refine.isIdentity()) mask = subject::refineEdge(mask, image.pixels, refine);
    if (maskIsEmpty(mask)) std::fprintf(stderr, "%s: warning: %s: no subject found, the mask is empty\n", kCommand, imagePath.c_str());
    writeImageAtomic(outputPath, mask, {imagePath});
    return 0;
}

Registrar registrar{{"mask", "Select Subject: write a soft foreground mask (--box for one object)", runMask}};

}  // namespace
}  // namespace hz::cli
