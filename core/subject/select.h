#pragma once
// Select Subject and Select-inside-a-box: the whole pipelines from a photo to a full
// resolution soft mask (network -> edge-aware upsampling guided by the photo -> optional
// graph-cut clean-up), shared by the CLI (`harmonizer-cli mask`, `--auto-mask`) and the editor.
#include <opencv2/core.hpp>

#include <atomic>

#include "core/subject/refine.h"
#include "core/subject/subject_predictor.h"

namespace hz::subject {

// The whole photo: the network's subject. photo: CV_8UC3 or CV_16UC3 BGR.
// Returns CV_16UC1, same size as the photo, 0 = background, 65535 = foreground, soft edges.
// `cancel` (may be null) is polled between stages; when it is set, an empty Mat is returned.
cv::Mat selectSubject(const SubjectPredictor& predictor, const cv::Mat& photoBgr,
                      const std::atomic<bool>* cancel = nullptr);

// The object inside `box` (photo coordinates; clipped to the photo; hz::Error when empty after
// clipping): the network runs on the box with a margin around it, cv::grabCut seeded with the
// network's mask cleans it, and everything outside the box is 0. Same output as selectSubject.
struct SelectInBoxOptions {
    bool graphCut = true;  // false: the network's mask alone (eval-subject --no-graph-cut compares)
};
cv::Mat selectInBox(const SubjectPredictor& predictor, const cv::Mat& photoBgr, const cv::Rect& box,
                    const std::atomic<bool>* cancel = nullptr, const SelectInBoxOptions& options = {});

}  // namespace hz::subject
