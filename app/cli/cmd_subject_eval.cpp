// `harmonizer-cli eval-subject`: Select Subject and the box tool scored end to end at full
// resolution on the validation split (issue 17's figures; core/subject/README.md).
#include <cstdio>
#include <sstream>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/subject/training/subject_eval.h"

namespace hz::cli {
namespace {

void printRow(const char* name, const subject::ScoreSum& sum) {
    std::printf("  %-22s %5d  IoU %.4f  boundary F (3 px) %.4f\n", name, sum.count, sum.meanIoU(), sum.meanBoundaryF());
}

int runEvalSubject(const std::vector<std::string>& argsIn) {
    ArgParser parser("eval-subject", "--data DIR [--data DIR ...] [--subject-model FILE] [--split val|train|all] [options]",
                     "Runs Select Subject on every salient-object photo (portraits, animals, objects, scenes) of\n"
                     "the split, and Select-inside-a-box on every item with the box around its true mask, and\n"
                     "prints the mean IoU and boundary F-measure (3 px) against the true masks, per group.\n"
                     "The split is the one train-subject holds out (by source photo).");
    parser.addOption("data", "DIR", "a data folder (repeatable)");
    parser.addOption("subject-model", "FILE", "subject model, default the shipped one");
    parser.addOption("split", "NAME", "val (default), train or all");
    parser.addOption("limit", "N", "at most N items, evenly spread (default all)");
    parser.addOption("csv", "FILE", "per-item scores: name,group,mode,iou,boundary_f");
    parser.addOption("threads", "N", "LibTorch threads, default every core");
    parser.addFlag("no-graph-cut", "score the box tool without its graph-cut clean-up (the network's mask alone)");
    std::vector<std::string> args = argsIn;
    const auto dataDirs = takeRepeated(args, "data");
    if (!parser.parse(args)) return 0;
    if (dataDirs.empty()) throw UsageError("missing required option --data");
    const auto csv = parser.optional("csv");
    if (csv) checkOutputs({*csv}, dataDirs);
    const auto split = training::parseSplit(parser.optional("split").value_or("val"));
    const int limit = parser.integer("limit", 0, 0, 1000000);

    training::TrainingData data;
    training::LoadOptions load;
    load.maxShortSide = 100000;  // full resolution: the photos as they are on disk
    for (const auto& dir : dataDirs) training::loadFolder(dir, load, data);
    std::vector<int> items = training::splitItems(data, split);
    if (limit > 0 && int(items.size()) > limit) {
        std::vector<int> chosen;
        for (int i = 0; i < limit; ++i) chosen.push_back(items[std::size_t(std::int64_t(i) * std::int64_t(items.size()) / limit)]);
        items = chosen;
    }
    const subject::SubjectPredictor predictor(parser.optional("subject-model").value_or(""), parser.threads());
    std::ostringstream perItem;
    if (csv) perItem << "name,group,mode,iou,boundary_f\n";
    const auto result = subject::evaluateSubject(predictor, data, items, csv ? &perItem : nullptr, !parser.has("no-graph-cut"));
    if (csv) writeFileAtomic(*csv, perItem.str());

    std::printf("eval-subject: %s (%s), %zu items\n", predictor.modelPath().c_str(), predictor.info().modelVersion.c_str(),
                items.size());
    std::printf("Select Subject (whole photo, salient items):\n");
    printRow("all", result.whole);
    for (const auto& [group, sum] : result.wholeByGroup) printRow(group.c_str(), sum);
    std::printf("Inside a box around the true mask:\n");
    printRow("all items", result.box);
    printRow("salient items", result.boxSalient);
    for (const auto& [group, sum] : result.boxByGroup) printRow(group.c_str(), sum);
    std::printf("mean Select Subject time %.1f ms per photo, at each photo's stored size\n", result.milliseconds);
    return 0;
}

Registrar evalSubjectRegistrar{{"eval-subject", "score Select Subject and the box tool on the validation split", runEvalSubject}};

}  // namespace
}  // namespace hz::cli
