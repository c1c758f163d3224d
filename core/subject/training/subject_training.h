#pragma once
// Training the subject network (issue 17) on the photos with foreground masks of
// shared/data, and its low-resolution validation. The split is the harmonization model's:
// by source photo (training::isValidationSource), so that no validation photo, nor another
// mask or frame of it, is seen in training.
#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/subject/subject_net.h"
#include "core/training/dataset.h"

namespace hz::subject {

// What an item is good for. Salient: the subject of its photo (a person, an animal, the
// object a photographer framed), trained and scored for Select Subject on the whole photo.
// Region: a labelled region or object among others (sky, a building, one segment of a
// scene): only for selecting inside a box, where the box says which one is meant.
enum class MaskKind { Salient, Region };
MaskKind maskKindOf(const training::MaskedItem& item);
// The group an item is reported in: "portraits", "animals", "objects" or "scenes".
std::string reportGroupOf(const training::MaskedItem& item);
// The data folder an item came from ("coco_mval", "portraits", ...), for per-source figures.
std::string sourceOf(const training::MaskedItem& item);

// Whether a salient item should teach Select Subject in training. COCO's masks mark one
// instance picked for interactive segmentation, often not the photo's subject (a tie on the
// man who is the subject, a potted plant behind a wedding): taught as "the subject", such a
// mask teaches the network to pick an arbitrary object. With minInstanceShare > 0, a COCO
// instance covering less of its photo than that teaches only the box tool (where the box
// says which object is meant). Evaluation is unchanged: it scores every salient item.
bool teachesSelectSubject(const training::MaskedItem& item, double minInstanceShare);

// One training or validation sample at side x side (aspect not kept, as the predictor does).
struct SubjectSample {
    cv::Mat rgb;     // CV_32FC3 RGB in [0, 1]
    cv::Mat target;  // CV_32FC1 in [0, 1]
};
// The crop selectInBox gives the network: the mask's bounding box grown by `margin` of its
// width and height on every side, clipped to the photo.
cv::Rect boxCrop(const cv::Rect& box, double margin, cv::Size photo);
// The bounding box of the mask's pixels above half; empty when there are none.
cv::Rect maskBox(const cv::Mat& mask8);

struct SampleOptions {
    int side = 320;
    bool inBox = false;     // crop around the mask (selectInBox's view) instead of the whole photo
    bool augment = false;   // random crop, margins, flip and colour changes (training)
};
SubjectSample makeSample(const training::TrainingData& data, const training::MaskedItem& item,
                         const SampleOptions& options, std::mt19937& rng);
// A pasted composite, the photo the editor runs Select Subject on: the foreground item's
// masked object, scaled so that its longer side is 35-90 % of the background's shorter side,
// placed at random on `backgroundPhoto`, sometimes with a softened edge. The target is the
// pasted object. Returns makeSample's view of that composite.
SubjectSample makePastedSample(const training::TrainingData& data, const training::MaskedItem& foreground,
                               int backgroundPhoto, const SampleOptions& options, std::mt19937& rng);

struct SubjectTrainOptions {
    std::vector<std::string> dataDirs;
    std::string outDir;
    std::string pretrainedPath;  // ImageNet MobileNetV2 safetensors (required unless resuming or initPath)
    std::string initPath;        // a subject model file to start from (weights only; new schedule)
    std::string modelVersion = "2026.12-subject-1";
    int side = 320;
    int batch = 8;
    int steps = 3000;
    double learningRate = 1e-3;     // decoder; the encoder gets learningRate * encoderLrScale
    double encoderLrScale = 0.1;
    int warmupSteps = 100;
    double boxShare = 0.35;         // share of samples seen inside a box
    double pasteShare = 0.0;        // share of samples that are pasted composites (makePastedSample)
    double minInstanceShare = 0.0;  // teachesSelectSubject: 0 keeps every COCO instance as a subject
    int threads = 2;
    std::uint32_t seed = 7;
    int valEvery = 500;
    int valLimit = 240;             // validation items scored per check (the same ones each time)
    int checkpointEvery = 100;
    bool resume = false;
    int valPercent = 10;
};

struct SubjectScores {
    double wholeIoU = 0;     // Select Subject view, salient validation items
    double boxIoU = 0;       // inside-a-box view, every validation item
    int wholeCount = 0, boxCount = 0;
    std::map<std::string, std::pair<double, int>> wholeByGroup;  // group -> (mean IoU, count)
};

// Scores `net` (eval mode) on validation items at the network's resolution, threshold 0.5.
SubjectScores validateSubjectNet(SubjectNet& net, const training::TrainingData& data,
                                 const std::vector<int>& items, int side);

// Trains, writing outDir/last.hzm (+ optimizer.pt, state.json) every checkpointEvery steps and
// at the end, with a validation line every valEvery steps. `stop` is polled every step: when
// it returns true a checkpoint is written and training returns (resume continues from there).
void trainSubjectNet(const SubjectTrainOptions& options, std::ostream& log, const std::function<bool()>& stop);

}  // namespace hz::subject
