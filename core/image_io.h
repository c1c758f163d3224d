#pragma once
// Reading composites and masks the way a photo editor should, and writing results safely.
// Every failure is an hz::Error whose message names the file and the problem.
#include <opencv2/core.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/photo/metadata.h"

namespace hz {

struct LoadedImage {
    cv::Mat pixels;                     // CV_8UC3 or CV_16UC3, BGR (OpenCV order), EXIF orientation applied
    std::vector<std::string> warnings;  // e.g. "alpha channel dropped"
    bool wasGrayscale = false;
    // EXIF/XMP/IPTC and ICC profile, for the exports (core/photo/). metadata.orientation is
    // the turn already applied to `pixels` (decided from the file's content, not its name).
    photo::PhotoMetadata metadata;
};

// Images over this many pixels are refused from their header, before any decoding (a
// 600-byte JPEG may declare 32768x32768, which decodes to 8 GB). 300 MP is well above any
// camera; HARMONIZER_MAX_MEGAPIXELS (read once) or setMaxImagePixels (--max-megapixels)
// raises it.
constexpr std::uint64_t kDefaultMaxImagePixels = 300'000'000;
std::uint64_t maxImagePixels();
void setMaxImagePixels(std::uint64_t pixels);

struct ImageInfo {
    cv::Size size;  // as the header declares it (before EXIF orientation)
};
// Reads only what is needed for the size: a regular file, a known signature (JPEG, PNG,
// TIFF, WebP, BMP; HEIF/AVIF through libheif, whose size is after the container's rotation),
// within the pixel limit. hz::Error naming the file otherwise.
ImageInfo probeImage(const std::string& path);
// Both headers: hz::Error naming the mask when its size differs from the image's (a quarter
// turn is let through: EXIF orientation is only known after decoding). Returns the image size.
cv::Size checkImageAndMaskHeaders(const std::string& imagePath, const std::string& maskPath);

// Accepts 8/16-bit, 1/3/4-channel images; grayscale becomes 3 channels, alpha is dropped
// with a warning. Throws hz::Error for a missing, unreadable or corrupt file: the file must
// be a regular file with an image signature, within the pixel limit, and a JPEG must
// decode without a single libjpeg warning (a cut or damaged JPEG is an error, not grey).
LoadedImage loadImage(const std::string& path);

// The mask as CV_16UC1, 0 = background, 65535 = foreground (8-bit masks scaled by 257,
// so 255 -> 65535 exactly). Accepts 1/3/4-channel (luminance, or alpha for RGBA whose
// colour is constant), 8/16-bit, soft. Throws hz::Error if the file is unreadable or its
// size differs from `expectedSize` (when given non-empty; checked from the header, before
// decoding). `warnings` (optional) receives e.g. "the mask looks like a colour photo".
cv::Mat loadMask(const std::string& path, cv::Size expectedSize = {});
cv::Mat loadMask(const std::string& path, cv::Size expectedSize, std::vector<std::string>* warnings);

// The mask for `image`: turned by its own EXIF orientation when it has one. When the image
// was turned by its orientation and the mask carries none, the mask is taken as drawn on
// the displayed (turned) image, or, when only the stored size fits, turned like the image;
// either way a warning is added, since a square mask cannot tell.
// `imageSize` and `imageOrientation`: the loaded image's size and metadata.orientation.
cv::Mat loadMask(const std::string& path, cv::Size imageSize, int imageOrientation, std::vector<std::string>& warnings);
inline cv::Mat loadMask(const std::string& path, const LoadedImage& image, std::vector<std::string>& warnings) {
    return loadMask(path, image.pixels.size(), image.metadata.orientation, warnings);
}

// Converts an arbitrary single/multi-channel 8/16-bit mask Mat into CV_16UC1 as above.
cv::Mat normaliseMask(const cv::Mat& mask);
cv::Mat normaliseMask(const cv::Mat& mask, std::vector<std::string>* warnings);

// True when no pixel of the mask is above zero.
bool maskIsEmpty(const cv::Mat& mask16);

// Supported output extensions: .png .jpg .jpeg .tif .tiff .webp. 16-bit images can be
// written to PNG and TIFF only (hz::Error otherwise).
bool extensionSupports16Bit(const std::string& path);
bool isSupportedOutputExtension(const std::string& path);

// hz::Error naming `path` when its format cannot hold an image of `size` (WebP: 16383 px
// a side, JPEG: 65535): call it before a long render.
void checkOutputImageSize(const std::string& path, cv::Size size);

struct WriteOptions {
    int jpegQuality = 95;
    // Written into the file before it is renamed into place (see photo::writeMetadata):
    // orientation reset to normal, dimensions of `image`.
    photo::PhotoMetadata metadata;
    bool stripMetadata = false;  // keep only the ICC profile
};

// Encodes to memory, writes a temporary file in the destination folder with checked
// writes, fsyncs it, gives it the permission bits of the file it replaces, checks its size,
// renames it over `path` and fsyncs the folder: a full disk or any other failure leaves
// the previous file as it was and no temporary behind. Refuses to write over any of
// `inputs` (compared as canonical paths and as inodes). Throws hz::Error naming the path
// when the folder is missing or unwritable, the format is unsupported or the write fails.
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

// Everything about a set of outputs that can be checked before any work: none is an
// input, no two are the same file, each folder exists and is writable. hz::Error naming
// the first output at fault. Empty entries are skipped.
void checkOutputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);

// Reads a whole regular file (never a FIFO or a device) of at most `maxBytes` bytes.
std::string readFileBounded(const std::string& path, std::size_t maxBytes);

// Deletes the temporary files of writes in progress. Async-signal-safe: for SIGINT/SIGTERM
// handlers that then _exit().
void removePendingTemporaries() noexcept;

}  // namespace hz
