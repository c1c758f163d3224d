#pragma once
// Scoring Select Subject and Select-inside-a-box end to end (network, guided upsampling,
// graph cut) at the photos' full resolution against their true masks.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/subject/subject_predictor.h"
#include "core/training/dataset.h"

namespace hz::subject {

struct MaskScore {
    double iou = 0;        // foreground above half, against the true mask above half
    double boundaryF = 0;  // boundary F-measure: boundary pixels within `tolerance` px of the other's
};
// predicted16, truth: CV_16UC1 / CV_8UC1 of one size.
MaskScore scoreMask(const cv::Mat& predicted16, const cv::Mat& truth8, int tolerancePx = 3);

struct ScoreSum {
    double iou = 0, boundaryF = 0;
    int count = 0;
    void add(const MaskScore& s) { iou += s.iou; boundaryF += s.boundaryF; ++count; }
    double meanIoU() const { return count ? iou / count : 0; }
    double meanBoundaryF() const { return count ? boundaryF / count : 0; }
};

struct SubjectEvaluation {
    ScoreSum whole, box, boxSalient;                        // Select Subject (salient items), box (all / salient items)
    std::map<std::string, ScoreSum> wholeByGroup, boxByGroup;  // reportGroupOf
    std::map<std::string, ScoreSum> wholeBySource, boxBySource;  // sourceOf: the data folder
    double milliseconds = 0;                                 // mean wall time of one selectSubject
};

// Every item runs inside a box (the true mask's bounding box); the salient ones also as
// Select Subject on the whole photo. `perItem` (may be null) gets CSV lines
// "name,group,mode,iou,boundary_f".
SubjectEvaluation evaluateSubject(const SubjectPredictor& predictor, const training::TrainingData& data,
                                  const std::vector<int>& items, std::ostream* perItem = nullptr,
                                  bool graphCut = true);

}  // namespace hz::subject
