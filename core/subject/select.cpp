#include "core/subject/select.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace hz::subject {

namespace {

// The crop the network sees around a box: this much of the box's width (height) on either
// side, so that the object's outline is not on the crop's border and the network sees some of
// what surrounds it.
constexpr double kBoxMargin = 0.12;
// grabCut's cost grows with its pixels and iterations (one core; on a smooth 3:4 photo with
// a clear object: 448 px and 4 iterations 170 ms, 320 px and 2 iterations 60 ms; on the
// bench's noisier photo with an untrained network's seeds, 384 px 3 iterations 320 ms, 320 px
// 210 ms on a loaded machine); the guided upsampling restores the full-resolution edge, so a
// moderate size is enough.
constexpr int kGrabCutLongSide = 320;
constexpr int kGrabCutIterations = 3;
// Network probabilities above this, away from the predicted edge, are taken as certain
// foreground; the rest of the box is only "probably" foreground or background for grabCut.
constexpr float kSureForeground = 0.95f;
// grabCut's colour models go wrong where the object's colours recur in the background
// (measured on DAVIS frames: 11 points of IoU lost against the network alone); a cut that
// agrees with the network's own mask less than this (IoU inside the box) is not used.
constexpr double kMinAgreement = 0.85;

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

void requirePhoto(const cv::Mat& photo) {
    if (photo.empty() || (photo.type() != CV_8UC3 && photo.type() != CV_16UC3))
        throw hz::Error("Select Subject: the photo must be an 8- or 16-bit BGR image");
}

std::string describe(const cv::Rect& r) {
    return std::to_string(r.x) + "," + std::to_string(r.y) + "," + std::to_string(r.width) + "," +
           std::to_string(r.height);
}

// grabCut on the crop at a reduced size, seeded from the network's probabilities `p` (the
// crop's size): outside the box certain background, inside it probable foreground or
// background by p > 0.5, certain foreground where p is very high and far from its edge.
// Returns the mask grabCut settles on (CV_32FC1 0/1, the crop's reduced size), or an empty Mat
// when the seeds cannot start it (no background around the box, nothing in it).
cv::Mat graphCut(const cv::Mat& crop8, const cv::Mat& p, const cv::Rect& boxInCrop) {
    cv::Mat trimap(p.size(), CV_8U, cv::Scalar(cv::GC_BGD));
    cv::Mat inBox = trimap(boxInCrop);
    const cv::Mat pBox = p(boxInCrop);
    inBox.setTo(cv::GC_PR_BGD);
    inBox.setTo(cv::GC_PR_FGD, pBox > 0.5f);
    cv::Mat sure = pBox > kSureForeground;
    const int away = std::max(2, std::min(boxInCrop.width, boxInCrop.height) / 20);
    cv::erode(sure, sure, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * away + 1, 2 * away + 1}));
    inBox.setTo(cv::GC_FGD, sure);
    if (cv::countNonZero(inBox == cv::GC_PR_FGD) + cv::countNonZero(sure) == 0)
        inBox.setTo(cv::GC_PR_FGD);  // the network saw nothing: start from the box, as grabCut's own rectangle mode
    const int background = cv::countNonZero(trimap == cv::GC_BGD) + cv::countNonZero(trimap == cv::GC_PR_BGD);
    // Its colour models need a few samples of each side.
    if (background < 16) return {};
    cv::Mat bgModel, fgModel;
    // grabCut's colour models start from k-means seeded by the calling thread's cv::theRNG():
    // a fixed seed gives the same box the same mask on any thread (the editor's worker, the
    // CLI), whatever that thread drew before. The caller's generator is put back afterwards.
    struct SeededRng {
        std::uint64_t saved = cv::theRNG().state;
        SeededRng() { cv::theRNG().state = 0xffffffffu; }  // OpenCV's own default seed
        ~SeededRng() { cv::theRNG().state = saved; }
    } seeded;
    try {
        cv::grabCut(crop8, trimap, cv::Rect(), bgModel, fgModel, kGrabCutIterations, cv::GC_INIT_WITH_MASK);
    } catch (const cv::Exception&) {
        return {};  // degenerate colour models (e.g. a flat crop): the network's mask stands
    }
    cv::Mat fg = (trimap == cv::GC_FGD) | (trimap == cv::GC_PR_FGD);
    cv::Mat out;
    fg.convertTo(out, CV_32F, 1.0 / 255.0);
    return out;
}

