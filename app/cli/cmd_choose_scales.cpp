// `harmonizer-cli choose-scales`: chooses the extra input sides the network also runs at for a
// still image (test-time scales) on sets it is given, and writes a copy of the model file
// carrying them (see core/training/test_scales.h).
#ifdef HZ_HAVE_TRAINING
#include <cstdio>
#include <sstream>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/training/test_scales.h"

namespace hz::cli {
namespace {

// Around the shipped list (session 24: larger sides favour the LUT family, smaller the six-filter one).
constexpr const char* kDefaultCandidates = "none;224,288;224,288,320;224,288,320,352";

// "none;224;224,288" -> {{}, {224}, {224, 288}}
std::vector<std::vector<int>> parseCandidates(const std::string& text) {
    std::vector<std::vector<int>> candidates;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ';'))
        candidates.push_back(parseExtraInputSizes("candidates", item));
    if (candidates.empty()) throw UsageError("--candidates needs at least one list");
    return candidates;
}

int runChooseScales(const std::vector<std::string>& argsIn) {
    ArgParser parser("choose-scales", "--model IN.hzm --dataset DIR [--dataset DIR ...] -o OUT.hzm [options]",
                     "Evaluates the model with each candidate list of extra input sides (the network also runs at\n"
                     "those sides for a still image and the values are averaged with the views') on one or more\n"
                     "iHarmony4-layout sets, and writes a copy of the model file, statistics head included, carrying\n"
                     "the list with the lowest mean of (result fMSE / composite fMSE) over the sets. One set per\n"
                     "composite family, not the reported ones and not from training photos (the network has partly\n"
                     "memorised those): validation photos with another --seed, as tools/model_workspace's Tune_* sets.");
    parser.addOption("model", "FILE", "model file");
    parser.addOption("dataset", "DIR", "iHarmony4-layout folder (repeat: one per family)");
    parser.addOption("output", "OUT", "model file to write (not the input)");
    parser.addOption("candidates", "LISTS", "semicolon-separated lists of sides, 'none' for the input size alone;\n"
                                            "default " + std::string(kDefaultCandidates));
    parser.addOption("size", "N", "evaluation size, default 256");
    parser.addViewsOption(kStillImageViews);
    parser.addOption("threads", "N", "threads, default every core");
    parser.addOption("version", "TEXT", "model version to store, default the input's");
    std::vector<std::string> args = argsIn;
    training::ScaleChoiceOptions options;
    options.datasets = takeRepeated(args, "dataset");
    if (!parser.parse(args)) return 0;
    if (options.datasets.empty()) throw UsageError("choose-scales needs at least one --dataset");
    options.eval.modelPath = parser.value("model");
    const std::string outPath = parser.value("output");
    options.eval.size = parser.integer("size", 256, 16, 16384);
    options.eval.views = parser.views(kStillImageViews);
    options.eval.threads = parser.threads();
    options.candidates = parseCandidates(parser.optional("candidates").value_or(kDefaultCandidates));
    // Before the evaluations run (they take minutes): the output is not the model and can be written.
    checkOutputs({outPath}, {options.eval.modelPath});

    const auto choice = training::chooseExtraInputSizes(options, [&](int done, int total) {
        if (stderrIsTerminal()) std::fprintf(stderr, "\rchoose-scales: %d/%d evaluations", done, total);
        if (stderrIsTerminal() && done == total) std::fprintf(stderr, "\n");
    });
    std::printf("%-16s %-8s", "extra sizes", "score");
    for (const auto& dataset : options.datasets) std::printf("  %s", dataset.c_str());
    std::printf("\n");
    for (std::size_t i = 0; i < choice.candidates.size(); ++i) {
        const auto& candidate = choice.candidates[i];
        std::printf("%-16s %-8.4f", training::describeInputSizes(candidate.extraInputSizes).c_str(), candidate.score);
        for (std::size_t d = 0; d < candidate.resultFmse.size(); ++d)
            std::printf("  %.1f (composite %.1f)", candidate.resultFmse[d], candidate.compositeFmse[d]);
        std::printf("%s\n", i == choice.best ? "  <- chosen" : "");
    }
    const auto& best = choice.candidates[choice.best].extraInputSizes;
    training::writeModelWithExtraInputSizes(options.eval.modelPath, best, outPath, parser.optional("version").value_or(""));
    std::printf("wrote %s with extra input sizes %s\n", outPath.c_str(), training::describeInputSizes(best).c_str());
    return 0;
}

Registrar registrar{{"choose-scales", "choose the test-time input sizes a still image also runs at",
                     runChooseScales}};

}  // namespace
}  // namespace hz::cli
#endif
