#include "app/cli/subject_mask.h"

#include "core/error.h"
#include "core/photo/colour.h"

#include <cstdio>

namespace hz::cli {

void addSubjectModelOption(ArgParser& parser) {
    parser.addOption("subject-model", "FILE", "subject network (.hzm), default: the shipped models/subject.hzm");
}

std::unique_ptr<subject::SubjectPredictor> makeSubjectPredictor(const ArgParser& parser, int threads) {
    return std::make_unique<subject::SubjectPredictor>(parser.optional("subject-model").value_or(""), threads);
}

cv::Mat selectSubjectOf(const subject::SubjectPredictor& predictor, const LoadedImage& image,
                        const std::string& imagePath, const std::optional<cv::Rect>& box) {
    // The guide for the edges may be in any colour space; converting the photo once serves both.
    const auto toSrgb = photo::SrgbConversion::fromIcc(image.metadata.icc);
    const cv::Mat photo = toSrgb ? toSrgb->convertBgr(image.pixels) : image.pixels;
    try {
        return box ? subject::selectInBox(predictor, photo, *box) : subject::selectSubject(predictor, photo);
    } catch (const Error& e) {
        throw Error(imagePath + ": " + e.what());
    }
}

}  // namespace hz::cli

namespace hz::cli {

void addRefineEdgeOptions(ArgParser& parser) {
    for (const auto& spec : subject::refineEdgeSpecs()) {
        const std::string range = " (" + std::to_string(int(spec.minimum)) + ".." + std::to_string(int(spec.maximum)) +
                                  " " + spec.unit + ", default " + std::to_string(int(spec.defaultValue)) + ")";
        std::string help;
        if (std::string(spec.key) == "radius") help = "Refine Edge radius: smooth the edge within this band, following the photo";
        else if (std::string(spec.key) == "shift") help = "shift the edge: grow (> 0) or shrink (< 0) the mask";
        else help = "feather: soften the edge with a Gaussian of this size";
        parser.addOption(spec.flag, "PX", help + range);
    }
}

subject::RefineEdgeParams refineEdgeParams(const ArgParser& parser) {
    subject::RefineEdgeParams params;
    for (const auto& spec : subject::refineEdgeSpecs())
        params.*spec.member = parser.number(spec.flag, spec.defaultValue, spec.minimum, spec.maximum);
    return params;
}

cv::Rect parseBox(const std::string& text) {
    int v[4];
    char tail = 0;
    if (std::sscanf(text.c_str(), "%d,%d,%d,%d%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4 || v[2] <= 0 || v[3] <= 0)
        throw UsageError("--box expects X,Y,W,H (whole pixels, W and H above 0), got '" + text + "'");
    return {v[0], v[1], v[2], v[3]};
}

}  // namespace hz::cli
