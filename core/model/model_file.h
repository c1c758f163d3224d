#pragma once
// The weights file (.hzm) that the trainer writes and the predictor reads. It carries its
// own metadata; a missing, truncated or mismatched file is an hz::Error, never a crash.
#include <string>
#include <vector>

#include "core/model/network.h"

namespace hz {

struct ModelMetadata {
    int formatVersion = 1;
    int inputSize = 256;                      // the network's square input side
    std::vector<std::string> filterOrder;     // spec keys in restore order
    std::string modelVersion;                 // e.g. "2026.11-scratch-1"
    std::string trainingNotes;                // free text: data, recipe, steps
};

void saveModel(const std::string& path, HarmonizerNet& net, const ModelMetadata& metadata);
// Loads weights into `net` (which must have the standard architecture) and returns the metadata.
ModelMetadata loadModel(const std::string& path, HarmonizerNet& net);

}  // namespace hz
