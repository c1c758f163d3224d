#include "core/training/batch.h"
#include "core/training/oracle.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/image_io.h"
#include "core/training/perturb.h"

namespace hz::training {
namespace {

double uniform(std::mt19937& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool chance(std::mt19937& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

// BatchConfig::mildProbability: 1, or u ~ U(0, 1) for a mild sample.
double mildScale(const BatchConfig& config, std::mt19937& rng) {
    if (config.mildProbability <= 0.0) return 1.0;
    return chance(rng, config.mildProbability) ? uniform(rng, 0.0, 1.0) : 1.0;
}
int pick(std::mt19937& rng, std::size_t count) { return std::uniform_int_distribution<int>(0, int(count) - 1)(rng); }

cv::Mat resizeSquare(const cv::Mat& image, int size) {
    if (image.rows == size && image.cols == size) return image.clone();
    cv::Mat out;
    const bool shrinking = image.rows > size || image.cols > size;
    cv::resize(image, out, {size, size}, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    return out;
}

double foregroundFraction(const cv::Mat& mask8) { return cv::mean(mask8)[0] / 255.0; }

void flipAndRotate(cv::Mat& image, bool flip, int quarterTurns) {
    if (image.empty()) return;
    if (flip) cv::flip(image, image, 1);
    if (quarterTurns == 1) cv::rotate(image, image, cv::ROTATE_90_CLOCKWISE);
    if (quarterTurns == 2) cv::rotate(image, image, cv::ROTATE_180);
    if (quarterTurns == 3) cv::rotate(image, image, cv::ROTATE_90_COUNTERCLOCKWISE);
}

// Mild global colour jitter: a per-channel gain and a shared gamma, as one 8-bit table.
cv::Mat jitterTable(std::mt19937& rng) {
    const double gamma = std::exp(uniform(rng, -0.1, 0.1));
    cv::Mat table(1, 256, CV_8UC3);
    double gains[3];
    for (double& gain : gains) gain = uniform(rng, 0.94, 1.06);
    for (int v = 0; v < 256; ++v)
        for (int c = 0; c < 3; ++c)
            table.at<cv::Vec3b>(0, v)[c] = cv::saturate_cast<std::uint8_t>(std::lround(255.0 * std::pow(std::min(1.0, gains[c] * v / 255.0), gamma)));
    return table;
}

// Training data is 8-bit, but evaluation sets and photos may be 16-bit (loadMask keeps a
// 16-bit mask's levels), so the scale follows the depth.
double unitScaleOf(const cv::Mat& image) {
    switch (image.depth()) {
        case CV_8U: return 1.0 / 255.0;
        case CV_16U: return 1.0 / 65535.0;
        default: return 1.0;
    }
}

cv::Mat toRgbFloat(const cv::Mat& bgr) {
    cv::Mat rgb, out;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(out, CV_32F, unitScaleOf(bgr));
    return out;
}

cv::Mat toMaskFloat(const cv::Mat& mask) {
    cv::Mat out;
    mask.convertTo(out, CV_32F, unitScaleOf(mask));
    return out;
}

cv::Mat rgbFloatToBgr8(const cv::Mat& rgb) {
    cv::Mat bgr, out;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    bgr.convertTo(out, CV_8U, 255.0);  // rounds and saturates
    return out;
}

// The region a transfer-family foreground is pulled toward: another photo's foreground or
// background, chosen at random.
void referenceRegion(const TrainingData& data, const std::vector<int>& pool, int self, std::mt19937& rng, cv::Mat& rgb,
                     cv::Mat& weights) {
    int other = pool[std::size_t(pick(rng, pool.size()))];
    if (other == self && pool.size() > 1) other = pool[std::size_t(pick(rng, pool.size()))];
    const MaskedItem& item = data.items[std::size_t(other)];
    // Statistics need no detail: a small copy keeps the Lab conversion cheap.
    rgb = toRgbFloat(resizeSquare(data.photoOf(item).bgr, 96));
    weights = toMaskFloat(resizeSquare(item.mask, 96));
    if (chance(rng, 0.5)) weights = 1.0f - weights;
}

cv::Mat transferComposite(const TrainingData& data, const std::vector<int>& pool, int self, const cv::Mat& photoBgr,
                          const cv::Mat& mask8, std::mt19937& rng) {
    cv::Mat referenceRgb, referenceWeights;
    referenceRegion(data, pool, self, rng, referenceRgb, referenceWeights);
    const TransferRecipe recipe = drawTransferRecipe(rng);
    return applyTransfer(toRgbFloat(photoBgr), toMaskFloat(mask8), referenceRgb, referenceWeights, recipe);
}

cv::Mat lutComposite(const std::vector<Lut3d>* luts, const cv::Mat& photoBgr, const cv::Mat& mask8, std::mt19937& rng) {
    if (!luts || luts->empty()) throw hz::Error("the LUT family needs LUTs (give --luts DIR)");
    const LutRecipe recipe = drawLutRecipe(luts->size(), rng);
    return applyLutComposite(toRgbFloat(photoBgr), toMaskFloat(mask8), (*luts)[std::size_t(recipe.lut)], recipe.strength);
}

torch::Tensor rgbFloatToTensor(const std::vector<cv::Mat>& rgb) {
    const int n = int(rgb.size());
    auto out = torch::empty({n, 3, rgb[0].rows, rgb[0].cols}, torch::kFloat32);
    for (int i = 0; i < n; ++i) {
        cv::Mat contiguous = rgb[std::size_t(i)].isContinuous() ? rgb[std::size_t(i)] : rgb[std::size_t(i)].clone();
        out[i].copy_(torch::from_blob(contiguous.data, {contiguous.rows, contiguous.cols, 3}, torch::kFloat32).permute({2, 0, 1}));
    }
    return out;
}

}  // namespace

Family parseFamily(const std::string& text) {
    if (text == "sixfilter") return Family::SixFilter;
    if (text == "transfer") return Family::Transfer;
    if (text == "lut") return Family::Lut;
    throw hz::Error("unknown perturbation family '" + text + "' (expected sixfilter, transfer or lut)");
}

const char* familyName(Family family) {
    switch (family) {
        case Family::SixFilter: return "sixfilter";
        case Family::Lut: return "lut";
        case Family::Transfer: break;
    }
    return "transfer";
}

AugmentedSample augmentedSample(const TrainingData& data, int itemIndex, const std::vector<int>& pool,
                                const BatchConfig& config, bool allowBorrowedMask, std::mt19937& rng) {
    const MaskedItem& item = data.items[std::size_t(itemIndex)];
    const cv::Mat& photo = data.photoOf(item).bgr;
    const int width = photo.cols, height = photo.rows, shortSide = std::min(width, height);

    cv::Rect crop(0, 0, width, height);
    for (int attempt = 0; attempt < 8; ++attempt) {
        const double scale = uniform(rng, 0.55, 1.0), aspect = std::exp(uniform(rng, -0.2, 0.2));
        const int w = std::clamp(int(std::lround(scale * shortSide * std::sqrt(aspect))), 8, width);
        const int h = std::clamp(int(std::lround(scale * shortSide / std::sqrt(aspect))), 8, height);
        const cv::Rect candidate(std::uniform_int_distribution<int>(0, width - w)(rng),
                                 std::uniform_int_distribution<int>(0, height - h)(rng), w, h);
        if (foregroundFraction(item.mask(candidate)) >= 0.02) {
            crop = candidate;
            break;
        }
    }
    AugmentedSample sample;
    sample.photo = resizeSquare(photo(crop), config.size);
    sample.mask = resizeSquare(item.mask(crop), config.size);
    if (item.isPair()) sample.composite = resizeSquare(item.composite(crop), config.size);

    const bool flip = chance(rng, 0.5);
    const int turns = chance(rng, config.rotateProbability) ? std::uniform_int_distribution<int>(1, 3)(rng) : 0;
    flipAndRotate(sample.photo, flip, turns);
    flipAndRotate(sample.mask, flip, turns);
    flipAndRotate(sample.composite, flip, turns);

    if (allowBorrowedMask && !item.isPair() && chance(rng, config.borrowMaskProbability)) {
        const MaskedItem& donor = data.items[std::size_t(pool[std::size_t(pick(rng, pool.size()))])];
        cv::Mat borrowed = resizeSquare(donor.mask, config.size);
        flipAndRotate(borrowed, chance(rng, 0.5), 0);
        const double fraction = foregroundFraction(borrowed);
        if (fraction >= 0.02 && fraction <= 0.8) sample.mask = borrowed;
    }
    if (chance(rng, config.jitterProbability)) {
        const cv::Mat table = jitterTable(rng);
        cv::LUT(sample.photo, table, sample.photo);
        if (!sample.composite.empty()) cv::LUT(sample.composite, table, sample.composite);
    }
    return sample;
}

Batch makeTrainingBatch(const TrainingData& data, const std::vector<int>& pool, int batchSize, const BatchConfig& config,
                        std::mt19937& rng) {
    if (pool.empty()) throw hz::Error("no training items");
    std::vector<int> pairPool;
    for (int index : pool)
        if (data.items[std::size_t(index)].isPair()) pairPool.push_back(index);

    Batch batch;
    batch.sixFilterCount = std::max(1, batchSize / 2);
    std::vector<cv::Mat> compositeRgb, realRgb, masks;
    std::vector<float> args;
    for (int i = 0; i < batchSize; ++i) {
        const bool sixFilter = i < batch.sixFilterCount;
        const bool usePair = !sixFilter && !pairPool.empty() && chance(rng, config.pairProbability);
        const int index = usePair ? pairPool[std::size_t(pick(rng, pairPool.size()))] : pool[std::size_t(pick(rng, pool.size()))];
        batch.items.push_back(index);
        AugmentedSample sample = augmentedSample(data, index, pool, config, /*allowBorrowedMask=*/true, rng);
        realRgb.push_back(toRgbFloat(sample.photo));
        masks.push_back(toMaskFloat(sample.mask));
        if (sixFilter) {
            auto r = drawSixFilterArgs(rng);
            const double scale = mildScale(config, rng);
            for (double& value : r) value *= scale;
            args.insert(args.end(), r.begin(), r.end());
            batch.families.push_back(Family::SixFilter);
        } else if (usePair) {
            compositeRgb.push_back(toRgbFloat(sample.composite));
            batch.families.push_back(Family::Transfer);
        } else {
            const bool lut = config.luts && !config.luts->empty() && chance(rng, config.lutProbability);
            cv::Mat composite = lut ? lutComposite(config.luts, sample.photo, sample.mask, rng)
                                    : transferComposite(data, pool, index, sample.photo, sample.mask, rng);
            batch.families.push_back(lut ? Family::Lut : Family::Transfer);
            const double scale = mildScale(config, rng);
            // photo + scale * (composite - photo): the background, where both are equal, stays exact.
            if (scale < 1.0) {
                const cv::Mat& photo = realRgb.back();  // this sample's photo, already converted above
                cv::scaleAdd(composite - photo, scale, photo, composite);
            }
            compositeRgb.push_back(composite);
        }
    }
    batch.real = rgbFloatToTensor(realRgb);
    batch.mask = torch::empty({batchSize, 1, config.size, config.size}, torch::kFloat32);
    for (int i = 0; i < batchSize; ++i)
        batch.mask[i][0].copy_(torch::from_blob(masks[std::size_t(i)].data, {config.size, config.size}, torch::kFloat32));

    const int k = batch.sixFilterCount;
    const auto argTensor = torch::from_blob(args.data(), {k, kFilterCount}, torch::kFloat32).clone();
    const SixFilterPair pair = makeSixFilterPair(batch.real.narrow(0, 0, k), batch.mask.narrow(0, 0, k), argTensor);
    batch.targets = pair.targets;
    batch.sixRestoring = restoringArgsFor(batch.real.narrow(0, 0, k), batch.mask.narrow(0, 0, k), argTensor);
    if (batchSize > k) batch.composite = torch::cat({pair.composite, rgbFloatToTensor(compositeRgb)}, 0);
    else batch.composite = pair.composite;
    // The filters' best values for samples [first, first + count), fitted on a copy `side` px long.
    const auto fitted = [&](int first, int count, int side) {
        const auto shrink = [&](const torch::Tensor& t) { return areaShrinkToLongSide(t.narrow(0, first, count), side); };
        return fitFilterValuesBatch(shrink(batch.composite), shrink(batch.mask), shrink(batch.real), config.otherFitIterations, 0.05);
    };
    if (config.sixFitSide > 0 && k > 0) batch.sixFitted = fitted(0, k, config.sixFitSide);
    if (config.otherFitSide > 0 && batchSize > k) batch.otherFitted = fitted(k, batchSize - k, config.otherFitSide);
    return batch;
}

TrainingSplit loadTrainingSplit(const std::vector<std::string>& dataDirs, int size, const std::string& lutDir, int valPercent) {
    TrainingSplit split;
    LoadOptions loadOptions;
    loadOptions.maxShortSide = int(std::lround(size * 1.25));
    loadOptions.keepMasklessPhotos = true;
    for (const auto& dir : dataDirs) loadFolder(dir, loadOptions, split.data);
    if (!split.data.masklessPhotos.empty()) split.borrowedMaskItems = addBorrowedMaskItems(split.data, 1);
    if (!lutDir.empty()) {
        const auto luts = readLutFolder(lutDir);
        split.lutCount = luts.size();
        split.trainLuts = lutSplit(luts, /*validation=*/false);
        split.valLuts = lutSplit(luts, /*validation=*/true);
    }
    split.trainItems = splitItems(split.data, Split::Train, valPercent);
    split.valItems = splitItems(split.data, Split::Val, valPercent);
    if (split.trainItems.empty()) split.trainItems = split.valItems;
    return split;
}

ValidationSet makeValidationSet(const TrainingData& data, const std::vector<int>& items, Family family, int size,
                                const std::vector<Lut3d>* luts) {
    ValidationSet set;
    set.family = family;
    set.items = items;
    const auto v = std::int64_t(items.size());
    set.composite = torch::empty({v, 3, size, size}, torch::kUInt8);
    set.real = torch::empty({v, 3, size, size}, torch::kUInt8);
    set.mask = torch::empty({v, 1, size, size}, torch::kUInt8);
    if (family == Family::SixFilter) set.sixRestoring = torch::empty({v, kFilterCount}, torch::kFloat32);
    for (std::int64_t k = 0; k < v; ++k) {
        const MaskedItem& item = data.items[std::size_t(items[std::size_t(k)])];
        // Seeded by position: the same perturbation at every evaluation and in every run.
        std::mt19937 rng(std::uint32_t(0x5EED0000u + std::uint32_t(k) * 7919u));
        const cv::Mat photo = resizeSquare(data.photoOf(item).bgr, size);
        const cv::Mat mask = resizeSquare(item.mask, size);
        cv::Mat composite;
        if (family == Family::SixFilter) {
            const auto r = drawSixFilterArgs(rng);
            std::vector<float> args(r.begin(), r.end());
            const auto pair = makeSixFilterPair(imagesToTensor({photo}), masksToTensor({mask}),
                                                torch::from_blob(args.data(), {1, kFilterCount}, torch::kFloat32));
            composite = tensorToBgr8(pair.composite[0]);
            set.sixRestoring[k].copy_(restoringArgsFor(imagesToTensor({photo}), masksToTensor({mask}),
                                                       torch::from_blob(args.data(), {1, kFilterCount}, torch::kFloat32))[0]);
        } else if (family == Family::Lut) {
            composite = rgbFloatToBgr8(lutComposite(luts, photo, mask, rng));
        } else if (item.isPair()) {
            composite = resizeSquare(item.composite, size);
        } else {
            composite = rgbFloatToBgr8(transferComposite(data, items, items[std::size_t(k)], photo, mask, rng));
        }
        auto hwcToChw = [](const cv::Mat& bgr) {
            cv::Mat rgb;
            cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
            return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).permute({2, 0, 1}).clone();
        };
        set.composite[k].copy_(hwcToChw(composite));
        set.real[k].copy_(hwcToChw(photo));
        set.mask[k][0].copy_(torch::from_blob(const_cast<std::uint8_t*>(mask.ptr<std::uint8_t>()), {size, size}, torch::kUInt8));
    }
    return set;
}

cv::Mat makeComposite(const TrainingData& data, int itemIndex, const std::vector<int>& referencePool, Family family,
                      std::mt19937& rng, const std::vector<Lut3d>* luts, std::array<double, kFilterCount>* sixFilterArgs) {
    const MaskedItem& item = data.items[std::size_t(itemIndex)];
    const cv::Mat& photo = data.photoOf(item).bgr;
    if (family == Family::SixFilter) {
        const auto r = drawSixFilterArgs(rng);
        if (sixFilterArgs) *sixFilterArgs = r;
        std::vector<float> args(r.begin(), r.end());
        const auto pair = makeSixFilterPair(imagesToTensor({photo}), masksToTensor({item.mask}),
                                            torch::from_blob(args.data(), {1, kFilterCount}, torch::kFloat32));
        return tensorToBgr8(pair.composite[0]);
    }
    if (family == Family::Lut) return rgbFloatToBgr8(lutComposite(luts, photo, item.mask, rng));
    if (item.isPair()) return item.composite.clone();
    return rgbFloatToBgr8(transferComposite(data, referencePool, itemIndex, photo, item.mask, rng));
}

torch::Tensor toFloat(const torch::Tensor& bytes) { return bytes.to(torch::kFloat32).div_(255.0); }

torch::Tensor imagesToTensor(const std::vector<cv::Mat>& bgr) {
    std::vector<cv::Mat> rgb;
    for (const auto& image : bgr) rgb.push_back(toRgbFloat(image));
    return rgbFloatToTensor(rgb);
}

torch::Tensor masksToTensor(const std::vector<cv::Mat>& masks) {
    const int n = int(masks.size());
    auto out = torch::empty({n, 1, masks[0].rows, masks[0].cols}, torch::kFloat32);
    for (int i = 0; i < n; ++i) {
        const cv::Mat m = toMaskFloat(masks[std::size_t(i)]);
        out[i][0].copy_(torch::from_blob(const_cast<float*>(m.ptr<float>()), {m.rows, m.cols}, torch::kFloat32));
    }
    return out;
}

cv::Mat tensorToBgr8(const torch::Tensor& rgb) {
    const auto hwc = rgb.detach().to(torch::kFloat32).clamp(0, 1).mul(255.0).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    cv::Mat wrapped(int(hwc.size(0)), int(hwc.size(1)), CV_8UC3, hwc.data_ptr());
    cv::Mat bgr;
    cv::cvtColor(wrapped, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

}  // namespace hz::training
