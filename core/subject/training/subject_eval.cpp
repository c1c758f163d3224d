#include "core/subject/training/subject_eval.h"

#include <opencv2/imgproc.hpp>

#include <chrono>

#include "core/subject/select.h"
#include "core/subject/training/subject_training.h"

namespace hz::subject {
namespace {

// The one-pixel-wide inner boundary of a binary mask.
cv::Mat boundaryOf(const cv::Mat& binary) {
    cv::Mat eroded;
    cv::erode(binary, eroded, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}), {-1, -1}, 1, cv::BORDER_REPLICATE);
    return binary & ~eroded;
}

// Share of `edge`'s pixels within `tolerance` px of `other`'s (1 when `edge` has none).
double withinTolerance(const cv::Mat& edge, const cv::Mat& other, int tolerance) {
    const int total = cv::countNonZero(edge);
    if (total == 0) return cv::countNonZero(other) == 0 ? 1.0 : 0.0;
    cv::Mat distance;
    cv::distanceTransform(~other, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
    const cv::Mat near = (distance <= float(tolerance)) & edge;
    return double(cv::countNonZero(near)) / total;
}

}  // namespace

MaskScore scoreMask(const cv::Mat& predicted16, const cv::Mat& truth8, int tolerancePx) {
    CV_Assert(predicted16.size() == truth8.size());
    const cv::Mat predicted = predicted16 > (predicted16.depth() == CV_16U ? 32767 : 127);
    const cv::Mat truth = truth8 > 127;
    MaskScore score;
    const double intersection = cv::countNonZero(predicted & truth), unionArea = cv::countNonZero(predicted | truth);
    score.iou = unionArea == 0 ? 1.0 : intersection / unionArea;
    const cv::Mat predictedEdge = boundaryOf(predicted), trueEdge = boundaryOf(truth);
    const double precision = withinTolerance(predictedEdge, trueEdge, tolerancePx);
    const double recall = withinTolerance(trueEdge, predictedEdge, tolerancePx);
    score.boundaryF = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    return score;
}

SubjectEvaluation evaluateSubject(const SubjectPredictor& predictor, const training::TrainingData& data,
                                  const std::vector<int>& items, std::ostream* perItem, bool graphCut) {
    SubjectEvaluation evaluation;
    double wholeMs = 0;
    for (const int index : items) {
        const auto& item = data.items[std::size_t(index)];
        const cv::Mat& photo = data.photoOf(item).bgr;
        const std::string group = reportGroupOf(item), source = sourceOf(item);
        const bool salient = maskKindOf(item) == MaskKind::Salient;
        if (salient) {
            const auto start = std::chrono::steady_clock::now();
            const cv::Mat mask = selectSubject(predictor, photo);
            wholeMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            const MaskScore score = scoreMask(mask, item.mask);
            evaluation.whole.add(score);
            evaluation.wholeByGroup[group].add(score);
            evaluation.wholeBySource[source].add(score);
            if (perItem) *perItem << item.name << "," << group << ",whole," << score.iou << "," << score.boundaryF << "\n";
        }
        const cv::Rect box = maskBox(item.mask);
        if (box.empty()) continue;
        const cv::Mat mask = selectInBox(predictor, photo, box, nullptr, {graphCut});
        const MaskScore score = scoreMask(mask, item.mask);
        evaluation.box.add(score);
        if (salient) evaluation.boxSalient.add(score);
        evaluation.boxByGroup[group].add(score);
        evaluation.boxBySource[source].add(score);
        if (perItem) *perItem << item.name << "," << group << ",box," << score.iou << "," << score.boundaryF << "\n";
    }
    evaluation.milliseconds = evaluation.whole.count ? wholeMs / evaluation.whole.count : 0;
    return evaluation;
}

}  // namespace hz::subject
