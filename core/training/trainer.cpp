#include "core/training/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QByteArray>
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/filters_torch.h"
#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"
#include "core/model/pretrained.h"
#include "core/params.h"
#include "core/training/batch.h"
#include "core/training/dataset.h"
#include "core/training/loss.h"
#include "core/training/metrics.h"
#include "core/training/perturb.h"

namespace fs = std::filesystem;

namespace hz::training {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kLogHeader =
    "step,lr,train_loss,train_sixfilter_final_loss,train_other_final_loss_x10,"
    "val_sixfilter_composite_fmse,val_sixfilter_result_fmse,val_transfer_composite_fmse,val_transfer_result_fmse,"
    "val_mean_result_fmse,elapsed_s,val_lut_composite_fmse,val_lut_result_fmse\n";

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string formatDuration(double seconds) {
    const long s = long(std::max(0.0, seconds));
    char text[32];
    if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
    return text;
}

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw hz::Error(path.string() + ": cannot be opened for reading");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) throw hz::Error(path.string() + ": cannot be written");
}

// Evenly spaced subset, so that a capped validation set still covers every data folder.
std::vector<int> evenlySpaced(const std::vector<int>& items, int maxCount) {
    if (maxCount <= 0 || int(items.size()) <= maxCount) return items;
    std::vector<int> out;
    for (int i = 0; i < maxCount; ++i) out.push_back(items[std::size_t(std::int64_t(i) * std::int64_t(items.size()) / maxCount)]);
    return out;
}

// valFmse: this model's own validation figure (best.hzm), or with `bestSoFar` the best one of
// the run so far (the checkpoint and last.hzm, whose weights may not have been validated).
ModelMetadata metadataFor(const TrainOptions& options, int step, double valFmse, bool bestSoFar = false) {
    ModelMetadata metadata;
    metadata.inputSize = options.size;
    for (const auto& spec : filterSpecs()) metadata.filterOrder.push_back(spec.key);
    // --init (fine-tuning) takes the starting file's name; only a run from nothing is "scratch".
    const bool fromFile = !options.initModel.empty() && options.pretrained.empty();
    metadata.modelVersion = std::string(!options.pretrained.empty() ? "imagenet-" : fromFile ? "ft-" : "scratch-") +
                            fs::path(options.runDir).filename().string() + "-step" + std::to_string(step);
    std::ostringstream notes;
    notes << "Trained by harmonizer-cli train"
          << (!options.pretrained.empty() ? " from ImageNet weights " + fs::path(options.pretrained).filename().string()
              : fromFile                  ? " from the weights of " + fs::path(options.initModel).filename().string()
                                          : std::string(" from scratch"))
          << ": size " << options.size << ", batch " << options.batchSize
          << ", step " << step << " of " << options.steps << ", Adam lr " << options.learningRate << " (" << options.schedule
          << " schedule), seed " << options.seed << "; data:";
    for (const auto& dir : options.dataDirs) notes << " " << fs::path(dir).filename().string();
    if (!options.lutDir.empty()) notes << "; LUT family from " << fs::path(options.lutDir).filename().string() << " (share " << options.lutShare << ")";
    if (options.mildShare > 0) notes << "; mild share " << options.mildShare;
    notes << "; loss weights: transfer " << options.transferWeight << ", six-filter final step " << options.sixFinalWeight
          << ", arguments " << options.argumentWeight;
    if (options.fittedArgumentWeight > 0)
        notes << ", fitted arguments on the other half " << options.fittedArgumentWeight << " (fit at " << options.fitSide << " px)";
    if (options.sixFittedArgumentWeight > 0)
        notes << ", fitted arguments on the six-filter half " << options.sixFittedArgumentWeight << " (fit at " << options.fitSide << " px)";
    if (valFmse >= 0) notes << (bestSoFar ? "; best validation fMSE so far " : "; validation fMSE ") << valFmse;
    metadata.trainingNotes = notes.str();
    return metadata;
}

