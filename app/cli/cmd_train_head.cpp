// `harmonizer-cli train-head`: trains the statistics head (core/model/statistics_head.h) on
// top of a finished network and writes the network plus the head as one model file.
#ifdef HZ_HAVE_TRAINING
#include <cstdio>
#include <filesystem>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/predictor_options.h"
#include "core/training/head_trainer.h"

namespace hz::cli {
namespace {

int runTrainHead(const std::vector<std::string>& argsIn) {
    ArgParser parser("train-head", "--data DIR [--data DIR ...] --model IN.hzm -o OUT.hzm [options]",
                     "Trains the statistics head: a small second stage that corrects the network's six values\n"
                     "from colour statistics of the foreground, the background and the ring around the foreground.\n"
                     "Generates composites of the six-filter, transfer and (with --luts) LUT families from the\n"
                     "training split, records the network's values for each, then fits the head with the\n"
                     "final-image loss and the argument loss. The network is not changed. Prints the figures on\n"
                     "composites from the validation split before and after.");
    parser.addOption("data", "DIR", "a data folder (repeatable), as for train");
    parser.addOption("model", "FILE", "the network to put the head on (a head it has is replaced)");
    parser.addOption("output", "OUT", "model file to write (not the input)");
    parser.addOption("luts", "DIR", "folder of .cube LUTs: adds the LUT family");
    parser.addOption("cache", "FILE", "save the generated samples here, or read them back when the file exists");
    parser.addOption("extra-cache", "FILE", "another run's cache (other --seed) whose training samples are added (repeatable)");
    parser.addOption("size", "N", "composite side, default 256");
    parser.addOption("samples", "N", "training samples to generate, default 8000");
    parser.addOption("val-samples", "N", "validation samples for the report, default 480");
    parser.addOption("views", "N", "the network's test-time views while generating (1, 2, 4, 8), default 2");
    parser.addOption("extra-input-sizes", "LIST", "comma-separated sides the network also runs at while generating, their\n"
                     "values averaged with the views' as the predictor does for a still image (the written file\n"
                     "carries the list); 'none' for the input size alone; default the model file's list");
    parser.addOption("steps", "N", "optimisation steps, default 4000");
    parser.addOption("batch", "N", "batch size, default 256");
    parser.addOption("hidden", "N", "hidden width of the head, default 128");
    parser.addOption("features", "SET", "what the head reads: regions (the region statistics alone, as heads before\n"
                     "the boundary block) or boundary (the region statistics plus the foreground's edge against the\n"
                     "background just across it), default boundary");
    parser.addOption("lr", "X", "AdamW learning rate (cosine), default 1e-3");
    parser.addOption("weight-decay", "X", "AdamW weight decay, default 1e-4");
    parser.addOption("arg-weight", "X", "argument loss weight on six-filter samples, default 1");
    parser.addOption("other-weight", "X", "image loss weight of transfer and LUT samples (six-filter: 1), default 1");
    parser.addOption("lut-weight", "X", "image loss weight of LUT samples alone, default the other-family weight");
    parser.addOption("mild-share", "X", "share of training samples with a scaled-down perturbation (as train --mild-share), default 0");
    parser.addOption("loss-side", "N", "side of the images the loss renders, default 64");
    parser.addOption("seed", "S", "random seed, default 1");
    parser.addOption("log-every", "N", "validation line every N steps, default 500");
    parser.addOption("version", "TEXT", "model version to store, default the input's + \"+head\"");
    parser.addOption("threads", "N", "LibTorch threads, default every core");
    std::vector<std::string> args = argsIn;
    training::HeadTrainingOptions options;
    options.dataDirs = takeRepeated(args, "data");
    options.extraCaches = takeRepeated(args, "extra-cache");
    if (!parser.parse(args)) return 0;
    options.modelPath = parser.value("model");
    options.outPath = parser.value("output");
    options.cachePath = parser.optional("cache").value_or("");
    if (options.dataDirs.empty() && (options.cachePath.empty() || !std::filesystem::exists(options.cachePath)))
        throw UsageError("missing required option --data (or an existing --cache)");
    options.lutDir = parser.optional("luts").value_or("");
    options.size = parser.integer("size", 256, 32, 1024);
    options.samples = parser.integer("samples", 8000, 16, 10000000);
    options.valSamples = parser.integer("val-samples", 480, 16, 1000000);
    options.views = parser.integer("views", 2, 1, 8);
    if (!isValidViewCount(options.views)) throw UsageError("--views must be 1, 2, 4 or 8");
    if (const auto sizes = parser.optional("extra-input-sizes"))
        options.extraInputSizes = parseExtraInputSizes("extra-input-sizes", *sizes);
    options.steps = parser.integer("steps", 4000, 1, 100000000);
    options.batch = parser.integer("batch", 256, 2, 100000);
    options.hidden = parser.integer("hidden", 128, 1, 4096);
    const std::string features = parser.optional("features").value_or(training::featureSetKey(options.featureSet));
    const auto featureSet = training::featureSetWithKey(features);
    if (!featureSet) throw UsageError("--features must be regions or boundary, not '" + features + "'");
    options.featureSet = *featureSet;
    options.lr = parser.number("lr", 1e-3, 1e-8, 1.0);
    options.weightDecay = parser.number("weight-decay", 1e-4, 0.0, 1.0);
    options.argWeight = parser.number("arg-weight", 1.0, 0.0, 1e4);
    options.otherWeight = parser.number("other-weight", 1.0, 0.0, 1e4);
    if (parser.optional("lut-weight")) options.lutWeight = parser.number("lut-weight", 1.0, 0.0, 1e4);
    options.mildShare = parser.number("mild-share", 0.0, 0.0, 1.0);
    options.lossSide = parser.integer("loss-side", 64, 8, 512);
    options.seed = parser.integer("seed", 1, 0, 2147483647);
    options.logEvery = parser.integer("log-every", 500, 1, 100000000);
    options.version = parser.optional("version").value_or("");
    options.threads = parser.threads();
    checkOutputs({options.outPath}, {options.modelPath});

    const auto report = training::trainStatisticsHead(options, [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    });
    std::printf("train-head: validation six-filter (%d) fMSE composite %.1f, network %.1f, with head %.1f\n",
                report.sixFilter.count, report.sixFilter.compositeFmse, report.sixFilter.networkFmse, report.sixFilter.headFmse);
    std::printf("train-head: validation other families (%d) fMSE composite %.1f, network %.1f, with head %.1f\n",
                report.other.count, report.other.compositeFmse, report.other.networkFmse, report.other.headFmse);
    for (const auto& [name, figures] : {std::pair{"transfer", &report.transfer}, std::pair{"LUT", &report.lut}})
        if (figures->count > 0)
            std::printf("train-head: validation %s (%d) fMSE composite %.1f, network %.1f, with head %.1f\n", name, figures->count,
                        figures->compositeFmse, figures->networkFmse, figures->headFmse);
    std::printf("train-head: wrote %s (%d training samples, %.0f s)\n", options.outPath.c_str(), report.trainSamples,
                report.seconds);
    return 0;
}

Registrar registrar{{"train-head", "train the statistics head on top of a finished network", runTrainHead}};

}  // namespace
}  // namespace hz::cli
#endif
