// `harmonizer-cli train-subject`: trains the subject network of Select Subject (issue 17;
// core/subject/README.md) from photos with foreground masks, resumably.
#include <atomic>
#include <csignal>
#include <iostream>

#include "app/cli/cli_common.h"
#include "core/subject/training/subject_training.h"

namespace hz::cli {
namespace {

std::atomic<bool> g_subjectStop{false};
extern "C" void onSubjectStopSignal(int) { g_subjectStop.store(true); }

int runTrainSubject(const std::vector<std::string>& argsIn) {
    ArgParser parser("train-subject", "--data DIR [--data DIR ...] --out DIR --pretrained FILE [options]",
                     "Trains the subject network (ImageNet MobileNetV2 encoder + light decoder) on the photos\n"
                     "with foreground masks in each DIR (the layouts `train` reads). Validation is split off by\n"
                     "source photo as for `train`. Writes OUT/last.hzm, optimizer.pt and state.json every\n"
                     "--checkpoint-every steps; Ctrl-C saves a checkpoint and --resume continues from it.");
    parser.addOption("data", "DIR", "a data folder (repeatable)");
    parser.addOption("out", "DIR", "output folder");
    parser.addOption("pretrained", "FILE", "ImageNet MobileNetV2 safetensors (not needed with --resume or --init)");
    parser.addOption("init", "FILE", "start from this subject model's weights (a new schedule, e.g. at another --size)");
    parser.addOption("version", "NAME", "the version recorded in the model file, default 2026.12-subject-1");
    parser.addOption("paste-share", "X", "share of samples that are objects pasted onto other training photos, default 0");
    parser.addOption("min-instance-share", "X",
                     "a COCO instance covering less than this share of its photo teaches only the box tool, not\n"
                     "Select Subject (it is often not the photo's subject); default 0 (every instance teaches both)");
    parser.addOption("size", "PX", "training side, a multiple of 32, default 320");
    parser.addOption("batch", "N", "batch size, default 8");
    parser.addOption("steps", "N", "total steps of the cosine schedule, default 3000");
    parser.addOption("lr", "X", "decoder learning rate, default 1e-3");
    parser.addOption("encoder-lr-scale", "X", "encoder learning rate / decoder learning rate, default 0.1");
    parser.addOption("box-share", "X", "share of samples cropped around their mask (box tool), default 0.35");
    parser.addOption("threads", "N", "LibTorch threads, default every core");
    parser.addOption("seed", "N", "random seed, default 7");
    parser.addOption("val-every", "N", "validation every N steps, default 500");
    parser.addOption("val-limit", "N", "validation items per check, default 240");
    parser.addOption("checkpoint-every", "N", "checkpoint every N steps, default 100");
    parser.addFlag("resume", "continue from OUT/last.hzm and OUT/state.json");
    std::vector<std::string> args = argsIn;
    subject::SubjectTrainOptions options;
    options.dataDirs = takeRepeated(args, "data");
    if (!parser.parse(args)) return 0;
    if (options.dataDirs.empty()) throw UsageError("missing required option --data");
    options.outDir = parser.value("out");
    options.resume = parser.has("resume");
    options.initPath = parser.optional("init").value_or("");
    if (options.resume && !options.initPath.empty()) throw UsageError("--init starts a new run: it cannot go with --resume");
    if (!options.resume && options.initPath.empty()) options.pretrainedPath = parser.value("pretrained");
    options.modelVersion = parser.optional("version").value_or(options.modelVersion);
    options.pasteShare = parser.number("paste-share", 0.0, 0.0, 1.0);
    options.minInstanceShare = parser.number("min-instance-share", 0.0, 0.0, 1.0);
    options.side = parser.integer("size", 320, 64, 1024);
    if (options.side % 32 != 0) throw UsageError("--size must be a multiple of 32");
    options.batch = parser.integer("batch", 8, 1, 256);
    options.steps = parser.integer("steps", 3000, 1, 10000000);
    options.learningRate = parser.number("lr", 1e-3, 1e-7, 1.0);
    options.encoderLrScale = parser.number("encoder-lr-scale", 0.1, 0.0, 10.0);
    options.boxShare = parser.number("box-share", 0.35, 0.0, 1.0);
    options.threads = parser.threads() > 0 ? parser.threads() : maxThreads();
    options.seed = std::uint32_t(parser.integer("seed", 7, 0, 1 << 30));
    options.valEvery = parser.integer("val-every", 500, 1, 10000000);
    options.valLimit = parser.integer("val-limit", 240, 1, 100000);
    options.checkpointEvery = parser.integer("checkpoint-every", 100, 1, 10000000);
    std::signal(SIGINT, onSubjectStopSignal);
    std::signal(SIGTERM, onSubjectStopSignal);
    subject::trainSubjectNet(options, std::cout, [] { return g_subjectStop.load(); });
    return g_subjectStop.load() ? 130 : 0;
}

Registrar trainSubjectRegistrar{{"train-subject", "train the subject network of Select Subject (resumable)", runTrainSubject}};

}  // namespace
}  // namespace hz::cli
