#pragma once
// The training loop of spec section 4 with resumable checkpoints (see README.md).
//
// RUN_DIR holds: checkpoint/ (model.hzm, optimizer.pt, torch_rng.pt, state.json; swapped
// in atomically), last.hzm, best.hzm (lowest mean validation fMSE), log.csv (one row per
// validation), val_items.txt (the validation split: item name, source photo id).
#include <atomic>
#include <string>
#include <vector>

namespace hz::training {

struct TrainOptions {
    std::vector<std::string> dataDirs;
    std::string runDir;
    int size = 128;
    int batchSize = 16;
    int steps = 20000;
    double learningRate = 3e-4;
    unsigned seed = 1;
    bool resume = false;
    int threads = 0;               // 0 = every core
    int valEvery = 500;
    int checkpointEvery = 500;
    int logEvery = 20;
    int valMax = 400;              // validation items per family (evenly spaced subset of the split)
    std::string initModel;         // start from these weights (ignored when resuming)
    // The backbone of a fresh network: "efficientnet-b0" (default) or "mobilenet-v2". Empty =
    // the default, or the architecture of --init / the checkpoint, which always win.
    std::string architecture;
    // ImageNet MobileNetV2 weights (safetensors, torchvision names) for a fresh mobilenet-v2
    // network; BatchNorm is then matched to the pretrained function on a training batch.
    std::string pretrained;
    std::string lutDir;            // folder of .cube LUTs: adds the LUT family to the other half
    double lutShare = 0.5;         // share of the other half's synthetic composites that use a LUT
    double mildShare = 0.0;        // share of samples whose perturbation is scaled down (BatchConfig::mildProbability)
    std::string schedule = "step"; // "step" (x0.1 at 60% and 85%) or "cosine"; both after a linear warm-up
    int warmupSteps = -1;          // -1 = min(500, steps / 20)
    double clipNorm = 2.0;         // gradient norm clip
    // The dynamic loss is normalised per sample (about 1 whatever the error), while the
    // final-step losses are absolute, so these weights set how much each half steers.
    double transferWeight = 10.0;  // final-step loss on the other (transfer) half; the spec's 10
    double sixFinalWeight = 0.0;   // extra final-step loss on the six-filter half; 0 = the spec's loss alone
    double argumentWeight = 0.0;   // argumentLoss on the six-filter half; 0 = the spec's image losses alone
    // argumentLoss on the other half against the filters' best values fitted to each sample
    // (BatchConfig::otherFitSide); 0 = none.
    double fittedArgumentWeight = 0.0;
    // argumentLoss on the six-filter half against values fitted to each sample the same way
    // (BatchConfig::sixFitSide); 0 = none. Used with a small argumentWeight, or instead of it.
    double sixFittedArgumentWeight = 0.0;
    int fitSide = 48;
    int valPercent = 10;           // share of source photos in the validation split
    int stopAtStep = 0;            // > 0: checkpoint and return after this step (schedule still uses `steps`)
    const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT): checkpoint and return
};

struct TrainSummary {
    int finalStep = 0;
    double bestValFmse = -1;      // -1 when never validated
    bool stoppedEarly = false;
    double msPerSample = 0;       // mean training time per sample in this process
};

// Learning rate at a (1-based) step.
double learningRateAt(const TrainOptions& options, int step);

// Throws hz::Error for bad data, an unwritable RUN_DIR, or --resume without a checkpoint.
TrainSummary train(const TrainOptions& options);

}  // namespace hz::training