// IoU of two binary masks (1 when both are empty).
double agreement(const cv::Mat& a, const cv::Mat& b) {
    const int either = cv::countNonZero(a | b);
    return either ? static_cast<double>(cv::countNonZero(a & b)) / either : 1.0;
}

}  // namespace

cv::Mat selectSubject(const SubjectPredictor& predictor, const cv::Mat& photoBgr, const std::atomic<bool>* cancel) {
    requirePhoto(photoBgr);
    if (cancelled(cancel)) return {};
    const cv::Mat square = predictor.predictSquare(photoBgr);
    if (cancelled(cancel)) return {};
    // The square is the photo squashed; the upsampling stretches it back to the photo's aspect.
    cv::Mat mask = upsampleMaskGuided16(square, photoBgr);
    if (cancelled(cancel)) return {};
    return mask;
}

cv::Mat selectInBox(const SubjectPredictor& predictor, const cv::Mat& photoBgr, const cv::Rect& box,
                    const std::atomic<bool>* cancel, const SelectInBoxOptions& options) {
    requirePhoto(photoBgr);
    const cv::Rect bounds(cv::Point(), photoBgr.size());
    const cv::Rect clipped = box & bounds;
    if (clipped.width < 2 || clipped.height < 2)
        throw hz::Error("Select in box: the box " + describe(box) + " is outside the " +
                        std::to_string(photoBgr.cols) + "x" + std::to_string(photoBgr.rows) + " photo");
    if (cancelled(cancel)) return {};

    const int mx = std::max(4, static_cast<int>(std::lround(kBoxMargin * clipped.width)));
    const int my = std::max(4, static_cast<int>(std::lround(kBoxMargin * clipped.height)));
    const cv::Rect cropRect = cv::Rect(clipped.x - mx, clipped.y - my, clipped.width + 2 * mx, clipped.height + 2 * my) & bounds;
    const cv::Mat crop = photoBgr(cropRect);
    const cv::Mat square = predictor.predictSquare(crop);
    if (cancelled(cancel)) return {};

    const double f = std::min(1.0, static_cast<double>(kGrabCutLongSide) / std::max(cropRect.width, cropRect.height));
    const cv::Size small(std::max(1, static_cast<int>(std::lround(cropRect.width * f))),
                         std::max(1, static_cast<int>(std::lround(cropRect.height * f))));
    cv::Mat crop8;
    cv::resize(crop, crop8, small, 0, 0, cv::INTER_AREA);
    if (crop8.depth() == CV_16U) crop8.convertTo(crop8, CV_8U, 255.0 / 65535.0);
    cv::Mat p;
    cv::resize(square, p, small, 0, 0, cv::INTER_LINEAR);
    const cv::Rect boxInCrop = clipped - cropRect.tl();
    const cv::Point tl(static_cast<int>(std::floor(boxInCrop.x * f)), static_cast<int>(std::floor(boxInCrop.y * f)));
    const cv::Point br(static_cast<int>(std::ceil(boxInCrop.br().x * f)), static_cast<int>(std::ceil(boxInCrop.br().y * f)));
    const cv::Rect boxSmall = cv::Rect(tl, br) & cv::Rect(cv::Point(), small);

    cv::Mat combined = p;
    const cv::Mat cut = options.graphCut && boxSmall.area() > 0 ? graphCut(crop8, p, boxSmall) : cv::Mat();
    if (!cut.empty() && agreement(p(boxSmall) > 0.5f, cut(boxSmall) > 0.5f) >= kMinAgreement) {
        // The mean of the two: where they agree it stays on that side; where they disagree it
        // is near 0.5 and the guided upsampling decides by the photo's colours. (Measured
        // against letting grabCut decide: as good or better on DAVIS, horses and GrabCut.)
        combined = 0.5 * (p + cut);
    }
    if (cancelled(cancel)) return {};

    cv::Mat full = upsampleMaskGuided16(combined, crop);
    if (cancelled(cancel)) return {};
    cv::Mat out = cv::Mat::zeros(photoBgr.size(), CV_16UC1);
    full(boxInCrop).copyTo(out(clipped));
    return out;
}

}  // namespace hz::subject
