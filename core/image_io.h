#pragma once
// Reading composites and masks the way a photo editor should, and writing results safely.
// Every failure is an hz::Error whose message names the file and the problem.
#include <opencv2/core.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"

namespace hz {

struct LoadedImage {
    cv::Mat pixels;                     // CV_8UC3 or CV_16UC3, BGR (OpenCV order), EXIF orientation applied
    std::vector<std::string> warnings;  // e.g. "alpha channel dropped"
    bool wasGrayscale = false;
};

// Accepts 8/16-bit, 1/3/4-channel images; grayscale becomes 3 channels, alpha is dropped
// with a warning. Throws hz::Error for a missing, unreadable or corrupt file.
LoadedImage loadImage(const std::string& path);

// The mask as CV_16UC1, 0 = background, 65535 = foreground (8-bit masks scaled by 257,
// so 255 -> 65535 exactly). Accepts 1/3/4-channel (first channel, or alpha for RGBA whose
// colour is constant), 8/16-bit, soft. Throws hz::Error if the file is unreadable or its
// size differs from `expectedSize` (when given non-empty).
cv::Mat loadMask(const std::string& path, cv::Size expectedSize = {});

// Converts an arbitrary single/multi-channel 8/16-bit mask Mat into CV_16UC1 as above.
cv::Mat normaliseMask(const cv::Mat& mask);

// True when no pixel of the mask is above zero.
bool maskIsEmpty(const cv::Mat& mask16);

// Supported output extensions: .png .jpg .jpeg .tif .tiff .webp. 16-bit images can be
// written to PNG and TIFF only (hz::Error otherwise).
bool extensionSupports16Bit(const std::string& path);
bool isSupportedOutputExtension(const std::string& path);

struct WriteOptions {
    int jpegQuality = 95;
};

// Encodes to a temporary file in the destination folder, then renames it over `path`.
// Refuses to write over any of `inputs` (compared as canonical paths). Throws hz::Error
// naming the path when the folder is missing or unwritable or the format is unsupported.
void writeImageAtomic(const std::string& path, const cv::Mat& image,
                      const std::vector<std::string>& inputs = {}, const WriteOptions& options = {});

// Same rename-into-place for any bytes (sidecars, CSV, JSON).
void writeFileAtomic(const std::string& path, const std::string& bytes,
                     const std::vector<std::string>& inputs = {});

// Lower-case extension with its dot (".png"), empty when there is none.
std::string lowerExtension(const std::string& path);

// Throws hz::Error naming `path` when it is missing, a directory, unreadable or empty.
// `kind` completes "is a directory, not <kind>".
void requireReadableFile(const std::string& path, const std::string& kind = "an image");

// Throws hz::Error if `output` names the same file as one of `inputs`.
void refuseToOverwriteInputs(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace hz
