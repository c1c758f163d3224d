#include "core/subject/training/subject_training.h"

#include <opencv2/imgproc.hpp>

#include <QByteArray>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <set>

#include "core/error.h"
#include "core/image_io.h"
#include "core/model/safetensors.h"
#include "core/subject/subject_model.h"

namespace fs = std::filesystem;

namespace hz::subject {
namespace {

std::string folderOf(const training::MaskedItem& item) { return item.name.substr(0, item.name.find('/')); }
std::string stemOf(const training::MaskedItem& item) {
    const auto slash = item.name.find('/');
    return slash == std::string::npos ? item.name : item.name.substr(slash + 1);
}
bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool containsAny(const std::string& text, const std::set<std::string>& words) {
    for (const auto& word : words)
        if (text.find(word) != std::string::npos) return true;
    return false;
}

const std::set<std::string> kAnimalWords{"bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep",
                                         "zebra", "swan", "camel", "goat", "flamingo", "rhino", "mallard", "fish",
                                         "monkey", "deer", "lion", "tiger", "duck", "pig", "rabbit", "mouse", "turtle",
                                         "snake", "parrot", "koala", "kangaroo", "gorilla", "lamb", "lizard", "animal"};

}  // namespace

MaskKind maskKindOf(const training::MaskedItem& item) {
    const std::string folder = folderOf(item);
    if (folder == "portraits" || folder == "horses" || folder == "coco_mval" || folder == "davis345" ||
        folder == "davis2016" || folder == "grabcut" || folder == "sod")
        return MaskKind::Salient;
    if (folder == "bsds500" && endsWith(item.name, "_object")) return MaskKind::Salient;
    return MaskKind::Region;  // L&E regions, BSDS segment groups, Hday2night objects, borrowed masks
}

std::string sourceOf(const training::MaskedItem& item) { return folderOf(item); }

bool teachesSelectSubject(const training::MaskedItem& item, double minInstanceShare) {
    if (maskKindOf(item) != MaskKind::Salient) return false;
    if (minInstanceShare <= 0 || folderOf(item) != "coco_mval") return true;
    const double share = double(cv::countNonZero(item.mask > 127)) / std::max<double>(1.0, double(item.mask.total()));
    return share >= minInstanceShare;
}

std::string reportGroupOf(const training::MaskedItem& item) {
    const std::string folder = folderOf(item), stem = stemOf(item);
    if (folder == "portraits") return "portraits";
    if (folder == "horses") return "animals";
    if (folder == "coco_mval") {
        // "<class><k>_<coco id>": the COCO class names the group ("person" is not a portrait).
        std::string cls = stem.substr(0, stem.find('_'));
        while (!cls.empty() && std::isdigit(static_cast<unsigned char>(cls.back()))) cls.pop_back();
        return containsAny(cls, kAnimalWords) ? "animals" : "objects";
    }
    if (folder == "grabcut") return "objects";
    if ((folder == "davis345" || folder == "davis2016") && containsAny(stem, kAnimalWords)) return "animals";
    return "scenes";  // SOD, BSDS objects, DAVIS scenes: a subject in a natural scene
}

cv::Rect maskBox(const cv::Mat& mask8) {
    cv::Mat on = mask8 > 127;
    std::vector<cv::Point> points;
    cv::findNonZero(on, points);
    return points.empty() ? cv::Rect() : cv::boundingRect(points);
}

cv::Rect boxCrop(const cv::Rect& box, double margin, cv::Size photo) {
    const int dx = int(std::lround(box.width * margin)), dy = int(std::lround(box.height * margin));
    const cv::Rect grown(box.x - dx, box.y - dy, box.width + 2 * dx, box.height + 2 * dy);
    return grown & cv::Rect(0, 0, photo.width, photo.height);
}

namespace {

SubjectSample sampleOf(const cv::Mat& photo, const cv::Mat& mask, const SampleOptions& options, std::mt19937& rng) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(rng); };

