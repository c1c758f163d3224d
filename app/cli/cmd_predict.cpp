// `harmonizer-cli predict`: run the network on a composite and its mask and print the six
// filter values (a table, or with --json the object that `apply`, the sidecar and
// `harmonize --params-out` use).
#include <cstdio>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/predictor.h"

namespace hz::cli {
namespace {

int runPredict(const std::vector<std::string>& args) {
    ArgParser parser("predict", "--image IN --mask MASK [--model FILE] [--device auto|cpu|cuda] [--json]",
                     "Predicts the six filter values that harmonize the foreground of IN (where MASK > 0) with its\n"
                     "background, and prints them in restore order. Values are in [-1, 1]; 0 leaves a filter off.");
    parser.addOption("image", "IN", "composite image (8-bit JPEG/PNG/TIFF/WebP/HEIC/AVIF, 16-bit PNG/TIFF)");
    parser.addOption("mask", "MASK", "foreground mask, same size as IN (1/3/4 channels, 8/16-bit, soft)");
    parser.addPredictorOptions(/*withThreads=*/true, kStillImageViews);
    parser.addFlag("json", "print one JSON object (6 decimals), the same that harmonize --params-out writes");
    if (!parser.parse(args)) return 0;

    const PredictorOptions options = parser.predictorOptions(kStillImageViews);

    const std::string imagePath = parser.value("image");
    const std::string maskPath = parser.value("mask");
    const LoadedImage image = loadImage(imagePath);
    for (const auto& warning : image.warnings) std::fprintf(stderr, "harmonizer-cli predict: warning: %s\n", warning.c_str());
    std::vector<std::string> maskWarnings;
    const cv::Mat mask = loadMask(maskPath, image, maskWarnings);
    for (const auto& warning : maskWarnings) std::fprintf(stderr, "harmonizer-cli predict: warning: %s\n", warning.c_str());
    if (maskIsEmpty(mask)) throw Error(maskPath + ": mask is empty: nothing to harmonize");

    Predictor predictor(options);
    const FilterParams params = predictor.predict(image.pixels, mask, image.metadata.icc);

    if (parser.has("json")) {
        std::printf("%s\n", paramsToJson(params).c_str());
        return 0;
    }
    for (const auto& spec : filterSpecs()) std::printf("%-12s %+.6f\n", spec.key, params.*(spec.field));
    return 0;
}

Registrar registrar{{"predict", "predict the six filter values for a composite (--json)", runPredict}};

}  // namespace
}  // namespace hz::cli