// Per-image fMSE on the 0-255 scale (mask binarised at 0.5); images without foreground get -1.
torch::Tensor foregroundMse(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
    const auto fg = (mask >= 0.5).to(torch::kFloat32);
    const auto squared = (a - b).mul(255.0).pow(2) * fg;
    const auto count = fg.sum({1, 2, 3});
    return torch::where(count > 0, squared.sum({1, 2, 3}) / (3.0 * count.clamp_min(1.0)), torch::full_like(count, -1.0));
}

double meanOfValid(const torch::Tensor& values) {
    const auto valid = values >= 0;
    const auto count = valid.sum().item<double>();
    return count > 0 ? values.masked_select(valid).sum().item<double>() / count : 0.0;
}

struct ValidationFigures {
    double compositeFmse = 0, resultFmse = 0;
    // Six-filter family: R^2 of each predicted value against the restoring one, and the
    // spread (std) of each prediction; a collapsed network shows R^2 near 0 and a small std.
    std::vector<double> r2, predictionStd;
};

void addArgumentFigures(ValidationFigures& figures, const torch::Tensor& predicted, const torch::Tensor& restoring) {
    figures.r2 = columnR2(predicted, restoring);
    const auto stdev = predicted.to(torch::kFloat64).std(0);
    for (int i = 0; i < kFilterCount; ++i) figures.predictionStd.push_back(stdev[i].item<double>());
}

ValidationFigures validate(HarmonizerNet& net, const ValidationSet& set, double compositeFmse) {
    ValidationFigures figures;
    figures.compositeFmse = compositeFmse;
    if (set.size() == 0) return figures;
    torch::NoGradGuard noGrad;
    net->eval();
    std::vector<torch::Tensor> perImage, predictedArgs;
    constexpr std::int64_t kChunk = 32;
    for (std::int64_t start = 0; start < set.size(); start += kChunk) {
        const auto count = std::min(kChunk, set.size() - start);
        const auto composite = toFloat(set.composite.narrow(0, start, count));
        const auto mask = toFloat(set.mask.narrow(0, start, count));
        const auto real = toFloat(set.real.narrow(0, start, count));
        const auto args = net->forward(composite, mask);
        const auto result = torchfilters::harmonize(composite, mask, args);
        perImage.push_back(foregroundMse(result, real, mask));
        predictedArgs.push_back(args.clamp(-1.0, 1.0));
    }
    net->train();
    figures.resultFmse = meanOfValid(torch::cat(perImage));
    if (set.sixRestoring.defined()) addArgumentFigures(figures, torch::cat(predictedArgs), set.sixRestoring);
    return figures;
}

double compositeFmseOf(const ValidationSet& set) {
    if (set.size() == 0) return 0;
    return meanOfValid(foregroundMse(toFloat(set.composite), toFloat(set.real), toFloat(set.mask)));
}