    cv::Rect crop(0, 0, photo.cols, photo.rows);
    if (options.inBox) {
        const cv::Rect box = maskBox(mask);
        if (!box.empty()) {
            if (options.augment) {
                // A user's box is loose and uneven: each side gets its own margin, sometimes
                // slightly inside the object.
                const int left = int(box.width * uniform(-0.03, 0.25)), right = int(box.width * uniform(-0.03, 0.25));
                const int upper = int(box.height * uniform(-0.03, 0.25)), lower = int(box.height * uniform(-0.03, 0.25));
                const cv::Rect userBox(box.x - left, box.y - upper, box.width + left + right, box.height + upper + lower);
                crop = boxCrop(userBox & cv::Rect(0, 0, photo.cols, photo.rows), 0.12, photo.size());
            } else {
                crop = boxCrop(box, 0.12, photo.size());
            }
        }
    } else if (options.augment && unit(rng) < 0.5) {
        const int w = int(photo.cols * uniform(0.8, 1.0)), h = int(photo.rows * uniform(0.8, 1.0));
        crop = cv::Rect(int(unit(rng) * (photo.cols - w)), int(unit(rng) * (photo.rows - h)), w, h);
    }
    if (crop.width < 8 || crop.height < 8) crop = cv::Rect(0, 0, photo.cols, photo.rows);

    const cv::Size side(options.side, options.side);
    cv::Mat bgr, target;
    const cv::Mat photoCrop = photo(crop), maskCrop = mask(crop);
    cv::resize(photoCrop, bgr, side, 0, 0, photoCrop.cols > side.width ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::resize(maskCrop, target, side, 0, 0, cv::INTER_LINEAR);
    bgr.convertTo(bgr, CV_32FC3, 1.0 / 255.0);
    target.convertTo(target, CV_32FC1, 1.0 / 255.0);

    if (options.augment) {
        if (unit(rng) < 0.5) {
            cv::flip(bgr, bgr, 1);
            cv::flip(target, target, 1);
        }
        if (unit(rng) < 0.35) {
            // A pasted object that does not match its background: the situation the editor
            // runs Select Subject in. Per-channel gain and a lift on the foreground only.
            const cv::Scalar gain(uniform(0.7, 1.3), uniform(0.7, 1.3), uniform(0.7, 1.3));
            const double lift = uniform(-0.12, 0.12);
            cv::Mat changed;
            cv::multiply(bgr, gain, changed);
            changed += cv::Scalar::all(lift);
            cv::Mat alpha;
            cv::cvtColor(target, alpha, cv::COLOR_GRAY2BGR);
            bgr = bgr.mul(cv::Scalar::all(1.0) - alpha) + changed.mul(alpha);
        }
        if (unit(rng) < 0.5) {
            const double contrast = uniform(0.75, 1.25), brightness = uniform(-0.1, 0.1), saturation = uniform(0.6, 1.4);
            cv::Mat grey;
            cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
            cv::cvtColor(grey, grey, cv::COLOR_GRAY2BGR);
            bgr = grey + (bgr - grey) * saturation;
            bgr = (bgr - cv::Scalar::all(0.5)) * contrast + cv::Scalar::all(0.5 + brightness);
        }
        cv::min(cv::max(bgr, 0.0), 1.0, bgr);
    }
    SubjectSample sample;
    cv::cvtColor(bgr, sample.rgb, cv::COLOR_BGR2RGB);
    sample.target = target;
    return sample;
}

}  // namespace

SubjectSample makeSample(const training::TrainingData& data, const training::MaskedItem& item,
                         const SampleOptions& options, std::mt19937& rng) {
    return sampleOf(data.photoOf(item).bgr, item.mask, options, rng);
}

