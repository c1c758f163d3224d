#include "core/training/calibrate.h"

#include <string>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"

namespace hz::training {

CalibrationResult calibrateOutputGain(const CalibrationOptions& options, const std::function<void(int, int)>& progress) {
    if (options.gains.empty()) throw Error("calibration needs at least one candidate gain");
    if (!options.eval.useModel) throw Error("calibration needs a model");
    for (double gain : options.gains)
        if (!isValidOutputGain(gain))
            throw Error("candidate gain " + std::to_string(gain) + " is not a number in (0, 4]");
    for (int side : options.inputSizes)
        if (!isValidInputSize(side))
            throw Error("candidate input size " + std::to_string(side) + " is outside 32-" + std::to_string(kMaxInputSize));
    std::vector<int> sizes = options.inputSizes;
    if (sizes.empty()) {
        HarmonizerNet net;
        sizes.push_back(loadModel(options.eval.modelPath, net).inputSize);
    }
    CalibrationResult result;
    const int total = int(sizes.size() * options.gains.size());
    for (int side : sizes) {
        for (double gain : options.gains) {
            EvalOptions eval = options.eval;
            eval.outputGain = gain;
            eval.inputSize = side;
            const EvalReport report = evaluate(eval);
            result.candidates.push_back({gain, side, meanOf(report.rows, Method::Result).fmse});
            if (progress) progress(int(result.candidates.size()), total);
        }
    }
    const GainCandidate* best = &result.candidates.front();
    for (const auto& candidate : result.candidates)
        if (candidate.meanFmse < best->meanFmse) best = &candidate;
    result.bestGain = best->gain;
    result.bestInputSize = best->inputSize;
    return result;
}

void writeCalibratedModel(const std::string& modelPath, double gain, int inputSize, const std::string& outPath,
                          const std::string& version, const std::string& notes) {
    if (!isValidOutputGain(gain)) throw Error("output gain " + std::to_string(gain) + " is not a number in (0, 4]");
    if (inputSize > 0 && !isValidInputSize(inputSize))
        throw Error("input size " + std::to_string(inputSize) + " is outside 32-" + std::to_string(kMaxInputSize));
    refuseToOverwriteInputs(outPath, {modelPath});
    HarmonizerNet net;
    ModelMetadata metadata = loadModel(modelPath, net);
    metadata.outputGain = gain;
    if (inputSize > 0) metadata.inputSize = inputSize;
    if (!version.empty()) metadata.modelVersion = version;
    if (!notes.empty()) metadata.trainingNotes = notes;
    saveModel(outPath, net, metadata);
}

}  // namespace hz::training