void setLearningRate(torch::optim::Adam& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

torch::Tensor torchRngState() {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void setTorchRngState(const torch::Tensor& state) {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

struct ResumeState {
    int step = 0;
    double bestValFmse = -1;
    int bestStep = 0;
};

// A checkpoint's files and their SHA-256 in manifest.json, checked before LibTorch parses
// any of them: torch::load segfaults on some damaged files and silently accepts others.
const char* const kCheckpointFiles[] = {"model.hzm", "optimizer.pt", "torch_rng.pt", "state.json"};
constexpr std::size_t kMaxCheckpointFileBytes = std::size_t(2) << 30;

std::string sha256Hex(const std::string& bytes) {
    return QCryptographicHash::hash(QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size())),
                                    QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

void writeCheckpointManifest(const fs::path& dir) {
    QJsonObject files;
    for (const char* name : kCheckpointFiles) {
        const std::string bytes = readFileBounded((dir / name).string(), kMaxCheckpointFileBytes);
        QJsonObject entry;
        entry["bytes"] = double(bytes.size());
        entry["sha256"] = QString::fromStdString(sha256Hex(bytes));
        files[name] = entry;
    }
    QJsonObject manifest;
    manifest["files"] = files;
    writeText(dir / "manifest.json", QJsonDocument(manifest).toJson().toStdString());
}

void verifyCheckpointManifest(const fs::path& dir) {
    const fs::path path = dir / "manifest.json";
    if (!fs::exists(path)) {
        std::printf("train: note: %s has no manifest.json (written by an older version); its files are not verified\n",
                    dir.string().c_str());
        return;
    }
    QJsonParseError error{};
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(readFileBounded(path.string(), 1 << 20)), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject() || !doc.object()["files"].isObject())
        throw hz::Error(path.string() + ": damaged checkpoint manifest");
    const QJsonObject files = doc.object()["files"].toObject();
    for (const char* name : kCheckpointFiles) {
        const fs::path file = dir / name;
        const QJsonObject entry = files[name].toObject();
        if (entry.isEmpty()) throw hz::Error(path.string() + ": lists no " + name);
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) throw hz::Error(file.string() + ": missing from the checkpoint");
        if (double(fs::file_size(file, ec)) != entry["bytes"].toDouble())
            throw hz::Error(file.string() + ": damaged checkpoint file (its size differs from manifest.json)");
        if (sha256Hex(readFileBounded(file.string(), kMaxCheckpointFileBytes)) != entry["sha256"].toString().toStdString())
            throw hz::Error(file.string() + ": damaged checkpoint file (its SHA-256 differs from manifest.json)");
    }
}

fs::path checkpointDir(const TrainOptions& options) { return fs::path(options.runDir) / "checkpoint"; }

void saveCheckpoint(const TrainOptions& options, HarmonizerNet& net, torch::optim::Adam& optimizer, const std::mt19937& rng,
                    const ResumeState& state) {
    const fs::path run(options.runDir);
    const fs::path staging = run / "checkpoint.tmp", current = checkpointDir(options), previous = run / "checkpoint.old";
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging);
    saveModel((staging / "model.hzm").string(), net, metadataFor(options, state.step, state.bestValFmse, /*bestSoFar=*/true));
    torch::save(optimizer, (staging / "optimizer.pt").string());
    torch::save(torchRngState(), (staging / "torch_rng.pt").string());
    std::ostringstream rngText;
    rngText << rng;
    QJsonObject json;
    json["step"] = state.step;
    json["steps"] = options.steps;
    json["size"] = options.size;
    json["batch"] = options.batchSize;
    json["seed"] = double(options.seed);
    json["rng"] = QString::fromStdString(rngText.str());
    json["best_val_fmse"] = state.bestValFmse;
    json["best_step"] = state.bestStep;
    writeText(staging / "state.json", QJsonDocument(json).toJson().toStdString());
    writeCheckpointManifest(staging);
    // Swap in: a crash at any point leaves either checkpoint/ or checkpoint.old/ complete.
    fs::remove_all(previous, ec);
    if (fs::exists(current)) fs::rename(current, previous);
    fs::rename(staging, current);
    fs::remove_all(previous, ec);
    // last.hzm: a copy of the newest weights that the predictor and the evaluator can use.
    fs::copy_file(current / "model.hzm", run / "last.hzm.tmp", fs::copy_options::overwrite_existing);
    fs::rename(run / "last.hzm.tmp", run / "last.hzm");
}

ResumeState loadCheckpoint(const TrainOptions& options, HarmonizerNet& net, torch::optim::Adam& optimizer, std::mt19937& rng) {
    fs::path dir = checkpointDir(options);
    if (!fs::exists(dir / "state.json") && fs::exists(fs::path(options.runDir) / "checkpoint.old" / "state.json"))
        dir = fs::path(options.runDir) / "checkpoint.old";
    if (!fs::exists(dir / "state.json"))
        throw hz::Error(options.runDir + ": --resume given but there is no checkpoint (checkpoint/state.json) in it");
    verifyCheckpointManifest(dir);
    QJsonParseError error{};
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(readText(dir / "state.json")), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        throw hz::Error((dir / "state.json").string() + ": not a valid checkpoint state (" + error.errorString().toStdString() + ")");
    const QJsonObject json = doc.object();
    if (json["size"].toInt() != options.size)
        std::printf("train: note: checkpoint was trained at size %d, continuing at %d\n", json["size"].toInt(), options.size);
    loadModel((dir / "model.hzm").string(), net);
    torch::load(optimizer, (dir / "optimizer.pt").string());
    torch::Tensor torchState;
    torch::load(torchState, (dir / "torch_rng.pt").string());
    setTorchRngState(torchState);
    std::istringstream rngText(json["rng"].toString().toStdString());
    rngText >> rng;
    if (!rngText) throw hz::Error((dir / "state.json").string() + ": random generator state is damaged");
    ResumeState state;
    state.step = json["step"].toInt();
    state.bestValFmse = json["best_val_fmse"].toDouble(-1);
    state.bestStep = json["best_step"].toInt();
    return state;
}

