#include "image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>
#include <unistd.h>

#include "core/photo/heif_io.h"
#include "core/photo/orientation.h"

namespace fs = std::filesystem;

namespace hz {
namespace {

std::string temporarySibling(const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    const std::string stem = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++) + "-" + std::to_string(rd() % 100000);
    // Keep the real extension last: OpenCV picks the encoder from it.
    return (target.parent_path() / (stem + target.extension().string())).string();
}

void requireWritableFolder(const fs::path& target) {
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    if (!fs::exists(folder, ec)) throw Error(target.string() + ": folder " + folder.string() + " does not exist");
    if (!fs::is_directory(folder, ec)) throw Error(target.string() + ": " + folder.string() + " is not a folder");
    if (::access(folder.c_str(), W_OK) != 0)
        throw Error(target.string() + ": folder " + folder.string() + " is not writable");
    if (fs::is_directory(target, ec)) throw Error(target.string() + ": is a directory");
}

void renameIntoPlace(const std::string& temporary, const std::string& path) {
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
        fs::remove(temporary, ec);
        throw Error(path + ": cannot be written (" + ec.message() + ")");
    }
}

}  // namespace

std::string lowerExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

void requireReadableFile(const std::string& path, const std::string& kind) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path + ": no such file");
    if (fs::is_directory(path, ec)) throw Error(path + ": is a directory, not " + kind);
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw Error(path + ": cannot be opened for reading");
    if (fs::file_size(path, ec) == 0) throw Error(path + ": file is empty");
}

// Decoders and orientation are chosen by the file's content, never its name: OpenCV picks
// its decoder from the signature, IMREAD_UNCHANGED keeps alpha and 16 bits and leaves the
// orientation alone, and the orientation comes from the metadata Exiv2 finds in any format.
static cv::Mat decodeOriented(const std::string& path, photo::PhotoMetadata& metadata,
                              std::vector<std::string>& warnings) {
    if (photo::isHeifFile(path)) {
        photo::HeifPhoto heif = photo::decodeHeif(path);
        metadata = std::move(heif.metadata);
        warnings.insert(warnings.end(), heif.warnings.begin(), heif.warnings.end());
        return heif.pixels;
    }
    cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (raw.empty()) return raw;
    metadata = photo::readMetadata(path, &warnings);
    if (!photo::decoderAppliesOrientation(path)) photo::applyOrientation(raw, metadata.orientation);
    return raw;
}

LoadedImage loadImage(const std::string& path) {
    requireReadableFile(path);
    LoadedImage result;
    cv::Mat raw = decodeOriented(path, result.metadata, result.warnings);
    if (raw.empty()) throw Error(path + ": not a readable image (corrupt or unsupported format)");
    if (raw.channels() == 4) result.warnings.push_back(path + ": alpha channel dropped (the mask comes from the mask file)");

    if (raw.depth() != CV_8U && raw.depth() != CV_16U) {
        if (raw.depth() == CV_32F || raw.depth() == CV_64F) {
            raw.convertTo(raw, CV_16U, 65535.0);
            result.warnings.push_back(path + ": floating-point image converted to 16-bit");
        } else {
            throw Error(path + ": unsupported pixel depth (only 8- and 16-bit images)");
        }
    }
    switch (raw.channels()) {
        case 1:
            cv::cvtColor(raw, result.pixels, cv::COLOR_GRAY2BGR);
            result.wasGrayscale = true;
            break;
        case 3: result.pixels = raw; break;
        case 4:
            cv::cvtColor(raw, result.pixels, cv::COLOR_BGRA2BGR);
            break;
        default: throw Error(path + ": unsupported number of channels (" + std::to_string(raw.channels()) + ")");
    }
    return result;
}

cv::Mat normaliseMask(const cv::Mat& mask) {
    if (mask.empty()) throw Error("mask is empty");
    cv::Mat single;
    if (mask.channels() == 1) {
        single = mask;
    } else if (mask.channels() == 4) {
        // An RGBA mask whose colour is constant carries its shape in alpha; otherwise use luminance-like first channel.
        std::vector<cv::Mat> planes;
        cv::split(mask, planes);
        double lo = 0, hi = 0;
        cv::minMaxLoc(planes[0], &lo, &hi);
        single = (lo == hi) ? planes[3] : planes[0];
    } else if (mask.channels() == 3) {
        cv::extractChannel(mask, single, 0);
    } else {
        throw Error("mask has an unsupported number of channels (" + std::to_string(mask.channels()) + ")");
    }
    cv::Mat out;
    switch (single.depth()) {
        case CV_8U: single.convertTo(out, CV_16U, 257.0); break;
        case CV_16U: out = single.clone(); break;
        case CV_32F:
        case CV_64F: single.convertTo(out, CV_16U, 65535.0); break;
        default: throw Error("mask has an unsupported pixel depth");
    }
    return out;
}

