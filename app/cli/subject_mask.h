#pragma once
// Select Subject on the command line: the options and the one call that `mask` and
// `harmonize --auto-mask` share.
#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/subject/select.h"

namespace hz::cli {

// --subject-model FILE.
void addSubjectModelOption(ArgParser& parser);
// The subject network from --subject-model (default: the shipped models/subject.hzm).
// Throws hz::Error naming the file for a missing or damaged model.
std::unique_ptr<subject::SubjectPredictor> makeSubjectPredictor(const ArgParser& parser, int threads);

// The foreground of `image` (CV_16UC1 of its size): the network's subject, or with `box` the
// object inside it. The network sees the photo converted to sRGB (it was trained on sRGB
// photos), as the harmonization network does. `imagePath` names the file in errors.
cv::Mat selectSubjectOf(const subject::SubjectPredictor& predictor, const LoadedImage& image,
                        const std::string& imagePath, const std::optional<cv::Rect>& box = std::nullopt);

}  // namespace hz::cli

namespace hz::cli {

// --refine, --shift, --feather from refineEdgeSpecs(), and their values (UsageError outside
// the specs' ranges).
void addRefineEdgeOptions(ArgParser& parser);
subject::RefineEdgeParams refineEdgeParams(const ArgParser& parser);

// "X,Y,W,H" in pixels of the (turned) image; UsageError unless four integers with W, H > 0.
cv::Rect parseBox(const std::string& text);

}  // namespace hz::cli
