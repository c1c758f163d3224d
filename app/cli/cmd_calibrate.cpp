// `harmonizer-cli calibrate`: chooses the model's output gain and input size on training photos
// and writes a copy of the model file carrying them (see core/training/calibrate.h).
#ifdef HZ_HAVE_TRAINING
#include <cstdio>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/training/average.h"
#include "core/training/calibrate.h"

namespace hz::cli {
namespace {

// Calibrating or averaging changes the network's values, so a statistics head fitted to the old
// ones is not carried over; say so instead of dropping it silently.
void noteDroppedHead(const std::vector<std::string>& inputs, const std::string& outPath) {
    for (const auto& input : inputs)
        if (readModelMetadata(input).statisticsHeadHidden > 0) {
            std::fprintf(stderr, "note: %s has a statistics head; %s has the network alone (train a head for it with train-head)\n",
                         input.c_str(), outPath.c_str());
            return;
        }
}

std::vector<double> parseGains(const std::string& text) {
    const auto gains = parseNumberList("gains", text);
    for (double gain : gains)
        if (!isValidOutputGain(gain)) throw UsageError("--gains: " + shortNumber(gain) + " is outside (0, 4]");
    return gains;
}

int runCalibrate(const std::vector<std::string>& args) {
    ArgParser parser("calibrate", "--model IN.hzm --dataset DIR -o OUT.hzm [options]",
                     "Evaluates the model with each candidate output gain (its raw outputs multiplied by the gain\n"
                     "before clamping) and each candidate network input size on an iHarmony4-layout set and writes a\n"
                     "copy of the model file carrying the pair with the lowest mean fMSE. Make the set from training\n"
                     "photos (make-evalset --split train): a choice made on the validation split would flatter the\n"
                     "validation figures.");
    parser.addOption("model", "FILE", "model file to calibrate");
    parser.addOption("dataset", "DIR", "iHarmony4-layout folder (a subset or a folder of subsets)");
    parser.addOption("output", "OUT", "calibrated model file to write (not the input)");
    parser.addOption("gains", "LIST", "comma-separated candidates, default 0.9,1,1.1,1.2,1.3,1.4");
    parser.addOption("input-sizes", "LIST", "comma-separated network input sides, default the model file's own");
    parser.addOption("size", "N", "evaluation size, default 256");
    parser.addViewsOption(kStillImageViews);
    parser.addOption("threads", "N", "threads, default every core");
    parser.addOption("version", "TEXT", "model version to store, default the input's");
    parser.addOption("notes", "TEXT", "training notes to store instead of the input's (the whole recipe of a fine-tuned model)");
    if (!parser.parse(args)) return 0;

    training::CalibrationOptions options;
    options.eval.modelPath = parser.value("model");
    options.eval.dataset = parser.value("dataset");
    const std::string outPath = parser.value("output");
    options.eval.size = parser.integer("size", 256, 16, 16384);
    options.eval.views = parser.views(kStillImageViews);
    options.eval.threads = parser.threads();
    options.gains = parseGains(parser.optional("gains").value_or("0.9,1,1.1,1.2,1.3,1.4"));
    if (const auto sizes = parser.optional("input-sizes")) options.inputSizes = parseInputSizes("input-sizes", *sizes);
    // Before the grid runs (it takes minutes): the output is not the model and can be written.
    checkOutputs({outPath}, {options.eval.modelPath});

    const auto result = training::calibrateOutputGain(options, [&](int done, int total) {
        if (stderrIsTerminal()) std::fprintf(stderr, "\rcalibrate: %d/%d candidates", done, total);
        if (stderrIsTerminal() && done == total) std::fprintf(stderr, "\n");
    });
    std::printf("input  gain  mean fMSE\n");
    for (const auto& candidate : result.candidates) {
        const bool chosen = candidate.gain == result.bestGain && candidate.inputSize == result.bestInputSize;
        std::printf("%-6d %-5g %.2f%s\n", candidate.inputSize, candidate.gain, candidate.meanFmse, chosen ? "  <- chosen" : "");
    }
    training::writeCalibratedModel(options.eval.modelPath, result.bestGain, result.bestInputSize, outPath,
                                   parser.optional("version").value_or(""), parser.optional("notes").value_or(""));
    std::printf("wrote %s with output gain %g and input size %d\n", outPath.c_str(), result.bestGain, result.bestInputSize);
    noteDroppedHead({options.eval.modelPath}, outPath);
    return 0;
}

int runAverage(const std::vector<std::string>& argsIn) {
    ArgParser parser("average", "--model A.hzm --model B.hzm [--model ...] -o OUT.hzm [options]",
                     "Writes the weighted mean of several networks' weights (a \"model soup\") as one model file. Meant for\n"
                     "runs fine-tuned from the same weights; calibrate the result afterwards. The metadata (input\n"
                     "size, output gain) is the first model's. The inputs' statistics heads are dropped (each was fitted\n"
                     "to its own network's values) unless --head-from names the head to carry.");
    parser.addOption("model", "FILE", "a model file (repeat: at least two, or one with --head-from)");
    parser.addOption("head-from", "FILE", "a model file whose statistics head the result carries: for networks fine-tuned\n"
                                          "from the one that head was fitted on; judge the result on validation sets");
    parser.addOption("weights", "LIST", "comma-separated weights, one per model, default equal");
    parser.addOption("version", "TEXT", "model version to store, default the first model's");
    parser.addOption("output", "OUT", "model file to write (not one of the inputs)");
    std::vector<std::string> args = argsIn;
    const std::vector<std::string> models = takeRepeated(args, "model");
    if (!parser.parse(args)) return 0;
    const std::string headFrom = parser.optional("head-from").value_or("");
    if (models.size() < 2 && (headFrom.empty() || models.empty()))
        throw UsageError("average needs at least two --model files (or one with --head-from)");
    std::vector<double> weights;
    if (const auto text = parser.optional("weights")) {
        weights = parseNumberList("weights", *text);
        if (weights.size() != models.size())
            throw UsageError("--weights has " + std::to_string(weights.size()) + " values for " +
                             std::to_string(models.size()) + " models");
    }
    const std::string outPath = parser.value("output");
    std::vector<std::string> inputs = models;
    if (!headFrom.empty()) inputs.push_back(headFrom);
    checkOutputs({outPath}, inputs);
    training::writeAveragedModel(models, weights, parser.optional("version").value_or(""), outPath, headFrom);
    if (headFrom.empty()) {
        std::printf("wrote %s, the mean of %zu models\n", outPath.c_str(), models.size());
        noteDroppedHead(models, outPath);
    } else {
        std::printf("wrote %s, the mean of %zu model%s with the statistics head of %s\n", outPath.c_str(), models.size(),
                    models.size() == 1 ? "" : "s", headFrom.c_str());
    }
    return 0;
}

Registrar averageRegistrar{{"average", "average the weights of several fine-tuned models into one file", runAverage}};

Registrar registrar{{"calibrate", "choose the model's output gain and input size on training photos", runCalibrate}};

}  // namespace
}  // namespace hz::cli
#endif
