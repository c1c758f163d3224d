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
    CalibrationResult result;
    for (std::size_t i = 0; i < options.gains.size(); ++i) {
        EvalOptions eval = options.eval;
        eval.outputGain = options.gains[i];
        const EvalReport report = evaluate(eval);
        result.candidates.push_back({options.gains[i], meanOf(report.rows, Method::Result).fmse});
        if (progress) progress(int(i) + 1, int(options.gains.size()));
    }
    const GainCandidate* best = &result.candidates.front();
    for (const auto& candidate : result.candidates)
        if (candidate.meanFmse < best->meanFmse) best = &candidate;
    result.bestGain = best->gain;
    return result;
}

void writeModelWithOutputGain(const std::string& modelPath, double gain, const std::string& outPath) {
    if (!isValidOutputGain(gain)) throw Error("output gain " + std::to_string(gain) + " is not a number in (0, 4]");
    refuseToOverwriteInputs(outPath, {modelPath});
    HarmonizerNet net;
    ModelMetadata metadata = loadModel(modelPath, net);
    metadata.outputGain = gain;
    saveModel(outPath, net, metadata);
}

}  // namespace hz::training