SubjectSample makePastedSample(const training::TrainingData& data, const training::MaskedItem& foreground,
                               int backgroundPhoto, const SampleOptions& options, std::mt19937& rng) {
    const cv::Mat& background = data.photos[std::size_t(backgroundPhoto)].bgr;
    const cv::Mat& source = data.photoOf(foreground).bgr;
    const cv::Rect box = maskBox(foreground.mask);
    if (box.empty() || background.empty()) return makeSample(data, foreground, options, rng);
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    // Object and its mask, cut at their bounding box, scaled to the background.
    const double longer = std::max(box.width, box.height), shorterSide = std::min(background.cols, background.rows);
    const double scale = (0.35 + 0.55 * unit(rng)) * shorterSide / longer;
    const cv::Size size(std::max(1, int(std::lround(box.width * scale))), std::max(1, int(std::lround(box.height * scale))));
    const int interpolation = scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::Mat object, alpha;
    cv::resize(source(box), object, size, 0, 0, interpolation);
    cv::resize(foreground.mask(box), alpha, size, 0, 0, interpolation);
    alpha.convertTo(alpha, CV_32FC1, 1.0 / 255.0);
    if (unit(rng) < 0.5) cv::GaussianBlur(alpha, alpha, cv::Size(0, 0), 0.5 + unit(rng));  // a feathered paste

    const cv::Rect place(int(unit(rng) * std::max(0, background.cols - size.width)),
                         int(unit(rng) * std::max(0, background.rows - size.height)), size.width, size.height);
    const cv::Rect inside = place & cv::Rect(0, 0, background.cols, background.rows);
    const cv::Rect local(inside.x - place.x, inside.y - place.y, inside.width, inside.height);

    cv::Mat composite;
    background.convertTo(composite, CV_32FC3);
    cv::Mat objectF, alpha3;
    object(local).convertTo(objectF, CV_32FC3);
    cv::cvtColor(alpha(local), alpha3, cv::COLOR_GRAY2BGR);
    cv::Mat region = composite(inside);
    region = region.mul(cv::Scalar::all(1.0) - alpha3) + objectF.mul(alpha3);
    composite.convertTo(composite, CV_8UC3);
    cv::Mat mask = cv::Mat::zeros(background.size(), CV_8UC1);
    alpha(local).convertTo(mask(inside), CV_8UC1, 255.0);
    return sampleOf(composite, mask, options, rng);
}

namespace {

torch::Tensor toTensor(const std::vector<SubjectSample>& samples, bool targets) {
    const int side = samples.front().rgb.rows;
    const std::int64_t channels = targets ? 1 : 3;
    auto batch = torch::empty({std::int64_t(samples.size()), side, side, channels});
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const cv::Mat& m = targets ? samples[i].target : samples[i].rgb;
        CV_Assert(m.isContinuous());
        std::memcpy(batch[std::int64_t(i)].data_ptr<float>(), m.ptr<float>(), std::size_t(side) * side * channels * sizeof(float));
    }
    return batch.permute({0, 3, 1, 2}).contiguous();
}

// Binary cross-entropy plus a soft-IoU term per image: cross-entropy alone lets a small
// subject be traded away against the large background.
torch::Tensor subjectLoss(const torch::Tensor& logits, const torch::Tensor& target) {
    const auto bce = torch::binary_cross_entropy_with_logits(logits, target);
    const auto p = torch::sigmoid(logits);
    const auto intersection = (p * target).sum({1, 2, 3});
    const auto unionArea = (p + target - p * target).sum({1, 2, 3});
    const auto iou = (intersection + 1.0) / (unionArea + 1.0);
    return bce + (1.0 - iou).mean();
}

double iouOf(const cv::Mat& probability, const cv::Mat& target) {
    const cv::Mat a = probability > 0.5, b = target > 0.5;
    const double intersection = cv::countNonZero(a & b), unionArea = cv::countNonZero(a | b);
    return unionArea == 0 ? 1.0 : intersection / unionArea;
}

void writeState(const fs::path& file, int step) {
    QJsonObject object;
    object["step"] = step;
    hz::writeFileAtomic(file.string(), QJsonDocument(object).toJson().toStdString());
}

int readState(const fs::path& file) {
    QFile f(QString::fromStdString(file.string()));
    if (!f.open(QIODevice::ReadOnly)) throw Error("cannot resume: '" + file.string() + "' is missing");
    const auto object = QJsonDocument::fromJson(f.readAll()).object();
    const int step = object.value("step").toInt(-1);
    if (step < 0) throw Error("cannot resume: '" + file.string() + "' has no step");
    return step;
}

}  // namespace

