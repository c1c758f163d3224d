#include "core/training/test_scales.h"

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"

namespace hz::training {

ScaleChoice chooseExtraInputSizes(const ScaleChoiceOptions& options, const std::function<void(int, int)>& progress) {
    if (options.candidates.empty()) throw Error("choosing test-time scales needs at least one candidate");
    if (options.datasets.empty()) throw Error("choosing test-time scales needs at least one dataset");
    if (!options.eval.useModel) throw Error("choosing test-time scales needs a model");
    for (const auto& candidate : options.candidates)
        for (int side : candidate)
            if (!isValidInputSize(side))
                throw Error("candidate input size " + std::to_string(side) + " is outside 32-" + std::to_string(kMaxInputSize));
    ScaleChoice choice;
    const int total = int(options.candidates.size() * options.datasets.size());
    int done = 0;
    for (const auto& sides : options.candidates) {
        ScaleCandidate candidate;
        candidate.extraInputSizes = sides;
        for (const auto& dataset : options.datasets) {
            EvalOptions eval = options.eval;
            eval.dataset = dataset;
            eval.extraInputSizes = sides;
            const EvalReport report = evaluate(eval);
            const double composite = meanOf(report.rows, Method::Composite).fmse;
            const double result = meanOf(report.rows, Method::Result).fmse;
            candidate.compositeFmse.push_back(composite);
            candidate.resultFmse.push_back(result);
            // A set whose composites are already perfect says nothing about the choice.
            if (composite > 0) candidate.score += result / composite;
            if (progress) progress(++done, total);
        }
        candidate.score /= double(options.datasets.size());
        choice.candidates.push_back(std::move(candidate));
    }
    for (std::size_t i = 1; i < choice.candidates.size(); ++i)
        if (choice.candidates[i].score < choice.candidates[choice.best].score) choice.best = i;
    return choice;
}

void writeModelWithExtraInputSizes(const std::string& modelPath, const std::vector<int>& extraInputSizes,
                                   const std::string& outPath, const std::string& version) {
    refuseToOverwriteInputs(outPath, {modelPath});
    HarmonizerNet net;
    StatisticsHead head{nullptr};
    ModelMetadata metadata = loadModel(modelPath, net, &head);
    metadata.extraInputSizes = extraInputSizes;
    if (!version.empty()) metadata.modelVersion = version;
    saveModel(outPath, net, metadata, head.is_empty() ? nullptr : &head);
}

std::string describeInputSizes(const std::vector<int>& sides) {
    if (sides.empty()) return "none";
    std::string text;
    for (int side : sides) text += (text.empty() ? "" : ",") + std::to_string(side);
    return text;
}

}  // namespace hz::training
