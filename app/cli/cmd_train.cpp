// `harmonizer-cli train` (the resumable trainer) and `harmonizer-cli make-evalset` (an
// iHarmony4-layout evaluation set built from our own photos and masks). Built once the
// network library exists (hz_training defines HZ_HAVE_TRAINING).
#ifdef HZ_HAVE_TRAINING
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/training/batch.h"
#include "core/training/dataset.h"
#include "core/training/evalset.h"
#include "core/training/trainer.h"

namespace fs = std::filesystem;

namespace hz::cli {
namespace {

std::atomic<bool> g_stopRequested{false};

extern "C" void onStopSignal(int) { g_stopRequested.store(true); }

int runTrain(const std::vector<std::string>& argsIn) {
    ArgParser parser("train", "--data DIR [--data DIR ...] --out RUN_DIR [options]",
                     "Trains the harmonization network on photos with foreground masks (self-supervised\n"
                     "six-filter pairs plus colour-transfer and LUT composites, spec section 4), from scratch,\n"
                     "from --init weights or from --pretrained ImageNet weights.\n"
                     "Writes RUN_DIR/checkpoint/, last.hzm, best.hzm (lowest validation fMSE), log.csv and\n"
                     "val_items.txt. Ctrl-C saves a checkpoint; --resume continues exactly where it stopped.\n"
                     "Data layouts per folder: real/image+real/mask (+meta.json), images+segs (BSDS500),\n"
                     "list.txt (SOD), composite_images+masks+real_images (iHarmony4), images+masks.");
    parser.addOption("data", "DIR", "a data folder (repeatable)");
    parser.addOption("out", "RUN_DIR", "run folder (created if missing)");
    parser.addOption("size", "N", "square training size, default 128");
    parser.addOption("batch", "N", "batch size, default 16 (half six-filter pairs)");
    parser.addOption("steps", "N", "total optimisation steps, default 20000");
    parser.addOption("lr", "X", "Adam learning rate, default 3e-4");
    parser.addOption("schedule", "NAME", "step (x0.1 at 60% and 85% of --steps, default) or cosine");
    parser.addOption("seed", "S", "random seed, default 1");
    parser.addFlag("resume", "continue from RUN_DIR/checkpoint");
    parser.addOption("threads", "N", "LibTorch threads, default every core");
    parser.addOption("val-every", "N", "validate every N steps, default 500");
    parser.addOption("checkpoint-every", "N", "checkpoint every N steps, default 500");
    parser.addOption("log-every", "N", "progress line every N steps, default 20");
    parser.addOption("val-max", "N", "validation items used per family, default 400");
    parser.addOption("clip", "X", "gradient norm clip, default 2");
    parser.addOption("transfer-weight", "X", "weight of the final-step loss on the transfer half, default 10 (spec)");
    parser.addOption("six-final-weight", "X", "extra final-step loss weight on the six-filter half, default 0 (spec)");
    parser.addOption("arg-weight", "X",
                     "weight of a direct loss on the six-filter half's predicted values against the restoring ones,\n"
                     "                            default 0 (spec: image losses only)");
    parser.addOption("fit-arg-weight", "X",
                     "weight of a direct loss on the other half's predicted values against the filters' best values\n"
                     "                            fitted to each sample (eval --oracle's fit, at 48 px), default 0");
    parser.addOption("six-fit-arg-weight", "X",
                     "the same fitted-value loss on the six-filter half (with a small --arg-weight, or instead of it),\n"
                     "                            default 0");
    parser.addOption("init", "MODEL.hzm", "start from these weights instead of random ones");
    parser.addOption("arch", "NAME", "backbone of a fresh network: efficientnet-b0 (default) or mobilenet-v2");
    parser.addOption("pretrained", "FILE", "ImageNet MobileNetV2 weights (.safetensors) to start the mobilenet-v2 backbone from");
    parser.addOption("luts", "DIR", "folder of .cube colour-grading LUTs: adds the LUT family to the other half\n"
                                    "(LUTs are split by name: 20% are kept for validation)");
    parser.addOption("lut-share", "X", "share of the other half's synthetic composites made with a LUT, default 0.5");
    parser.addOption("mild-share", "X", "share of samples whose perturbation is scaled down by U(0, 1), so that the network\n"
                                        "also sees foregrounds that are (nearly) right; default 0");
    parser.addOption("stop-at", "N", "checkpoint and stop after step N (the schedule still follows --steps)");
    std::vector<std::string> args = argsIn;
    training::TrainOptions options;
    options.dataDirs = takeRepeated(args, "data");
    if (!parser.parse(args)) return 0;
    if (options.dataDirs.empty()) throw UsageError("missing required option --data");
    options.runDir = parser.value("out");
    options.size = parser.integer("size", 128, 32, 1024);
    options.batchSize = parser.integer("batch", 16, 2, 1024);
    options.steps = parser.integer("steps", 20000, 1, 100000000);
    options.learningRate = parser.number("lr", 3e-4, 1e-8, 1.0);
    options.schedule = parser.optional("schedule").value_or("step");
    if (options.schedule != "step" && options.schedule != "cosine") throw UsageError("--schedule must be step or cosine");
    options.seed = unsigned(parser.integer("seed", 1, 0, 2147483647));
    options.resume = parser.has("resume");
    options.threads = parser.threads();
    options.valEvery = parser.integer("val-every", 500, 0, 100000000);
    options.checkpointEvery = parser.integer("checkpoint-every", 500, 0, 100000000);
    options.logEvery = parser.integer("log-every", 20, 1, 100000000);
    options.valMax = parser.integer("val-max", 400, 0, 1000000);
    options.clipNorm = parser.number("clip", 2.0, 1e-6, 1e6);
    options.transferWeight = parser.number("transfer-weight", 10.0, 0.0, 1e4);
    options.sixFinalWeight = parser.number("six-final-weight", 0.0, 0.0, 1e4);
    options.argumentWeight = parser.number("arg-weight", 0.0, 0.0, 1e4);
    options.fittedArgumentWeight = parser.number("fit-arg-weight", 0.0, 0.0, 1e4);
    options.sixFittedArgumentWeight = parser.number("six-fit-arg-weight", 0.0, 0.0, 1e4);
    options.initModel = parser.optional("init").value_or("");
    options.stopAtStep = parser.integer("stop-at", 0, 0, 100000000);
    options.architecture = parser.optional("arch").value_or("");
    if (!options.architecture.empty() && options.architecture != "efficientnet-b0" && options.architecture != "mobilenet-v2")
        throw UsageError("--arch must be efficientnet-b0 or mobilenet-v2");
    options.pretrained = parser.optional("pretrained").value_or("");
    if (!options.pretrained.empty() && options.architecture.empty()) options.architecture = "mobilenet-v2";
    if (!options.pretrained.empty() && options.architecture != "mobilenet-v2")
        throw UsageError("--pretrained holds MobileNetV2 weights: use it with --arch mobilenet-v2");
    options.lutDir = parser.optional("luts").value_or("");
    options.lutShare = parser.number("lut-share", 0.5, 0.0, 1.0);
    options.mildShare = parser.number("mild-share", 0.0, 0.0, 1.0);
    options.stop = &g_stopRequested;
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);
    const auto summary = training::train(options);
    return summary.stoppedEarly && g_stopRequested.load() ? 130 : 0;
}

int runMakeEvalset(const std::vector<std::string>& argsIn) {
    ArgParser parser("make-evalset", "--data DIR [--data DIR ...] --out DIR --family sixfilter|transfer|lut [options]",
                     "Writes an iHarmony4-layout evaluation set from photos with masks: OUT/composite_images/\n"
                     "<name>_1_1.png, OUT/masks/<name>_1.png, OUT/real_images/<name>.png and OUT/<Subset>_test.txt\n"
                     "(Subset = OUT's folder name), so that `harmonizer-cli eval --dataset OUT` measures the model on\n"
                     "the validation split. Each composite's perturbation is seeded by --seed and the item's name.\n"
                     "Images are written losslessly (PNG) at the data's resolution (capped by --max-side).");
    parser.addOption("data", "DIR", "a data folder (repeatable), as for train");
    parser.addOption("out", "DIR", "output folder (the subset folder)");
    parser.addOption("family", "NAME", "sixfilter, transfer or lut (needs --luts)");
    parser.addOption("luts", "DIR", "folder of .cube LUTs for the lut family (its validation LUTs for --split val,\n"
                                    "its training LUTs for --split train: LUTs are split by name like photos)");
    parser.addOption("split", "NAME", "val (default), train or all: the trainer's split by source photo");
    parser.addOption("lut-split", "NAME", "val, train or all: which LUTs, default the one --split names (val for all);\n"
                                        "val photos with train LUTs measure how far the model learnt the LUTs themselves");
    parser.addOption("val-list", "FILE", "take the items named in a run's val_items.txt instead of --split");
    parser.addOption("seed", "S", "perturbation seed, default 7");
    parser.addOption("max-side", "N", "downscale photos whose short side exceeds N, default 0 = keep");
    parser.addOption("limit", "N", "write at most N items (evenly spaced), default all");
    std::vector<std::string> args = argsIn;
    const std::vector<std::string> dataDirs = takeRepeated(args, "data");
    if (!parser.parse(args)) return 0;
    if (dataDirs.empty()) throw UsageError("missing required option --data");
    const std::string outDir = parser.value("out");
    const training::Family family = training::parseFamily(parser.value("family"));
    const unsigned seed = unsigned(parser.integer("seed", 7, 0, 2147483647));
    const int limit = parser.integer("limit", 0, 0, 100000000);
    const std::string photoSplit = parser.optional("split").value_or("val");
    const std::string lutSplitName = parser.optional("lut-split").value_or(photoSplit == "train" ? "train" : "val");
    if (lutSplitName != "val" && lutSplitName != "train" && lutSplitName != "all")
        throw UsageError("--lut-split must be val, train or all, not '" + lutSplitName + "'");

    training::LoadOptions loadOptions;
    loadOptions.maxShortSide = parser.integer("max-side", 0, 0, 100000);
    training::TrainingData data;
    for (const auto& dir : dataDirs) loadFolder(dir, loadOptions, data);
    std::vector<int> items = parser.has("val-list")
                                 ? training::itemsNamedIn(data, parser.value("val-list"))
                                 : training::splitItems(data, training::parseSplit(photoSplit));
    if (items.empty()) throw hz::Error("the chosen split has no items");
    const std::vector<int> pool = items;
    if (limit > 0 && int(items.size()) > limit) {
        std::vector<int> chosen;
        for (int i = 0; i < limit; ++i) chosen.push_back(items[std::size_t(std::int64_t(i) * std::int64_t(items.size()) / limit)]);
        items = chosen;
    }

    std::vector<training::Lut3d> luts;
    if (parser.has("luts")) {
        std::vector<training::Lut3d> all = training::readLutFolder(parser.value("luts"));
        if (lutSplitName == "all") luts = std::move(all);
        else luts = training::lutSplit(all, /*validation=*/lutSplitName == "val");
    } else if (family == training::Family::Lut) {
        throw UsageError("--family lut needs --luts DIR");
    }
    torch::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
    const int written = training::writeEvalSet(data, items, pool, family, seed, outDir, &luts);
    const fs::path out(outDir);
    const std::string subset = out.filename().empty() ? out.parent_path().filename().string() : out.filename().string();
    std::printf("make-evalset: wrote %d %s composites to %s (list %s_test.txt)\n", written, training::familyName(family),
                outDir.c_str(), subset.c_str());
    return 0;
}

Registrar trainRegistrar{{"train", "train the network from photos with masks (resumable)", runTrain}};
Registrar evalsetRegistrar{{"make-evalset", "write an iHarmony4-layout evaluation set from our validation split", runMakeEvalset}};

}  // namespace
}  // namespace hz::cli
#endif  // HZ_HAVE_TRAINING