SubjectScores validateSubjectNet(SubjectNet& net, const training::TrainingData& data, const std::vector<int>& items,
                                 int side) {
    const bool wasTraining = net->is_training();
    net->eval();
    c10::InferenceMode inference;
    SubjectScores scores;
    std::mt19937 rng(1);
    double wholeSum = 0, boxSum = 0;
    for (const int index : items) {
        const auto& item = data.items[std::size_t(index)];
        for (const bool inBox : {false, true}) {
            if (!inBox && maskKindOf(item) != MaskKind::Salient) continue;
            const SubjectSample sample = makeSample(data, item, {side, inBox, false}, rng);
            const auto logits = net->forward(toTensor({sample}, false));
            const auto p = torch::sigmoid(logits).contiguous();
            const cv::Mat probability(side, side, CV_32FC1, p.data_ptr<float>());
            const double iou = iouOf(probability, sample.target);
            if (inBox) {
                boxSum += iou;
                ++scores.boxCount;
            } else {
                wholeSum += iou;
                ++scores.wholeCount;
                auto& group = scores.wholeByGroup[reportGroupOf(item)];
                group.first += iou;
                ++group.second;
            }
        }
    }
    for (auto& [name, group] : scores.wholeByGroup) group.first /= std::max(1, group.second);
    scores.wholeIoU = wholeSum / std::max(1, scores.wholeCount);
    scores.boxIoU = boxSum / std::max(1, scores.boxCount);
    net->train(wasTraining);
    return scores;
}

