#pragma once
// Turns the in-memory data into training batches (augmented, half six-filter pairs, half
// transfer-family or real composites) and into fixed validation sets.
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/training/dataset.h"
#include "core/training/lut.h"

namespace hz::training {

enum class Family { SixFilter, Transfer, Lut };
Family parseFamily(const std::string& text);  // "sixfilter" | "transfer" | "lut"
const char* familyName(Family family);

struct BatchConfig {
    int size = 128;                       // square training size
    double borrowMaskProbability = 0.15;  // a mask from another photo
    double jitterProbability = 0.8;       // mild global colour jitter of the photo
    double rotateProbability = 0.3;       // a 90/180/270 degree rotation
    double pairProbability = 0.5;         // other half: a real composite pair, when the data has any
    // Other half, when not a pair: a LUT composite with this probability (when `luts` is
    // given and not empty), else the transfer family.
    const std::vector<Lut3d>* luts = nullptr;
    double lutProbability = 0.5;
    // A sample's perturbation is, with this probability, scaled down by u ~ U(0, 1): six-filter
    // arguments times u, other-family composites blended back toward the photo by 1 - u. The
    // families otherwise always change the foreground a lot, so a network never sees a
    // foreground that is already (nearly) right, and corrects every one (session 17: on the
    // LUT set, 121 of 474 composites under fMSE 200 were made worse, 116 -> 324 on average).
    // 0 draws nothing extra, so runs without it keep their random stream.
    double mildProbability = 0.0;
    // > 0: fit the filters' best values to each sample of the other half against its real
    // photo (fitFilterValuesBatch on a copy this many px a side), for a direct argument loss
    // there too (Batch::otherFitted). 0: none.
    int otherFitSide = 0;
    int otherFitIterations = 60;  // Adam steps of either fit
    // > 0: the same fit for the six-filter half (Batch::sixFitted). Its "true" restoring values
    // are not the best image where brightening clipped or where filters overlap (model card,
    // session 14); the fitted ones are.
    int sixFitSide = 0;
};

// One augmented photo at size x size: BGR uint8, its mask (uint8) and, for a real composite
// pair, the composite after the same geometric augmentation.
struct AugmentedSample {
    cv::Mat photo, mask, composite;
};

AugmentedSample augmentedSample(const TrainingData& data, int item, const std::vector<int>& pool,
                                const BatchConfig& config, bool allowBorrowedMask, std::mt19937& rng);

struct Batch {
    torch::Tensor composite;             // [N,3,S,S] RGB in [0,1], the network's input
    torch::Tensor mask;                  // [N,1,S,S]
    torch::Tensor real;                  // [N,3,S,S] the ground truth
    std::vector<torch::Tensor> targets;  // 6 x [K,3,S,S] per-step targets of samples [0, K)
    torch::Tensor sixRestoring;          // [K,6] restoringArgsFor() of samples [0, K): the values that undo them
    torch::Tensor otherFitted;           // [N-K,6] the filters' best values for samples [K, N) (BatchConfig::otherFitSide > 0)
    torch::Tensor sixFitted;             // [K,6] the filters' best values for samples [0, K) (BatchConfig::sixFitSide > 0)
    int sixFilterCount = 0;              // K: samples [0, K) are six-filter pairs, the rest final-output-only
    std::vector<int> items;
    // Each sample's family; a real composite pair counts as Transfer (a whole colour change
    // from another photo). train-head reports and weights the LUT samples on their own.
    std::vector<Family> families;
};

// The data `train` and `train-head` draw from: every folder loaded with some room above
// `size` for crops, photos without masks given borrowed ones, the LUTs split by name and the
// items split by source photo.
struct TrainingSplit {
    TrainingData data;
    std::size_t lutCount = 0;
    std::vector<Lut3d> trainLuts, valLuts;
    std::vector<int> trainItems;  // the validation items when a tiny set hashes entirely into validation
    std::vector<int> valItems;
    int borrowedMaskItems = 0;
};
TrainingSplit loadTrainingSplit(const std::vector<std::string>& dataDirs, int size, const std::string& lutDir, int valPercent);

// Draws batchSize items from `pool` (training item indices); the first half are six-filter pairs.
Batch makeTrainingBatch(const TrainingData& data, const std::vector<int>& pool, int batchSize, const BatchConfig& config,
                        std::mt19937& rng);

// A fixed evaluation set: the whole photo resized to size x size, one perturbation per item
// drawn from a generator seeded by the item's position (not by --seed), stored as uint8 to
// keep it small; convert slices with toFloat().
struct ValidationSet {
    Family family = Family::SixFilter;
    torch::Tensor composite, real, mask;  // uint8 [V,3,S,S], [V,3,S,S], [V,1,S,S]
    torch::Tensor sixRestoring;           // float [V,6] restoringArgsFor() of each item (six-filter family only)
    std::vector<int> items;
    std::int64_t size() const { return composite.defined() ? composite.size(0) : 0; }
};

// Family::Lut needs `luts` (not empty).
ValidationSet makeValidationSet(const TrainingData& data, const std::vector<int>& items, Family family, int size,
                                const std::vector<Lut3d>* luts = nullptr);

// Whole-photo composite of one item for a family at the photo's stored resolution, with the
// perturbation drawn from `rng` (used by make-evalset). Returns BGR uint8; `maskOut` gets
// the item's mask (uint8).
cv::Mat makeComposite(const TrainingData& data, int item, const std::vector<int>& referencePool, Family family,
                      std::mt19937& rng, const std::vector<Lut3d>* luts = nullptr,
                      std::array<double, kFilterCount>* sixFilterArgs = nullptr);  // six-filter: the perturbation drawn

// uint8 tensor -> float in [0,1].
torch::Tensor toFloat(const torch::Tensor& bytes);
// BGR images / masks, 8- or 16-bit (or float in [0,1]) -> [N,3,H,W] RGB / [N,1,H,W] float in [0,1].
torch::Tensor imagesToTensor(const std::vector<cv::Mat>& bgr);
torch::Tensor masksToTensor(const std::vector<cv::Mat>& masks);
// [3,H,W] RGB float in [0,1] -> BGR uint8 (rounded).
cv::Mat tensorToBgr8(const torch::Tensor& rgb);

}  // namespace hz::training
