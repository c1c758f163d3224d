#include "core/training/head_trainer.h"

#include <torch/serialize.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/filters_torch.h"
#include "core/model/model_file.h"
#include "core/model/network.h"
#include "core/model/statistics_head.h"
#include "core/training/batch.h"
#include "core/training/dataset.h"
#include "core/training/loss.h"
#include "core/training/lut.h"
#include "core/training/metrics.h"
#include "core/training/test_scales.h"

namespace hz::training {

namespace {

using Clock = std::chrono::steady_clock;
namespace F = torch::nn::functional;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// One generated set, all on the CPU. Images are at the loss side.
struct HeadSamples {
    torch::Tensor features;   // [N, F]
    torch::Tensor network;    // [N, 6] the network's values as the predictor applies them
    torch::Tensor restoring;  // [N, 6] values that undo a six-filter sample (0 for the others)
    torch::Tensor isSix;      // [N] float 1/0
    torch::Tensor composite, real, mask;  // [N,3,s,s], [N,3,s,s], [N,1,s,s] float in [0,1]
    // [N] float 1/0: a LUT sample. Caches written before it existed have none (undefined): their
    // transfer and LUT samples cannot be told apart.
    torch::Tensor isLut;
    static constexpr std::size_t kOldTensorCount = 7, kTensorCount = 8;
    std::int64_t size() const { return features.defined() ? features.size(0) : 0; }
    bool knowsLut() const { return isLut.defined(); }
    std::vector<torch::Tensor> tensors() const {
        std::vector<torch::Tensor> t{features, network, restoring, isSix, composite, real, mask};
        if (knowsLut()) t.push_back(isLut);
        return t;
    }
    static HeadSamples fromTensors(const std::vector<torch::Tensor>& t, std::size_t offset, std::size_t count) {
        return {t[offset],     t[offset + 1], t[offset + 2], t[offset + 3],
                t[offset + 4], t[offset + 5], t[offset + 6], count == kTensorCount ? t[offset + 7] : torch::Tensor()};
    }
};

torch::Tensor resized(const torch::Tensor& x, int side, bool area) {
    if (x.size(2) == side && x.size(3) == side) return x;
    auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{side, side});
    if (area) return F::interpolate(x, options.mode(torch::kArea));
    return F::interpolate(x, options.mode(torch::kBilinear).align_corners(false));
}

// The network's values for a batch as Predictor::predict makes them: raw x gain, each view
// clamped, views averaged, then sides averaged (every side has the same views, so this is the
// predictor's mean over all of them). composite [N,3,s,s], mask [N,1,s,s] at the composite side;
// each side gets them resized bilinearly, as the predictor resizes the photo.
torch::Tensor networkValues(const FoldedHarmonizerNet& net, const torch::Tensor& composite, const torch::Tensor& mask,
                            const std::vector<int>& sides, int views, double gain) {
    const auto n = composite.size(0);
    torch::Tensor sum;
    for (int side : sides) {
        // symmetricViews stacks view-major: [V*N, ...], so the outputs reshape to [V, N, 6].
        const auto out = net.forward(symmetricViews(resized(composite, side, false).contiguous(), views),
                                     symmetricViews(resized(mask, side, false).contiguous(), views)) *
                         gain;
        const auto atSide = out.clamp(-1.0, 1.0).view({views, n, out.size(1)}).mean(0);
        sum = sum.defined() ? sum + atSide : atSide;
    }
    return sum / double(sides.size());
}

HeadSamples generateSamples(const TrainingData& data, const std::vector<int>& pool, const BatchConfig& config, int count,
                            const FoldedHarmonizerNet& net, const std::vector<int>& sides, int views, double gain, int lossSide,
                            StatisticsFeatureSet featureSet,
                            std::mt19937& rng, const std::function<void(const std::string&)>& log, const char* what) {
    std::vector<torch::Tensor> features, network, restoring, isSix, isLut, composite, real, mask;
    const auto start = Clock::now();
    int made = 0, nextReport = 1000;
    while (made < count) {
        const Batch batch = makeTrainingBatch(data, pool, 16, config, rng);
        const auto n = batch.composite.size(0);
        {
            c10::InferenceMode inference;
            network.push_back(networkValues(net, batch.composite, batch.mask, sides, views, gain));
        }
        for (int64_t i = 0; i < n; ++i) features.push_back(statisticsFeatures(batch.composite[i], batch.mask[i], featureSet).unsqueeze(0));
        auto restore = torch::zeros({n, 6});
        auto six = torch::zeros({n});
        if (batch.sixFilterCount > 0) {
            restore.narrow(0, 0, batch.sixFilterCount).copy_(batch.sixRestoring);
            six.narrow(0, 0, batch.sixFilterCount).fill_(1.0);
        }
        restoring.push_back(restore);
        isSix.push_back(six);
        auto lut = torch::zeros({n});
        for (int64_t i = 0; i < n; ++i)
            if (batch.families[std::size_t(i)] == Family::Lut) lut[i] = 1.0;
        isLut.push_back(lut);
        composite.push_back(resized(batch.composite, lossSide, true));
        real.push_back(resized(batch.real, lossSide, true));
        mask.push_back(resized(batch.mask, lossSide, true));
        made += int(n);
        if (made >= nextReport) {
            char line[160];
            std::snprintf(line, sizeof line, "train-head: %s samples %d/%d (%.0f s)", what, made, count, secondsSince(start));
            log(line);
            nextReport += 1000;
        }
    }
    HeadSamples samples{torch::cat(features), torch::cat(network), torch::cat(restoring), torch::cat(isSix),
                        torch::cat(composite), torch::cat(real), torch::cat(mask), torch::cat(isLut)};
    // Exactly `count` samples (the last batch may overshoot).
    for (auto* t : {&samples.features, &samples.network, &samples.restoring, &samples.isSix, &samples.composite,
                    &samples.real, &samples.mask, &samples.isLut})
        *t = t->narrow(0, 0, count).contiguous();
    return samples;
}

// A cache written by an earlier run: training samples, then validation samples, 8 tensors each
// (7 before the LUT flag), then the network input sides its values were averaged over (int64;
// absent before test-time scales, when they were the model's input size alone).
struct Cache {
    std::vector<torch::Tensor> tensors;
    std::size_t perSet = HeadSamples::kTensorCount;
    std::vector<int> sides;  // empty: not recorded
    HeadSamples training() const { return HeadSamples::fromTensors(tensors, 0, perSet); }
    HeadSamples validation() const { return HeadSamples::fromTensors(tensors, perSet, perSet); }
};

void writeCache(const std::string& path, const HeadSamples& train, const HeadSamples& val, const std::vector<int>& sides) {
    auto tensors = train.tensors();
    for (const auto& t : val.tensors()) tensors.push_back(t);
    tensors.push_back(torch::tensor(std::vector<std::int64_t>(sides.begin(), sides.end()), torch::kLong));
    torch::save(tensors, path);
}

Cache readCache(const std::string& path, StatisticsFeatureSet featureSet) {
    std::vector<torch::Tensor> tensors;
    try {
        torch::load(tensors, path);
    } catch (const std::exception& error) {
        throw Error("cannot read the sample cache '" + path + "': " + error.what());
    }
    std::vector<int> sides;
    if (tensors.size() % 2 == 1 && tensors.back().dim() == 1 && tensors.back().scalar_type() == torch::kLong) {
        const auto recorded = tensors.back();
        for (std::int64_t i = 0; i < recorded.size(0); ++i) sides.push_back(int(recorded[i].item<std::int64_t>()));
        tensors.pop_back();
    }
    const std::size_t perSet = tensors.size() / 2;
    if ((perSet != HeadSamples::kTensorCount && perSet != HeadSamples::kOldTensorCount) || tensors.size() % 2 != 0 ||
        tensors[0].dim() != 2)
        throw Error("the sample cache '" + path + "' is not a train-head cache of this version");
    // The region features are the first columns of the boundary set, so a boundary cache also
    // serves a region-only head (a comparison on the same samples).
    const int wanted = featureCount(featureSet);
    if (tensors[0].size(1) < wanted)
        throw Error("the sample cache '" + path + "' holds " + std::to_string(tensors[0].size(1)) + " features per sample, not the " +
                    std::to_string(wanted) + " of the chosen feature set");
    for (std::size_t first : {std::size_t(0), perSet}) tensors[first] = tensors[first].narrow(1, 0, wanted).contiguous();
    return {tensors, perSet, sides};
}

// A cache's values must be the ones the written file will feed its head.
void checkCacheSides(const std::string& path, const Cache& cache, const std::vector<int>& sides) {
    const std::vector<int> recorded = cache.sides.empty() ? std::vector<int>{sides.front()} : cache.sides;
    if (recorded != sides)
        throw Error("the sample cache '" + path + "' holds the network's values averaged over input sides " + describeInputSizes(recorded) +
                    ", not " + describeInputSizes(sides) + " (the input size and the extra input sizes): give another --cache, or "
                    "--extra-input-sizes to match");
}

// Per-sample fMSE on the 0-255 scale: mean squared error over the foreground's pixels and channels.
torch::Tensor foregroundMse(const torch::Tensor& prediction, const torch::Tensor& real, const torch::Tensor& mask) {
    const auto squared = (mask * (prediction - real).pow(2)).sum({1, 2, 3});
    return squared / (3.0 * mask.sum({1, 2, 3}) + 1e-6) * (255.0 * 255.0);
}

torch::Tensor rowsWhere(const torch::Tensor& x, const torch::Tensor& flag) {
    return x.index_select(0, torch::nonzero(flag > 0.5).squeeze(1));
}

// Short filter names for the log lines, in restore order.
constexpr const char* kShortFilterNames[6] = {"T", "B", "C", "S", "H", "Sh"};

struct Evaluation {
    HeadFamilyFigures six, other;
    HeadFamilyFigures transfer, lut;  // the two parts of `other`, when the samples record which is which
    std::vector<double> networkR2, headR2;
    // Six-filter samples: fMSE with the network's values except filter k set to the value that
    // undoes the perturbation (k = 0..5), and with all six set so: where the error comes from.
    // Only when asked for (seven more renders of the set).
    std::vector<double> oneExactFmse;
    double allExactFmse = 0;
};

Evaluation evaluate(StatisticsHead& head, const HeadSamples& set, bool withHeadroom = false) {
    torch::NoGradGuard noGrad;
    head->eval();
    const auto values = head->forward(set.features, set.network).clamp(-1.0, 1.0);
    const auto composite = foregroundMse(set.composite, set.real, set.mask);
    const auto network = foregroundMse(torchfilters::harmonize(set.composite, set.mask, set.network), set.real, set.mask);
    const auto corrected = foregroundMse(torchfilters::harmonize(set.composite, set.mask, values), set.real, set.mask);
    Evaluation e;
    std::vector<std::pair<HeadFamilyFigures*, torch::Tensor>> families{{&e.six, set.isSix}, {&e.other, 1.0 - set.isSix}};
    if (set.knowsLut()) {
        families.emplace_back(&e.transfer, (1.0 - set.isSix) * (1.0 - set.isLut));
        families.emplace_back(&e.lut, set.isLut);
    }
    for (auto [figures, flag] : families) {
        figures->count = int((flag > 0.5).sum().item<int64_t>());
        if (figures->count == 0) continue;
        figures->compositeFmse = rowsWhere(composite, flag).mean().item<double>();
        figures->networkFmse = rowsWhere(network, flag).mean().item<double>();
        figures->headFmse = rowsWhere(corrected, flag).mean().item<double>();
    }
    if (e.six.count > 1) {
        const auto truth = rowsWhere(set.restoring, set.isSix);
        const auto net = rowsWhere(set.network, set.isSix), ours = rowsWhere(values, set.isSix);
        e.networkR2 = columnR2(net, truth);
        e.headR2 = columnR2(ours, truth);
        if (withHeadroom) {
            const auto sixComposite = rowsWhere(set.composite, set.isSix), sixReal = rowsWhere(set.real, set.isSix);
            const auto sixMask = rowsWhere(set.mask, set.isSix);
            for (int k = 0; k < 6; ++k) {
                auto values = net.clone();
                values.select(1, k).copy_(truth.select(1, k));
                e.oneExactFmse.push_back(
                    foregroundMse(torchfilters::harmonize(sixComposite, sixMask, values), sixReal, sixMask).mean().item<double>());
            }
            e.allExactFmse =
                foregroundMse(torchfilters::harmonize(sixComposite, sixMask, truth), sixReal, sixMask).mean().item<double>();
        }
    }
    head->train();
    return e;
}

std::string describe(const Evaluation& e) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(1);
    out << "six-filter " << e.six.compositeFmse << " -> network " << e.six.networkFmse << " -> head " << e.six.headFmse
        << "; other " << e.other.compositeFmse << " -> " << e.other.networkFmse << " -> " << e.other.headFmse;
    if (e.lut.count > 0)
        out << " (transfer " << e.transfer.compositeFmse << " -> " << e.transfer.networkFmse << " -> " << e.transfer.headFmse
            << ", LUT " << e.lut.compositeFmse << " -> " << e.lut.networkFmse << " -> " << e.lut.headFmse << ")";
    out.precision(2);
    if (!e.headR2.empty()) {
        out << "; R^2 network/head";
        for (int k = 0; k < 6; ++k) out << " " << kShortFilterNames[k] << " " << e.networkR2[std::size_t(k)] << "/" << e.headR2[std::size_t(k)];
    }
    return out.str();
}

