#include "core/training/average.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"

namespace hz::training {

void writeAveragedModel(const std::vector<std::string>& modelPaths, const std::vector<double>& weightsIn,
                        const std::string& modelVersion, const std::string& outPath, const std::string& headFrom) {
    if (modelPaths.empty() || (modelPaths.size() < 2 && headFrom.empty()))
        throw Error("averaging needs at least two model files (or one with a head file)");
    std::vector<double> weights = weightsIn.empty() ? std::vector<double>(modelPaths.size(), 1.0) : weightsIn;
    if (weights.size() != modelPaths.size())
        throw Error("averaging: " + std::to_string(weights.size()) + " weights for " + std::to_string(modelPaths.size()) +
                    " model files");
    double sum = 0;
    for (double w : weights) {
        if (!std::isfinite(w) || w < 0) throw Error("averaging: weight " + std::to_string(w) + " is not a number >= 0");
        sum += w;
    }
    if (!(sum > 0)) throw Error("averaging: the weights sum to 0");
    for (double& w : weights) w /= sum;
    std::vector<std::string> inputs = modelPaths;
    if (!headFrom.empty()) inputs.push_back(headFrom);
    refuseToOverwriteInputs(outPath, inputs);

    // The head first: a file without one fails before any averaging.
    StatisticsHead head{nullptr};
    ModelMetadata headMetadata;
    if (!headFrom.empty()) {
        HarmonizerNet headNet;
        headMetadata = loadModel(headFrom, headNet, &head);
        if (head.is_empty()) throw Error("averaging: " + headFrom + " has no statistics head to carry over");
    }

    HarmonizerNet mean;
    ModelMetadata metadata = loadModel(modelPaths.front(), mean);
    torch::NoGradGuard noGrad;
    auto meanParameters = mean->parameters();
    auto meanBuffers = mean->buffers();
    // Float tensors only: the BatchNorm step counters (int64) keep the first model's value.
    const auto scaleFloats = [](std::vector<torch::Tensor>& tensors, double factor) {
        for (auto& t : tensors)
            if (t.is_floating_point()) t.mul_(factor);
    };
    scaleFloats(meanParameters, weights.front());
    scaleFloats(meanBuffers, weights.front());
    for (std::size_t m = 1; m < modelPaths.size(); ++m) {
        HarmonizerNet other;
        loadModel(modelPaths[m], other);
        if (other->backbone() != mean->backbone())
            throw Error("averaging: " + modelPaths[m] + " is " + architectureName(other->backbone()) + " but " +
                        modelPaths.front() + " is " + architectureName(mean->backbone()) + ": only one architecture can be averaged");
        const auto addFloats = [&](std::vector<torch::Tensor>& into, const std::vector<torch::Tensor>& from) {
            for (std::size_t i = 0; i < into.size(); ++i)
                if (into[i].is_floating_point()) into[i].add_(from[i], weights[m]);
        };
        addFloats(meanParameters, other->parameters());
        addFloats(meanBuffers, other->buffers());
    }

    std::ostringstream note;
    note << "Weight average of";
    for (std::size_t m = 0; m < modelPaths.size(); ++m)
        note << (m ? "," : "") << " " << modelPaths[m] << " (x" << weights[m] << ")";
    note << ". First model's notes: " << metadata.trainingNotes;
    metadata.trainingNotes = note.str();
    if (!modelVersion.empty()) metadata.modelVersion = modelVersion;
    // saveModel records the head's width and features from the head itself.
    metadata.statisticsHeadNotes =
        head.is_empty() ? std::string() : headMetadata.statisticsHeadNotes + " (carried over from " + headFrom + ")";
    saveModel(outPath, mean, metadata, head.is_empty() ? nullptr : &head);
}

}  // namespace hz::training
