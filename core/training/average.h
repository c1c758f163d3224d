#pragma once
// Weight averaging ("model soup"): the element-wise weighted mean of several networks'
// parameters and BatchNorm statistics, saved as one model file. Networks fine-tuned from the
// same weights tend to stay in one basin of the loss, where the mean of two of them often
// predicts better than either (and costs nothing at run time, unlike an ensemble).
#include <string>
#include <vector>

namespace hz::training {

// Writes atomically to `outPath` the weighted mean of the model files in `modelPaths` (at
// least two, or one with `headFrom`). `weights`: one per model, non-negative with a positive
// sum (normalised here); empty = equal weights. The metadata is the first model's (input size,
// output gain, filter order), with `modelVersion` and a note naming the inputs and weights.
// The networks' own heads are dropped (a head is fitted to one network's values), unless
// `headFrom` names a model file whose statistics head the result should carry: meant for
// networks fine-tuned from the one that head was fitted on, so that a soup or a continued run
// can be judged with a head before the cost of fitting its own (train-head). Throws hz::Error
// for bad weights, unreadable models, a `headFrom` without a head, or an output path that is
// one of the inputs.
void writeAveragedModel(const std::vector<std::string>& modelPaths, const std::vector<double>& weights,
                        const std::string& modelVersion, const std::string& outPath,
                        const std::string& headFrom = "");

}  // namespace hz::training