static cv::Mat loadMaskOriented(const std::string& path, photo::PhotoMetadata& metadata,
                                std::vector<std::string>& warnings);

cv::Mat loadMask(const std::string& path, cv::Size expectedSize) {
    photo::PhotoMetadata metadata;
    std::vector<std::string> warnings;
    cv::Mat mask = loadMaskOriented(path, metadata, warnings);
    if (!expectedSize.empty() && mask.size() != expectedSize)
        throw Error(path + ": mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                    " but the image is " + std::to_string(expectedSize.width) + "x" +
                    std::to_string(expectedSize.height));
    return mask;
}

cv::Mat loadMask(const std::string& path, cv::Size imageSize, int imageOrientation, std::vector<std::string>& warnings) {
    photo::PhotoMetadata metadata;
    cv::Mat mask = loadMaskOriented(path, metadata, warnings);
    const int turn = imageOrientation;
    if (turn != 1 && !metadata.hasOrientationTag) {
        const cv::Size shown = imageSize;
        const cv::Size stored = photo::orientedSize(shown, turn);  // the turns 5..8 are their own size inverse
        if (mask.size() == stored && mask.size() != shown) {
            photo::applyOrientation(mask, turn);
            warnings.push_back(path + ": the mask has the image's stored size and no orientation; it was turned by the "
                               "image's EXIF orientation " + std::to_string(turn) + " like the image");
        } else {
            warnings.push_back(path + ": the image was turned by its EXIF orientation " + std::to_string(turn) +
                               " and the mask carries no orientation; the mask is taken as drawn on the turned "
                               "image (if it was made from the stored pixels, it is misaligned)");
        }
    }
    if (mask.size() != imageSize)
        throw Error(path + ": mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                    " but the image is " + std::to_string(imageSize.width) + "x" + std::to_string(imageSize.height));
    return mask;
}

static cv::Mat loadMaskOriented(const std::string& path, photo::PhotoMetadata& metadata,
                                std::vector<std::string>& warnings) {
    requireReadableFile(path);
    const cv::Mat raw = decodeOriented(path, metadata, warnings);
    if (raw.empty()) throw Error(path + ": not a readable mask image (corrupt or unsupported format)");
    cv::Mat mask;
    try {
        mask = normaliseMask(raw);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    return mask;
}

bool maskIsEmpty(const cv::Mat& mask16) { return cv::countNonZero(mask16) == 0; }

bool extensionSupports16Bit(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".png" || ext == ".tif" || ext == ".tiff";
}

bool isSupportedOutputExtension(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

void refuseToOverwriteInputs(const std::string& output, const std::vector<std::string>& inputs) {
    std::error_code ec;
    const fs::path out = fs::weakly_canonical(output, ec);
    for (const auto& input : inputs) {
        if (input.empty()) continue;
        std::error_code ec2;
        if (fs::weakly_canonical(input, ec2) == out)
            throw Error(output + ": refusing to overwrite an input file");
    }
}

void writeImageAtomic(const std::string& path, const cv::Mat& image, const std::vector<std::string>& inputs,
                      const WriteOptions& options) {
    if (!isSupportedOutputExtension(path))
        throw Error(path + ": unsupported output format (use .png, .jpg, .tif or .webp)");
    if (image.depth() == CV_16U && !extensionSupports16Bit(path))
        throw Error(path + ": a 16-bit image can only be written as PNG or TIFF");
    refuseToOverwriteInputs(path, inputs);
    requireWritableFolder(path);
    std::vector<int> params;
    const std::string ext = lowerExtension(path);
    if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, options.jpegQuality};
    if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};  // > 100: lossless
    const std::string temporary = temporarySibling(path);
    bool ok = false;
    try {
        ok = cv::imwrite(temporary, image, params);
    } catch (const cv::Exception& e) {
        ok = false;
    }
    if (!ok) {
        std::error_code ec;
        fs::remove(temporary, ec);
        throw Error(path + ": could not encode or write the image");
    }
    try {
        photo::writeMetadata(temporary, options.metadata, image.size(), {options.stripMetadata}, path);
    } catch (const Error&) {
        std::error_code ec;
        fs::remove(temporary, ec);
        throw;
    }
    renameIntoPlace(temporary, path);
}

void writeFileAtomic(const std::string& path, const std::string& bytes, const std::vector<std::string>& inputs) {
    refuseToOverwriteInputs(path, inputs);
    requireWritableFolder(path);
    const std::string temporary = temporarySibling(path);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            fs::remove(temporary, ec);
            throw Error(path + ": cannot be written");
        }
    }
    renameIntoPlace(temporary, path);
}

}  // namespace hz