// Keeps log.csv consistent with a resumed run: rows after the checkpoint's step are dropped.
void prepareLog(const fs::path& path, int resumeStep) {
    if (resumeStep <= 0 || !fs::exists(path)) {
        writeText(path, kLogHeader);
        return;
    }
    std::ifstream in(path);
    std::string line, kept;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            kept += line + "\n";
            header = false;
            continue;
        }
        if (!line.empty() && std::atoi(line.c_str()) <= resumeStep) kept += line + "\n";
    }
    writeText(path, kept.empty() ? std::string(kLogHeader) : kept);
}

void appendText(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::app);
    if (!out || !(out << text)) throw hz::Error(path.string() + ": cannot be appended to");
}

}  // namespace

double learningRateAt(const TrainOptions& options, int step) {
    const int steps = std::max(1, options.steps);
    const int warmup = options.warmupSteps >= 0 ? options.warmupSteps : std::min(500, steps / 20);
    double lr = options.learningRate;
    if (warmup > 0 && step <= warmup) lr *= double(step) / warmup;
    const double progress = double(step) / steps;
    if (options.schedule == "cosine") {
        lr *= 0.01 + 0.99 * 0.5 * (1.0 + std::cos(M_PI * std::clamp(progress, 0.0, 1.0)));
    } else {
        if (progress > 0.6) lr *= 0.1;
        if (progress > 0.85) lr *= 0.1;
    }
    return lr;
}

