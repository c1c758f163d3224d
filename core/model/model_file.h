#pragma once
// The weights file (.hzm) that the trainer writes and the predictor reads. It carries its
// own metadata; a missing, truncated or mismatched file is an hz::Error, never a crash.
//
// Layout (all integers little-endian):
//   magic "HZMODEL\0" (8 bytes) | u32 format version | u32 reserved (0) | u64 total file length
//   | u64 metadata length | metadata: UTF-8 JSON object
//   | u32 tensor count | per tensor: u16 name length, name (UTF-8), u8 dtype (1 = float32,
//     2 = int64), u8 rank, rank x i64 dims, raw data (row-major)
//   | u64 FNV-1a 64 checksum of every byte before it.
// Tensors are every parameter and buffer of HarmonizerNet by its LibTorch name
// (e.g. "blocks.3.depthwise.bn.running_var"), BatchNorm running statistics included.
#include <cstdint>
#include <string>
#include <vector>

#include "core/model/network.h"
#include "core/model/statistics_head.h"

namespace hz {

inline constexpr int kModelFormatVersion = 1;

struct ModelMetadata {
    int formatVersion = kModelFormatVersion;
    // The square side the predictor resizes to: the training size, or a larger side chosen
    // by `harmonizer-cli calibrate` (see core/training/calibrate.h).
    int inputSize = 256;
    std::vector<std::string> filterOrder;     // spec keys in restore order
    std::string modelVersion;                 // e.g. "2026.11-scratch-1"
    std::string trainingNotes;                // free text: data, recipe, steps
    // The network's raw outputs are multiplied by this before clamping (a calibration: a
    // regressor trained with squared errors shrinks its answers toward 0; `harmonizer-cli
    // calibrate` measures the factor on training photos). 1 when the file has none.
    double outputGain = 1.0;
    // Test-time scales for a still image (PredictorOptions::extraInputSizes): the network also
    // runs at these sides and the values are averaged; chosen by `harmonizer-cli choose-scales`
    // on validation photos other than the reported sets (not training photos: see test_scales.h). Empty when the file has none (the input size alone).
    std::vector<int> extraInputSizes;
    // The network's backbone (the file's `architecture`; files written before MobileNetV2
    // existed say "harmonizer-efficientnet-b0" and keep loading as that).
    Backbone architecture = Backbone::EfficientNetB0;
    // The statistics head (statistics_head.h) stored with the network: its hidden width, or 0
    // when the file has none; and how it was trained.
    int statisticsHeadHidden = 0;
    // Which features the head reads (the metadata's "features" count; files from before the
    // boundary block have none and read Regions).
    StatisticsFeatureSet statisticsFeatureSet = StatisticsFeatureSet::Regions;
    std::string statisticsHeadNotes;
};

// Valid output gains: finite, in (0, 4].
bool isValidOutputGain(double gain);
// Valid input sides: 32 to kMaxInputSize (the body is fully convolutional and pools
// globally). The bound keeps a model file from asking for gigabytes: a side of 4096 needs
// over 10 GB of activations, 1024 about 0.7 GB.
constexpr int kMaxInputSize = 1024;
bool isValidInputSize(int side);
// Throws hz::Error "<context>network input size must be 32 to kMaxInputSize, got N" for the
// first side out of range: the predictor and train-head check the sides they will run at.
void checkInputSides(const std::vector<int>& sides, const std::string& context = "");

// The spec's filter keys in restore order (what filterOrder must hold).
std::vector<std::string> restoreOrderKeys();

// Writes atomically (temporary file + rename). An empty filterOrder is written as
// restoreOrderKeys(); formatVersion is always the current one. Throws hz::Error.
// With `head`, its tensors are stored too (named kStatisticsHeadPrefix + name) and the metadata
// records it; without, the file has none.
void saveModel(const std::string& path, HarmonizerNet& net, const ModelMetadata& metadata,
               StatisticsHead* head = nullptr);
// The container written atomically with any module's parameters and buffers (by LibTorch
// name, registration order) after a UTF-8 JSON metadata text; saveModel and the subject
// model file (core/subject/subject_model.h) use it. Throws hz::Error.
// `extra` (optional): a second module whose tensors are stored after the first's, each name
// prefixed with `extraPrefix`.
void writeHzmModule(const std::string& path, const std::string& metadataJson, torch::nn::Module& module,
                    torch::nn::Module* extra = nullptr, const std::string& extraPrefix = "");
// Loads weights into `net` and returns the metadata. When the file's architecture differs
// from `net`'s, `net` is replaced by a fresh network of the file's architecture (so hold no
// references to the old module's parameters across this call, e.g. in an optimizer).
// Everything is validated before `net` is touched: on any error `net` is unchanged.
// `head` (optional) receives the file's statistics head, or an empty holder when the file has
// none; without `head` a stored head is ignored (the trainer and calibrate work on the network).
ModelMetadata loadModel(const std::string& path, HarmonizerNet& net, StatisticsHead* head = nullptr);
// The metadata alone (the whole file is still checked: signature, length, checksum).
ModelMetadata readModelMetadata(const std::string& path);

}  // namespace hz
