// `harmonizer-cli spread`: the spread of each predicted filter value over a folder of real
// composites without ground truth. A network that has collapsed to one hedged answer shows
// it here at once (a standard deviation near 0), however good its synthetic validation looks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/predictor.h"

namespace fs = std::filesystem;

namespace hz::cli {
namespace {

int runSpread(const std::vector<std::string>& argsIn) {
    ArgParser parser("spread", "--set DIR [--set DIR ...] [--model FILE] [--json]",
                     "Predicts the six filter values for every composite of each DIR (DIR/composite/* with\n"
                     "DIR/mask/<same name>.*) and prints, per filter, the mean, standard deviation, minimum and\n"
                     "maximum over all of them. Masks are binarised at --mask-threshold (JPEG masks carry\n"
                     "compression noise). Real composites need different corrections, so a healthy model's\n"
                     "values spread; a collapsed one predicts nearly the same values for every image.");
    parser.addOption("set", "DIR", "a folder with composite/ and mask/ (repeatable)");
    parser.addOption("mask-threshold", "T", "mask levels above T of 255 are foreground, default 127");
    parser.addPredictorOptions(/*withThreads=*/true, kStillImageViews);
    parser.addFlag("json", "print one JSON object");
    std::vector<std::string> args = argsIn;
    const std::vector<std::string> sets = takeRepeated(args, "set");
    if (!parser.parse(args)) return 0;
    if (sets.empty()) throw UsageError("missing required option --set");
    const double threshold = parser.number("mask-threshold", 127, 0, 254);
    Predictor predictor(parser.predictorOptions(kStillImageViews));

    std::vector<std::array<double, kFilterCount>> values;
    for (const auto& set : sets) {
        for (const auto& [imagePath, maskPath] : compositeMaskPairs(set)) {
            const LoadedImage image = loadImage(imagePath);
            cv::Mat mask = loadMask(maskPath, image.pixels.size());
            mask = (mask > threshold * 257.0);  // 8-bit 0/255
            mask.convertTo(mask, CV_16U, 257.0);
            if (maskIsEmpty(mask)) {
                std::fprintf(stderr, "harmonizer-cli spread: warning: %s: empty mask, skipped\n", maskPath.c_str());
                continue;
            }
            values.push_back(predictor.predict(image.pixels, mask).toArray());
        }
    }
    if (values.empty()) throw Error("no composite with a non-empty mask in the given sets");
    const double n = double(values.size());
    std::string json = "{\"count\": " + std::to_string(values.size()) + ", \"model_version\": \"" +
                       predictor.metadata().modelVersion + "\", \"filters\": {";
    if (!parser.has("json"))
        std::printf("%zu composites, model %s\n%-12s %9s %9s %9s %9s\n", values.size(), predictor.metadata().modelVersion.c_str(),
                    "filter", "mean", "std", "min", "max");
    for (int i = 0; i < kFilterCount; ++i) {
        double sum = 0, lo = 1e9, hi = -1e9;
        for (const auto& v : values) {
            sum += v[std::size_t(i)];
            lo = std::min(lo, v[std::size_t(i)]);
            hi = std::max(hi, v[std::size_t(i)]);
        }
        const double mean = sum / n;
        double squares = 0;
        for (const auto& v : values) squares += (v[std::size_t(i)] - mean) * (v[std::size_t(i)] - mean);
        const double deviation = std::sqrt(squares / n);
        const char* key = filterSpecs()[std::size_t(i)].key;
        char text[256];
        std::snprintf(text, sizeof text, "%s\"%s\": {\"mean\": %.4f, \"std\": %.4f, \"min\": %.4f, \"max\": %.4f}", i ? ", " : "",
                      key, mean, deviation, lo, hi);
        json += text;
        if (!parser.has("json")) std::printf("%-12s %9.4f %9.4f %9.4f %9.4f\n", key, mean, deviation, lo, hi);
    }
    if (parser.has("json")) std::printf("%s}}\n", json.c_str());
    return 0;
}

Registrar registrar{{"spread", "spread of the predicted values over real composites (collapse check)", runSpread}};

}  // namespace
}  // namespace hz::cli