TrainSummary train(const TrainOptions& options) {
    if (options.dataDirs.empty()) throw hz::Error("no training data (give --data DIR)");
    if (options.schedule != "step" && options.schedule != "cosine")
        throw hz::Error("unknown schedule '" + options.schedule + "' (expected step or cosine)");
    const fs::path run(options.runDir);
    std::error_code ec;
    fs::create_directories(run, ec);
    if (!fs::is_directory(run)) throw hz::Error(options.runDir + ": cannot create the run folder");

    const int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    torch::manual_seed(options.seed);
    std::mt19937 rng(options.seed);

    // Data: loaded once, kept in memory, resized so crops have some room above the training size.
    const auto loadStart = Clock::now();
    const TrainingSplit split = loadTrainingSplit(options.dataDirs, options.size, options.lutDir, options.valPercent);
    const TrainingData& data = split.data;
    if (split.borrowedMaskItems > 0)
        std::printf("train: %d photos without masks got borrowed masks\n", split.borrowedMaskItems);
    const std::vector<Lut3d>& trainLuts = split.trainLuts;
    const std::vector<Lut3d>& valLuts = split.valLuts;
    if (!options.lutDir.empty())
        std::printf("train: %zu LUTs (%zu for training, %zu for validation)\n", split.lutCount, trainLuts.size(), valLuts.size());
    const std::vector<int>& trainItems = split.trainItems;
    const std::vector<int>& valAll = split.valItems;
    const std::vector<int> valItems = evenlySpaced(valAll, options.valMax);
    for (const auto& line : data.layouts) std::printf("train: data %s\n", line.c_str());
    std::printf("train: %zu photos, %zu train items, %zu validation items (%zu used), loaded in %.1f s\n", data.photos.size(),
                trainItems.size(), valAll.size(), valItems.size(), secondsSince(loadStart));
    {
        std::ostringstream list;
        list << "# validation split: items whose source photo hashes into the " << options.valPercent
             << "% share (item name, source photo id)\n";
        for (int index : valAll) list << data.items[std::size_t(index)].name << "\t" << data.photoOf(data.items[std::size_t(index)]).sourceId << "\n";
        writeText(run / "val_items.txt", list.str());
    }

    const ValidationSet valSix = makeValidationSet(data, valItems, Family::SixFilter, options.size);
    const ValidationSet valTransfer = makeValidationSet(data, valItems, Family::Transfer, options.size);
    const double valSixComposite = compositeFmseOf(valSix), valTransferComposite = compositeFmseOf(valTransfer);
    const ValidationSet valLut = valLuts.empty() ? ValidationSet{} : makeValidationSet(data, valItems, Family::Lut, options.size, &valLuts);
    const double valLutComposite = compositeFmseOf(valLut);

    BatchConfig batchConfig;
    batchConfig.size = options.size;
    batchConfig.luts = &trainLuts;
    batchConfig.lutProbability = options.lutShare;
    batchConfig.mildProbability = options.mildShare;
    if (options.fittedArgumentWeight > 0) batchConfig.otherFitSide = options.fitSide;
    if (options.sixFittedArgumentWeight > 0) batchConfig.sixFitSide = options.fitSide;

    // The architecture comes from the weights we continue from; only a fresh network uses --arch.
    const fs::path checkpointModel = checkpointDir(options) / "model.hzm";
    Backbone backbone = options.architecture.empty() ? Backbone::EfficientNetB0 : parseArchitecture(options.architecture);
    if (options.resume && fs::exists(checkpointModel)) {
        verifyCheckpointManifest(checkpointDir(options));  // before anything parses the checkpoint's files
        backbone = readModelMetadata(checkpointModel.string()).architecture;
    }
    else if (!options.initModel.empty()) backbone = readModelMetadata(options.initModel).architecture;
    HarmonizerNet net = makeNetwork(backbone);
    const bool freshPretrained = !options.pretrained.empty() && !options.resume && options.initModel.empty();
    if (freshPretrained) {
        importMobileNetV2(net, readSafeTensors(options.pretrained), options.pretrained);
        // One batch of training composites, drawn from its own generator so that the run's
        // random sequence is the same with or without this step.
        std::mt19937 calibrationRng(options.seed ^ 0xBA7C0u);
        BatchConfig calibrationConfig = batchConfig;
        const Batch calibration = makeTrainingBatch(data, trainItems, 32, calibrationConfig, calibrationRng);
        matchBatchNormToFunction(net, calibration.composite, calibration.mask);
        std::printf("train: MobileNetV2 backbone from %s, BatchNorm matched on 32 training composites\n", options.pretrained.c_str());
    }
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.learningRate));
    ResumeState state;
    if (options.resume && fs::exists(checkpointDir(options) / "state.json")) {
        state = loadCheckpoint(options, net, optimizer, rng);
        std::printf("train: resumed from step %d\n", state.step);
    } else if (options.resume) {
        loadCheckpoint(options, net, optimizer, rng);  // throws the "no checkpoint" error
    } else if (!options.initModel.empty()) {
        const ModelMetadata initial = loadModel(options.initModel, net);
        std::printf("train: initial weights from %s\n", options.initModel.c_str());
        // Training changes the network's values, which a statistics head was fitted to.
        if (initial.statisticsHeadHidden > 0)
            std::printf("train: %s has a statistics head; the run trains the network alone (fit a new head with train-head)\n",
                        options.initModel.c_str());
    }
    prepareLog(run / "log.csv", state.step);
    net->train();
    std::printf("train: %lld parameters, size %d, batch %d, %d steps, %d threads\n", (long long)net->parameterCount(),
                options.size, options.batchSize, options.steps, threads);
    std::fflush(stdout);

    TrainSummary summary;
    const auto runStart = Clock::now();
    double computeSeconds = 0;
    long samplesDone = 0;
    double windowLoss = 0, windowSix = 0, windowOther = 0, windowSeconds = 0, windowData = 0, windowForward = 0;
    int windowSteps = 0;
    double lastLoss = 0, lastSix = 0, lastOther = 0;

    // The next batch is built on a worker thread while the network trains on this one. The
    // batch generator is used by the worker only; `rngAtNextBatch` is its state before the
    // batch of step+1 was started, which is what a checkpoint must store for an exact resume.
    std::mt19937 rngAtNextBatch = rng;
    std::future<Batch> nextBatch;
    const auto startBatch = [&] {
        rngAtNextBatch = rng;
        nextBatch = std::async(std::launch::async, [&] {
            return makeTrainingBatch(data, trainItems, options.batchSize, batchConfig, rng);
        });
    };
    int step = state.step;
    if (step < options.steps) startBatch();
    while (step < options.steps) {
        if ((options.stop && options.stop->load()) || (options.stopAtStep > 0 && step >= options.stopAtStep)) {
            summary.stoppedEarly = true;
            break;
        }
        ++step;
        const auto stepStart = Clock::now();
        const double lr = learningRateAt(options, step);
        setLearningRate(optimizer, lr);

        const Batch batch = nextBatch.get();
        if (step < options.steps) startBatch();
        const auto batchReady = Clock::now();
        const int k = batch.sixFilterCount;
        const auto args = net->forward(batch.composite, batch.mask);
        const auto steps = torchfilters::restoreSteps(batch.composite, args);
        std::vector<torch::Tensor> sixSteps;
        for (const auto& s : steps) sixSteps.push_back(s.narrow(0, 0, k));
        const DynamicLoss six = dynamicLoss(sixSteps, batch.targets, batch.mask.narrow(0, 0, k));
        torch::Tensor loss = six.total;
        if (options.sixFinalWeight > 0)
            loss = loss + options.sixFinalWeight * finalStepLoss(sixSteps.back(), batch.targets.back(), batch.mask.narrow(0, 0, k));
        if (options.argumentWeight > 0)
            loss = loss + options.argumentWeight * argumentLoss(args.narrow(0, 0, k), batch.sixRestoring);
        if (options.sixFittedArgumentWeight > 0)
            loss = loss + options.sixFittedArgumentWeight * argumentLoss(args.narrow(0, 0, k), batch.sixFitted);
        torch::Tensor other = torch::zeros({}, torch::kFloat32);
        const int rest = options.batchSize - k;
        if (rest > 0) {
            other = options.transferWeight * finalStepLoss(steps.back().narrow(0, k, rest), batch.real.narrow(0, k, rest), batch.mask.narrow(0, k, rest));
            loss = loss + other;
            if (options.fittedArgumentWeight > 0)
                loss = loss + options.fittedArgumentWeight * argumentLoss(args.narrow(0, k, rest), batch.otherFitted);
        }
        const auto forwardDone = Clock::now();
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), options.clipNorm);
        optimizer.step();

        lastLoss = loss.item<double>();
        // The dynamic loss is normalised (about 1 by construction); the final step's raw
        // loss on the six-filter half is the figure worth watching.
        lastSix = six.perStep.back().mean().item<double>();
        lastOther = other.item<double>();
        const double seconds = secondsSince(stepStart);
        windowData += std::chrono::duration<double>(batchReady - stepStart).count();
        windowForward += std::chrono::duration<double>(forwardDone - batchReady).count();
        computeSeconds += seconds;
        samplesDone += options.batchSize;
        windowLoss += lastLoss;
        windowSix += lastSix;
        windowOther += lastOther;
        windowSeconds += seconds;
        ++windowSteps;

        if (step % std::max(1, options.logEvery) == 0 || step == options.steps) {
            const double perStep = windowSeconds / windowSteps;
            const double perSampleMs = 1000.0 / (windowSteps * options.batchSize);
            std::printf("step %d/%d  loss %.4f (six-filter final-step %.4f, other %.4f)  %.1f samples/s  %.1f ms/sample "
                        "(data %.1f, forward %.1f, backward %.1f)  lr %.2e  ETA %s\n",
                        step, options.steps, windowLoss / windowSteps, windowSix / windowSteps, windowOther / windowSteps,
                        options.batchSize / perStep, windowSeconds * perSampleMs, windowData * perSampleMs,
                        windowForward * perSampleMs, (windowSeconds - windowData - windowForward) * perSampleMs, lr,
                        formatDuration(perStep * (options.steps - step)).c_str());
            std::fflush(stdout);
            windowLoss = windowSix = windowOther = windowSeconds = windowData = windowForward = 0;
            windowSteps = 0;
        }

        const bool last = step == options.steps;
        bool improved = false;
        if ((options.valEvery > 0 && step % options.valEvery == 0) || last) {
            const auto sixFigures = validate(net, valSix, valSixComposite);
            const auto transferFigures = validate(net, valTransfer, valTransferComposite);
            const auto lutFigures = validate(net, valLut, valLutComposite);
            const bool haveVal = valSix.size() > 0;
            const bool haveLut = valLut.size() > 0;
            const double mean = haveLut ? (sixFigures.resultFmse + transferFigures.resultFmse + lutFigures.resultFmse) / 3.0
                                        : 0.5 * (sixFigures.resultFmse + transferFigures.resultFmse);
            char row[512];
            std::snprintf(row, sizeof row, "%d,%.6g,%.6f,%.6f,%.6f,%.4f,%.4f,%.4f,%.4f,%.4f,%.1f,%.4f,%.4f\n", step, lr, lastLoss,
                          lastSix, lastOther, sixFigures.compositeFmse, sixFigures.resultFmse, transferFigures.compositeFmse,
                          transferFigures.resultFmse, mean, secondsSince(runStart), lutFigures.compositeFmse, lutFigures.resultFmse);
            appendText(run / "log.csv", row);
            if (haveVal) {
                char lutText[96] = "";
                if (haveLut) std::snprintf(lutText, sizeof lutText, ", LUT %.2f -> %.2f", lutFigures.compositeFmse, lutFigures.resultFmse);
                std::printf("validation at step %d: fMSE six-filter %.2f -> %.2f, transfer %.2f -> %.2f%s (composite -> result), "
                            "mean %.2f%s\n",
                            step, sixFigures.compositeFmse, sixFigures.resultFmse, transferFigures.compositeFmse,
                            transferFigures.resultFmse, lutText, mean,
                            (state.bestValFmse < 0 || mean < state.bestValFmse) ? "  (best so far)" : "");
                if (!sixFigures.r2.empty()) {
                    std::printf("  six-filter R^2 / prediction std:");
                    for (int i = 0; i < kFilterCount; ++i)
                        std::printf(" %s %.2f/%.3f", filterSpecs()[std::size_t(i)].key, sixFigures.r2[std::size_t(i)],
                                    sixFigures.predictionStd[std::size_t(i)]);
                    std::printf("\n");
                }
            }
            if (haveVal && (state.bestValFmse < 0 || mean < state.bestValFmse)) {
                state.bestValFmse = mean;
                state.bestStep = step;
                improved = true;
                saveModel((run / "best.hzm.tmp").string(), net, metadataFor(options, step, mean));
                fs::rename(run / "best.hzm.tmp", run / "best.hzm");
            }
            std::fflush(stdout);
        }
        // Also after a new best, so that a resumed run never overwrites best.hzm with a worse model.
        if ((options.checkpointEvery > 0 && step % options.checkpointEvery == 0) || last || improved) {
            state.step = step;
            saveCheckpoint(options, net, optimizer, rngAtNextBatch, state);
        }
    }
    if (summary.stoppedEarly && step > state.step) {
        state.step = step;
        saveCheckpoint(options, net, optimizer, rngAtNextBatch, state);
        std::printf("train: stopped at step %d; checkpoint saved, continue with --resume\n", step);
    }
    if (state.bestValFmse < 0 && fs::exists(run / "last.hzm"))  // no validation split: best = last
        fs::copy_file(run / "last.hzm", run / "best.hzm", fs::copy_options::overwrite_existing);
    summary.finalStep = step;
    summary.bestValFmse = state.bestValFmse;
    summary.msPerSample = samplesDone > 0 ? 1000.0 * computeSeconds / samplesDone : 0;
    if (state.bestValFmse >= 0)
        std::printf("train: done at step %d; best validation fMSE %.2f at step %d; %.1f ms/sample\n", step, state.bestValFmse,
                    state.bestStep, summary.msPerSample);
    else
        std::printf("train: done at step %d (not validated yet); %.1f ms/sample\n", step, summary.msPerSample);
    std::fflush(stdout);
    return summary;
}

}  // namespace hz::training
