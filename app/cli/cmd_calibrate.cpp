// `harmonizer-cli calibrate`: chooses the model's output gain on training photos and writes a
// copy of the model file carrying it (see core/training/calibrate.h).
#ifdef HZ_HAVE_TRAINING
#include <cstdio>
#include <sstream>

#include "app/cli/cli_common.h"
#include "core/training/calibrate.h"

namespace hz::cli {
namespace {

std::vector<double> parseGains(const std::string& text) {
    std::vector<double> gains;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size()) throw UsageError("--gains: '" + item + "' is not a number");
        if (!isValidOutputGain(value)) throw UsageError("--gains: " + item + " is outside (0, 4]");
        gains.push_back(value);
    }
    if (gains.empty()) throw UsageError("--gains needs at least one value");
    return gains;
}

int runCalibrate(const std::vector<std::string>& args) {
    ArgParser parser("calibrate", "--model IN.hzm --dataset DIR -o OUT.hzm [options]",
                     "Evaluates the model with each candidate output gain (its raw outputs multiplied by the gain\n"
                     "before clamping) on an iHarmony4-layout set and writes a copy of the model file carrying the\n"
                     "gain with the lowest mean fMSE. Make the set from training photos (make-evalset --split train):\n"
                     "a gain chosen on the validation split would flatter the validation figures.");
    parser.addOption("model", "FILE", "model file to calibrate");
    parser.addOption("dataset", "DIR", "iHarmony4-layout folder (a subset or a folder of subsets)");
    parser.addOption("output", "OUT", "calibrated model file to write (not the input)");
    parser.addOption("gains", "LIST", "comma-separated candidates, default 0.9,1,1.1,1.2,1.3,1.4");
    parser.addOption("size", "N", "evaluation size, default 256");
    parser.addViewsOption(kStillImageViews);
    parser.addOption("threads", "N", "threads, default every core");
    if (!parser.parse(args)) return 0;

    training::CalibrationOptions options;
    options.eval.modelPath = parser.value("model");
    options.eval.dataset = parser.value("dataset");
    const std::string outPath = parser.value("output");
    options.eval.size = parser.integer("size", 256, 16, 16384);
    options.eval.views = parser.views(kStillImageViews);
    options.eval.threads = parser.integer("threads", 0, 0, 1024);
    options.gains = parseGains(parser.optional("gains").value_or("0.9,1,1.1,1.2,1.3,1.4"));

    const auto result = training::calibrateOutputGain(options, [&](int done, int total) {
        if (stderrIsTerminal()) std::fprintf(stderr, "\rcalibrate: %d/%d gains", done, total);
        if (stderrIsTerminal() && done == total) std::fprintf(stderr, "\n");
    });
    std::printf("gain  mean fMSE\n");
    for (const auto& candidate : result.candidates)
        std::printf("%-5g %.2f%s\n", candidate.gain, candidate.meanFmse, candidate.gain == result.bestGain ? "  <- chosen" : "");
    training::writeModelWithOutputGain(options.eval.modelPath, result.bestGain, outPath);
    std::printf("wrote %s with output gain %g\n", outPath.c_str(), result.bestGain);
    return 0;
}

Registrar registrar{{"calibrate", "choose the model's output gain on training photos", runCalibrate}};

}  // namespace
}  // namespace hz::cli
#endif