void trainSubjectNet(const SubjectTrainOptions& options, std::ostream& log, const std::function<bool()>& stop) {
    if (options.dataDirs.empty()) throw Error("train-subject: no --data folder");
    if (options.side % 32 != 0) throw Error("train-subject: --size must be a multiple of 32");
    torch::set_num_threads(options.threads);
    torch::manual_seed(options.seed);
    fs::create_directories(options.outDir);
    const fs::path out(options.outDir);

    training::TrainingData data;
    training::LoadOptions load;
    load.maxShortSide = 512;  // the photos are at most 384 px: keep them as they are
    for (const auto& dir : options.dataDirs) training::loadFolder(dir, load, data);
    for (const auto& line : data.layouts) log << "data: " << line << "\n";
    std::vector<int> trainItems, salientTrain, valItems;
    for (const int i : training::splitItems(data, training::Split::Train, options.valPercent)) {
        trainItems.push_back(i);
        if (teachesSelectSubject(data.items[std::size_t(i)], options.minInstanceShare)) salientTrain.push_back(i);
    }
    for (const int i : training::splitItems(data, training::Split::Val, options.valPercent)) valItems.push_back(i);
    if (salientTrain.empty()) throw Error("train-subject: no salient-object masks in the training split");
    // A fixed, evenly spread subset for the periodic checks.
    std::vector<int> valCheck;
    const double stride = std::max(1.0, double(valItems.size()) / std::max(1, options.valLimit));
    for (double k = 0; std::size_t(k) < valItems.size(); k += stride) valCheck.push_back(valItems[std::size_t(k)]);
    log << "items: " << trainItems.size() << " training (" << salientTrain.size() << " salient), " << valItems.size()
        << " validation (" << valCheck.size() << " checked every " << options.valEvery << " steps)\n";

    // Backgrounds for pasted composites: the training split's photos, each once.
    std::vector<int> backgroundPhotos;
    {
        std::set<int> seen;
        for (const int i : trainItems)
            if (seen.insert(data.items[std::size_t(i)].photo).second) backgroundPhotos.push_back(data.items[std::size_t(i)].photo);
    }

    SubjectNet net;
    int startStep = 0;
    if (options.resume) {
        loadSubjectModel((out / "last.hzm").string(), net);
        startStep = readState(out / "state.json");
        log << "resumed at step " << startStep << "\n";
    } else if (!options.initPath.empty()) {
        const auto initial = loadSubjectModel(options.initPath, net);
        log << "starting from " << options.initPath << " (" << initial.modelVersion << ", " << initial.inputSize << " px)\n";
    } else {
        if (options.pretrainedPath.empty()) throw Error("train-subject: --pretrained FILE is required");
        importSubjectEncoder(net, readSafeTensors(options.pretrainedPath), options.pretrainedPath);
    }
    net->train();

    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(net->decoderParameters(),
                        std::make_unique<torch::optim::AdamWOptions>(options.learningRate));
    groups.emplace_back(net->encoderParameters(),
                        std::make_unique<torch::optim::AdamWOptions>(options.learningRate * options.encoderLrScale));
    torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(options.learningRate).weight_decay(1e-4));
    if (options.resume && fs::exists(out / "optimizer.pt")) torch::load(optimizer, (out / "optimizer.pt").string());

    SubjectModelInfo info;
    info.inputSize = options.side;
    info.modelVersion = options.modelVersion;
    auto checkpoint = [&](int step) {
        info.trainingNotes = "MobileNetV2 encoder from ImageNet (shared/pretrained) + feature-pyramid decoder; " +
                             (options.initPath.empty() ? std::string()
                                                       : "continued from " + fs::path(options.initPath).filename().string() + "; ") +
                             std::to_string(step) + " steps of batch " + std::to_string(options.batch) + " at " +
                             std::to_string(options.side) + " px, AdamW lr " + std::to_string(options.learningRate) +
                             " (encoder x" + std::to_string(options.encoderLrScale) +
                             "), cosine; box share " + std::to_string(options.boxShare) + ", paste share " +
                             std::to_string(options.pasteShare) +
                             (options.minInstanceShare > 0
                                  ? "; COCO instances under " + std::to_string(options.minInstanceShare) + " of the photo box-only"
                                  : std::string()) +
                             "; seed " +
                             std::to_string(options.seed);
        saveSubjectModel((out / "last.hzm").string(), net, info);
        torch::save(optimizer, (out / "optimizer.pt.tmp").string());
        fs::rename(out / "optimizer.pt.tmp", out / "optimizer.pt");
        writeState(out / "state.json", step);
    };

    std::mt19937 rng(options.seed + std::uint32_t(startStep) * 7919u);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<std::size_t> pickAny(0, trainItems.size() - 1), pickSalient(0, salientTrain.size() - 1),
        pickBackground(0, backgroundPhotos.size() - 1);
    const auto started = std::chrono::steady_clock::now();
    double lossSum = 0;
    int lossCount = 0;
    for (int step = startStep; step < options.steps; ++step) {
        const double warm = std::min(1.0, double(step + 1) / std::max(1, options.warmupSteps));
        const double cosine = 0.5 * (1.0 + std::cos(M_PI * double(step) / double(options.steps)));
        const double scale = warm * cosine;
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(options.learningRate * scale);
        static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[1].options())
            .lr(options.learningRate * options.encoderLrScale * scale);

        std::vector<SubjectSample> samples;
        for (int b = 0; b < options.batch; ++b) {
            const bool inBox = unit(rng) < options.boxShare;
            if (unit(rng) < options.pasteShare) {
                const auto& foreground = data.items[std::size_t(salientTrain[pickSalient(rng)])];
                const int background = backgroundPhotos[pickBackground(rng)];
                samples.push_back(makePastedSample(data, foreground, background, {options.side, inBox, true}, rng));
                continue;
            }
            const int index = inBox ? trainItems[pickAny(rng)] : salientTrain[pickSalient(rng)];
            samples.push_back(makeSample(data, data.items[std::size_t(index)], {options.side, inBox, true}, rng));
        }
        const auto input = toTensor(samples, false), target = toTensor(samples, true);
        optimizer.zero_grad();
        const auto loss = subjectLoss(net->forward(input), target);
        loss.backward();
        optimizer.step();
        lossSum += loss.item<double>();
        ++lossCount;

        const int done = step + 1;
        if (done % 25 == 0) {
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            log << "step " << done << "/" << options.steps << " loss " << std::fixed << std::setprecision(4)
                << lossSum / lossCount << " lr " << std::setprecision(6) << options.learningRate * scale << " "
                << std::setprecision(2) << seconds / (done - startStep) << " s/step\n"
                << std::flush;
            lossSum = 0;
            lossCount = 0;
        }
        if (done % options.valEvery == 0 || done == options.steps) {
            const auto scores = validateSubjectNet(net, data, valCheck, options.side);
            log << "val step " << done << ": whole IoU " << std::setprecision(4) << scores.wholeIoU << " (" << scores.wholeCount
                << "), box IoU " << scores.boxIoU << " (" << scores.boxCount << ")";
            for (const auto& [name, group] : scores.wholeByGroup)
                log << ", " << name << " " << group.first << " (" << group.second << ")";
            log << "\n" << std::flush;
        }
        if (done % options.checkpointEvery == 0 || done == options.steps) checkpoint(done);
        if (stop && stop()) {
            checkpoint(done);
            log << "stopped at step " << done << "; --resume continues\n";
            return;
        }
    }
}

}  // namespace hz::subject
