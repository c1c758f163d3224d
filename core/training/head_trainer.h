#pragma once
// Trains the statistics head (core/model/statistics_head.h) on top of a finished network:
// generates training composites of all three families from the training split (the same
// batches as `train`), records the network's values for each (as the predictor would: gain,
// views, clamp) and the composites' statistics, then fits the head on them with the
// final-image loss (all families) plus the argument loss (six-filter family), at a small side.
// The network itself is not changed.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/model/statistics_head.h"

namespace hz::training {

struct HeadTrainingOptions {
    std::vector<std::string> dataDirs;
    std::string lutDir;          // HYouTube-style LUTs for the LUT family (empty: six-filter + transfer only)
    std::string modelPath;       // the network (any head it has is replaced)
    std::string outPath;         // model file to write: the network plus the trained head
    std::string cachePath;       // optional: generated samples are saved here, and read back when present
    std::vector<std::string> extraCaches;  // more caches (other seeds) whose training samples are added
    std::string version;         // model version to store (default: the input's + "-head")
    int size = 256;              // composite side (the network sees it at its own input size)
    int samples = 8000;          // training samples to generate (half six-filter, half other families)
    int valSamples = 480;        // from validation photos, for the report only
    int views = 2;               // the network's test-time views while generating
    // Test-time scales while generating: the network also runs at these sides and the values
    // are averaged, as the predictor does for a still image, so that the head learns to correct
    // the values it will be given. Unset: the model file's extra_input_sizes. The written file
    // carries this list, and a cache records the sides it was made with.
    std::optional<std::vector<int>> extraInputSizes;
    int steps = 4000;
    int batch = 256;
    int hidden = 128;
    // A cache must hold this set's features (a boundary cache also serves Regions: its first columns).
    StatisticsFeatureSet featureSet = StatisticsFeatureSet::RegionsAndBoundary;
    int lossSide = 64;           // side of the images the loss renders
    double lr = 1e-3;
    double weightDecay = 1e-4;
    double argWeight = 1.0;      // argument loss (six-filter samples) against the image loss
    double otherWeight = 1.0;    // weight of the image loss on transfer and LUT samples (six-filter: 1)
    std::optional<double> lutWeight;  // LUT samples alone (default otherWeight; needs a cache that records them)
    double mildShare = 0.0;      // training samples only: BatchConfig::mildProbability (the report stays at full strength)
    int seed = 1;
    int threads = 0;             // 0: every core
    int valPercent = 10;         // the trainer's split by source photo
    int logEvery = 500;
};

struct HeadFamilyFigures {
    int count = 0;
    double compositeFmse = 0, networkFmse = 0, headFmse = 0;  // at lossSide, 0-255 scale
};

struct HeadTrainingReport {
    HeadFamilyFigures sixFilter, other;                 // validation samples
    HeadFamilyFigures transfer, lut;                    // `other` split (counts 0 for a cache that does not record it)
    std::vector<double> networkR2, headR2;              // six-filter validation samples, per filter
    double trainNetworkFmse = 0, trainHeadFmse = 0;     // all training samples, at lossSide
    int trainSamples = 0;
    double seconds = 0;
};

// A feature set's name on the command line and in a head's notes ("regions", "boundary"), and back.
const char* featureSetKey(StatisticsFeatureSet set);
std::optional<StatisticsFeatureSet> featureSetWithKey(const std::string& key);

// Throws hz::Error. `log` receives progress lines.
HeadTrainingReport trainStatisticsHead(const HeadTrainingOptions& options, const std::function<void(const std::string&)>& log);

}  // namespace hz::training
