// `harmonizer-cli eval-subject`: Select Subject and the box tool scored end to end at full
// resolution on the validation split (issue 17's figures; core/subject/README.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "app/cli/subject_mask.h"
#include "core/subject/training/subject_eval.h"

namespace hz::cli {
namespace {

void printRow(const char* name, const subject::ScoreSum& sum) {
    std::printf("  %-22s %5d  IoU %.4f  boundary F (3 px) %.4f\n", name, sum.count, sum.meanIoU(), sum.meanBoundaryF());
}

// Select Subject on flat composites (DIR/composite/* with DIR/mask/<stem>.*, the pasted
// region): the editor's "mark what was pasted" case, which the training split's photos do
// not show. Prints the mean and median IoU, the boundary F and how many are below 0.3.
int scoreComposites(const subject::SubjectPredictor& predictor, const std::vector<std::string>& sets,
                    const std::optional<std::string>& csv) {
    std::ostringstream perItem;
    if (csv) perItem << "set,composite,iou,boundary_f\n";
    std::vector<double> ious;
    subject::ScoreSum sum;
    std::map<std::string, subject::ScoreSum> bySet;
    for (const auto& set : sets) {
        const std::string setName = std::filesystem::path(set).lexically_normal().filename().string();
        for (const auto& [imagePath, maskPath] : compositeMaskPairs(set)) {
            const LoadedImage image = loadImage(imagePath);
            cv::Mat truth16 = loadMask(maskPath, image.pixels.size()), truth8;
            truth16.convertTo(truth8, CV_8U, 1.0 / 257.0);
            const subject::MaskScore score = subject::scoreMask(selectSubjectOf(predictor, image, imagePath, std::nullopt), truth8);
            sum.add(score);
            bySet[setName].add(score);
            ious.push_back(score.iou);
            if (csv) perItem << setName << "," << std::filesystem::path(imagePath).filename().string() << "," << score.iou << ","
                             << score.boundaryF << "\n";
        }
    }
    if (ious.empty()) throw Error("no composites in the given --composites folders");
    if (csv) writeFileAtomic(*csv, perItem.str());
    std::sort(ious.begin(), ious.end());
    const std::size_t n = ious.size();
    const double median = n % 2 ? ious[n / 2] : 0.5 * (ious[n / 2 - 1] + ious[n / 2]);
    const auto below = std::count_if(ious.begin(), ious.end(), [](double iou) { return iou < 0.3; });
    std::printf("eval-subject: %s (%s), %zu composites\n", predictor.modelPath().c_str(), predictor.info().modelVersion.c_str(), n);
    std::printf("Select Subject against the pasted region (whole composite):\n");
    printRow("all", sum);
    for (const auto& [name, setSum] : bySet) printRow(name.c_str(), setSum);
    std::printf("  median IoU %.4f, %ld of %zu below 0.3\n", median, long(below), n);
    return 0;
}

int runEvalSubject(const std::vector<std::string>& argsIn) {
    ArgParser parser("eval-subject", "--data DIR [--data DIR ...] [--subject-model FILE] [--split val|train|all] [options]",
                     "Runs Select Subject on every salient-object photo (portraits, animals, objects, scenes) of\n"
                     "the split, and Select-inside-a-box on every item with the box around its true mask, and\n"
                     "prints the mean IoU and boundary F-measure (3 px) against the true masks, per group.\n"
                     "The split is the one train-subject holds out (by source photo).\n"
                     "With --composites DIR instead: Select Subject on each DIR/composite/* against DIR/mask/<stem>.*\n"
                     "(flat composites and their pasted region, such as shared/data/real_composites/dih).");
    parser.addOption("data", "DIR", "a data folder (repeatable)");
    parser.addOption("composites", "DIR", "a folder with composite/ and mask/ (repeatable; instead of --data)");
    parser.addOption("subject-model", "FILE", "subject model, default the shipped one");
    parser.addOption("split", "NAME", "val (default), train or all");
    parser.addOption("limit", "N", "at most N items, evenly spread (default all)");
    parser.addOption("csv", "FILE", "per-item scores: name,group,mode,iou,boundary_f");
    parser.addOption("threads", "N", "LibTorch threads, default every core");
    parser.addFlag("no-graph-cut", "score the box tool without its graph-cut clean-up (the network's mask alone)");
    parser.addFlag("no-mirror", "score the network's single view, without averaging it with the mirrored photo");
    std::vector<std::string> args = argsIn;
    const auto dataDirs = takeRepeated(args, "data");
    const auto compositeSets = takeRepeated(args, "composites");
    if (!parser.parse(args)) return 0;
    if (!dataDirs.empty() && !compositeSets.empty()) throw UsageError("--data and --composites are two different evaluations: give one");
    if (dataDirs.empty() && compositeSets.empty()) throw UsageError("missing required option --data (or --composites)");
    const auto csv = parser.optional("csv");
    if (!compositeSets.empty()) {
        if (csv) checkOutputs({*csv}, compositeSets);
        subject::SubjectPredictor predictor(parser.optional("subject-model").value_or(""), parser.threads());
        predictor.setMirrorAverage(!parser.has("no-mirror"));
        return scoreComposites(predictor, compositeSets, csv);
    }
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
    subject::SubjectPredictor predictor(parser.optional("subject-model").value_or(""), parser.threads());
    predictor.setMirrorAverage(!parser.has("no-mirror"));
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
    // COCO's instance masks often mark an object that is not the photo's subject: the sources
    // apart show how much of the whole-photo figure that is (models/subject.md).
    std::printf("By data folder, Select Subject / box:\n");
    for (const auto& [source, sum] : result.boxBySource) {
        const auto whole = result.wholeBySource.find(source);
        if (whole == result.wholeBySource.end())
            std::printf("  %-20s %4d  box IoU %.4f\n", source.c_str(), sum.count, sum.meanIoU());
        else
            std::printf("  %-20s %4d  IoU %.4f  boundary F %.4f  | %4d  box IoU %.4f\n", source.c_str(),
                        whole->second.count, whole->second.meanIoU(), whole->second.meanBoundaryF(), sum.count,
                        sum.meanIoU());
    }
    std::printf("mean Select Subject time %.1f ms per photo, at each photo's stored size\n", result.milliseconds);
    return 0;
}

Registrar evalSubjectRegistrar{{"eval-subject", "score Select Subject and the box tool on the validation split", runEvalSubject}};

}  // namespace
}  // namespace hz::cli