// Where the network's six-filter error comes from (see Evaluation::oneExactFmse).
std::string describeHeadroom(const Evaluation& e) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(1);
    out << "six-filter fMSE with one filter's value exact (network " << e.six.networkFmse << "):";
    for (std::size_t k = 0; k < e.oneExactFmse.size(); ++k) out << " " << kShortFilterNames[k] << " " << e.oneExactFmse[k];
    out << "; all six exact " << e.allExactFmse;
    return out.str();
}

}  // namespace

const char* featureSetKey(StatisticsFeatureSet set) {
    return set == StatisticsFeatureSet::Regions ? "regions" : "boundary";
}

std::optional<StatisticsFeatureSet> featureSetWithKey(const std::string& key) {
    for (auto set : {StatisticsFeatureSet::Regions, StatisticsFeatureSet::RegionsAndBoundary})
        if (key == featureSetKey(set)) return set;
    return std::nullopt;
}

HeadTrainingReport trainStatisticsHead(const HeadTrainingOptions& options, const std::function<void(const std::string&)>& log) {
    const auto start = Clock::now();
    if (options.samples < 16) throw Error("train-head needs at least 16 samples");
    const int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    torch::manual_seed(options.seed);
    std::mt19937 rng(std::uint32_t(options.seed));

    HarmonizerNet net = makeNetwork(Backbone::MobileNetV2);
    ModelMetadata metadata = loadModel(options.modelPath, net);
    net->eval();

    if (options.extraInputSizes) metadata.extraInputSizes = *options.extraInputSizes;
    std::vector<int> sides{metadata.inputSize};
    sides.insert(sides.end(), metadata.extraInputSizes.begin(), metadata.extraInputSizes.end());
    checkInputSides(sides, "train-head: ");

    HeadSamples train, val;
    const bool cached = !options.cachePath.empty() && std::filesystem::exists(options.cachePath);
    if (cached) {
        const Cache cache = readCache(options.cachePath, options.featureSet);
        checkCacheSides(options.cachePath, cache, sides);
        train = cache.training();
        val = cache.validation();
        log("train-head: read " + std::to_string(train.size()) + " training and " + std::to_string(val.size()) +
            " validation samples from " + options.cachePath);
    } else {
        const TrainingSplit split = loadTrainingSplit(options.dataDirs, options.size, options.lutDir, options.valPercent);
        const TrainingData& data = split.data;
        const std::vector<Lut3d>& trainLuts = split.trainLuts;
        const std::vector<Lut3d>& valLuts = split.valLuts;
        const std::vector<int>& trainItems = split.trainItems;
        const std::vector<int>& valItems = split.valItems;
        if (valItems.empty()) throw Error("train-head: the data has no validation photos");
        log("train-head: " + std::to_string(trainItems.size()) + " training and " + std::to_string(valItems.size()) +
            " validation items");

        const FoldedHarmonizerNet folded(net, torch::kCPU, /*channelsLast=*/true);
        BatchConfig config;
        config.size = options.size;
        config.luts = trainLuts.empty() ? nullptr : &trainLuts;
        config.mildProbability = options.mildShare;
        train = generateSamples(data, trainItems, config, options.samples, folded, sides, options.views,
                                metadata.outputGain, options.lossSide, options.featureSet, rng, log, "training");
        config.luts = valLuts.empty() ? nullptr : &valLuts;
        config.mildProbability = 0.0;
        std::mt19937 valRng(12345u);  // the report's samples do not change with --seed
        val = generateSamples(data, valItems, config, std::max(16, options.valSamples), folded, sides,
                              options.views, metadata.outputGain, options.lossSide, options.featureSet, valRng, log, "validation");
        if (!options.cachePath.empty()) {
            writeCache(options.cachePath, train, val, sides);
            log("train-head: samples saved to " + options.cachePath);
        }
    }

    // Seeded here, so that a run from the cache makes the same head as the run that wrote it.
    torch::manual_seed(options.seed);
    for (const auto& path : options.extraCaches) {
        const Cache cache = readCache(path, options.featureSet);
        checkCacheSides(path, cache, sides);
        const HeadSamples more = cache.training();
        if (more.knowsLut() != train.knowsLut())
            throw Error("the sample cache '" + path + "' and the first cache differ in whether they record LUT samples");
        std::vector<torch::Tensor> joined;
        const auto mine = train.tensors(), theirs = more.tensors();
        for (std::size_t i = 0; i < mine.size(); ++i) joined.push_back(torch::cat({mine[i], theirs[i]}));
        train = HeadSamples::fromTensors(joined, 0, joined.size());
        log("train-head: added " + std::to_string(more.size()) + " training samples from " + path);
    }
    const double lutWeight = options.lutWeight.value_or(options.otherWeight);
    if (lutWeight != options.otherWeight && !train.knowsLut())
        throw Error("train-head: the sample cache predates the LUT flag, so a LUT weight apart from the other-family weight "
                    "cannot be applied; regenerate the cache");
    // Per sample: six-filter 1, transfer otherWeight, LUT lutWeight.
    const auto familyWeight = [&](const torch::Tensor& index) {
        const auto six = train.isSix.index_select(0, index);
        const auto other = train.knowsLut()
                               ? options.otherWeight + (lutWeight - options.otherWeight) * train.isLut.index_select(0, index)
                               : torch::full_like(six, options.otherWeight);
        return six + (1.0 - six) * other;
    };
    StatisticsHead head(options.hidden, options.featureSet);
    head->setFeatureScaling(train.features);
    head->train();
    const Evaluation before = evaluate(head, val, /*withHeadroom=*/true);
    log("train-head: before training: " + describe(before));
    if (!before.oneExactFmse.empty()) log("train-head: " + describeHeadroom(before));
    torch::optim::AdamW optimizer(head->parameters(),
                                  torch::optim::AdamWOptions(options.lr).weight_decay(options.weightDecay));
    const auto n = train.size();
    const int batch = int(std::min<std::int64_t>(options.batch, n));
    for (int step = 1; step <= options.steps; ++step) {
        const double lr = options.lr * 0.5 * (1.0 + std::cos(3.14159265358979323846 * double(step - 1) / double(options.steps)));
        for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        const auto index = torch::randint(n, {batch}, torch::kLong);
        const auto values = head->forward(train.features.index_select(0, index), train.network.index_select(0, index));
        const auto composite = train.composite.index_select(0, index), mask = train.mask.index_select(0, index);
        const auto result = torchfilters::harmonize(composite, mask, values);
        // fMSE / 1000: about 1 for a typical composite, the argument loss's scale.
        const auto six = train.isSix.index_select(0, index);
        auto loss = (foregroundMse(result, train.real.index_select(0, index), mask) * familyWeight(index)).mean() / 1000.0;
        if (options.argWeight > 0 && six.sum().item<double>() > 0) {
            const auto rows = torch::nonzero(six > 0.5).squeeze(1);
            loss = loss + options.argWeight * argumentLoss(values.index_select(0, rows),
                                                           train.restoring.index_select(0, index).index_select(0, rows));
        }
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if (step % options.logEvery == 0 || step == options.steps)
            log("train-head: step " + std::to_string(step) + " loss " + std::to_string(loss.item<double>()) + "; validation " +
                describe(evaluate(head, val)));
    }

    const Evaluation final = evaluate(head, val);
    std::ostringstream notes;
    notes << "statistics head (" << options.hidden << " hidden, features " << featureSetKey(options.featureSet) << ") trained on "
          << n << " generated samples (size "
          << options.size << ", " << options.views << " views at sides " << describeInputSizes(sides) << ", loss at " << options.lossSide << " px), " << options.steps
          << " steps, batch " << batch << ", AdamW lr " << options.lr << " cosine, weight decay " << options.weightDecay
          << ", argument weight " << options.argWeight << ", other-family weight " << options.otherWeight
          << (lutWeight != options.otherWeight ? ", LUT weight " + std::to_string(lutWeight) : std::string()) << ", seed " << options.seed
          << (options.mildShare > 0 ? ", mild share " + std::to_string(options.mildShare) : std::string())
          << (options.lutDir.empty() ? "" : ", LUT family included");
    metadata.statisticsHeadNotes = notes.str();
    metadata.modelVersion = options.version.empty() ? metadata.modelVersion + "+head" : options.version;
    head->eval();
    saveModel(options.outPath, net, metadata, &head);

    HeadTrainingReport report;
    report.sixFilter = final.six;
    report.other = final.other;
    report.transfer = final.transfer;
    report.lut = final.lut;
    report.networkR2 = final.networkR2;
    report.headR2 = final.headR2;
    const Evaluation onTraining = evaluate(head, train);
    const auto weighted = [](const HeadFamilyFigures& a, const HeadFamilyFigures& b, double HeadFamilyFigures::*field) {
        return (a.*field * a.count + b.*field * b.count) / std::max(1, a.count + b.count);
    };
    report.trainNetworkFmse = weighted(onTraining.six, onTraining.other, &HeadFamilyFigures::networkFmse);
    report.trainHeadFmse = weighted(onTraining.six, onTraining.other, &HeadFamilyFigures::headFmse);
    report.trainSamples = int(n);
    report.seconds = secondsSince(start);
    return report;
}

}  // namespace hz::training
