#include "core/video/video_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <fcntl.h>
#include <unistd.h>

#include "core/image_io.h"

namespace fs = std::filesystem;

namespace hz {
namespace {

std::string sizeText(cv::Size size) { return std::to_string(size.width) + "x" + std::to_string(size.height); }

// OpenCV decodes images through imgcodecs, which sniffs the file's signature; videos go
// through FFmpeg, which would also open a PNG as a one-frame "video". Ask imgcodecs first.
bool looksLikeStillImage(const std::string& path) {
    try {
        return cv::haveImageReader(path);
    } catch (const cv::Exception&) {
        return false;
    }
}

cv::Mat toEightBitBgr(const cv::Mat& image) {
    if (image.depth() == CV_8U) return image;
    cv::Mat out;
    image.convertTo(out, CV_8U, 1.0 / 257.0);
    return out;
}

}  // namespace

FrameSource::FrameSource(const std::string& path, Content content, bool allowStill)
    : path_(path), content_(content) {
    requireReadableFile(path, "a video or image");
    if (looksLikeStillImage(path)) {
        if (!allowStill) throw Error(path + ": is a still image, not a video");
        still_ = true;
        if (content == Content::Mask) {
            pending_ = loadMask(path);
        } else {
            pending_ = toEightBitBgr(loadImage(path).pixels);
        }
        size_ = pending_.size();
        return;
    }
    capture_ = std::make_unique<cv::VideoCapture>();
    bool opened = false;
    try {
        opened = capture_->open(path, cv::CAP_FFMPEG);
    } catch (const cv::Exception&) {
        opened = false;
    }
    if (!opened) throw Error(path + ": not a readable video or image (corrupt or unsupported format)");
    cv::Mat first;
    bool gotFrame = false;
    try {
        gotFrame = capture_->read(first);
    } catch (const cv::Exception&) {
        gotFrame = false;
    }
    if (!gotFrame || first.empty()) throw Error(path + ": the video contains no decodable frames");
    if (first.type() != CV_8UC3 && first.type() != CV_8UC1 && first.type() != CV_8UC4)
        throw Error(path + ": unsupported video pixel format");
    fps_ = capture_->get(cv::CAP_PROP_FPS);
    if (!std::isfinite(fps_) || fps_ <= 0 || fps_ > 1000) fps_ = 0;
    const double count = capture_->get(cv::CAP_PROP_FRAME_COUNT);
    frameCountHint_ = (std::isfinite(count) && count >= 1) ? static_cast<long long>(count) : -1;
    size_ = first.size();
    if (content == Content::Mask) {
        pending_ = normaliseMask(first);
    } else if (first.channels() == 3) {
        pending_ = first;
    } else {
        cv::cvtColor(first, pending_, first.channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
    }
}

FrameSource::~FrameSource() = default;
FrameSource::FrameSource(FrameSource&&) noexcept = default;
FrameSource& FrameSource::operator=(FrameSource&&) noexcept = default;

bool FrameSource::read(cv::Mat& frame) {
    if (still_) {
        frame = pending_;
        ++framesRead_;
        return true;
    }
    if (!pending_.empty()) {
        frame = pending_;
        pending_.release();
        ++framesRead_;
        return true;
    }
    cv::Mat raw;
    bool ok = false;
    try {
        ok = capture_->read(raw);
    } catch (const cv::Exception&) {
        ok = false;  // a damaged tail ends the video like its end would
    }
    if (!ok || raw.empty()) {
        // The container says how many frames it holds: a video that stops well short of that
        // is damaged, not over (the tolerance covers containers that estimate the count).
        if (frameCountHint_ > 0 && framesRead_ + std::max(2LL, frameCountHint_ / 100) < frameCountHint_)
            throw Error(path_ + ": damaged video: it ends after " + std::to_string(framesRead_) + " of its " +
                        std::to_string(frameCountHint_) + " frames");
        return false;
    }
    if (raw.size() != size_)
        throw Error(path_ + ": frame " + std::to_string(framesRead_) + " is " + sizeText(raw.size()) +
                    " but the video started at " + sizeText(size_));
    if (content_ == Content::Mask) {
        frame = normaliseMask(raw);
    } else if (raw.channels() == 3) {
        frame = raw;
    } else {
        cv::cvtColor(raw, frame, raw.channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGRA2BGR);
    }
    ++framesRead_;
    return true;
}

// ---- output -------------------------------------------------------------------------

bool isSupportedVideoExtension(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".mp4" || ext == ".m4v" || ext == ".mov" || ext == ".mkv" || ext == ".avi";
}

std::vector<VideoCodec> videoCodecs() {
    return {
        {"mp4v", cv::VideoWriter::fourcc('m', 'p', '4', 'v'),
         "MPEG-4 Part 2: fast, plays in VLC/ffmpeg/most players (not in browsers); default for .mp4 .m4v .mov"},
        {"h264", cv::VideoWriter::fourcc('a', 'v', 'c', '1'),
         "H.264 (libx264): smaller files, plays everywhere, about 5x slower to encode"},
        {"mjpg", cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), "Motion JPEG: every frame a JPEG, large; default for .avi"},
        {"ffv1", cv::VideoWriter::fourcc('F', 'F', 'V', '1'),
         "FFV1: lossless, very large and slow, .mkv .avi .mov only; default for .mkv"},
    };
}

VideoCodec chooseVideoCodec(const std::string& outputPath, const std::string& codecName) {
    if (!isSupportedVideoExtension(outputPath))
        throw Error(outputPath + ": unsupported video format '" + lowerExtension(outputPath) +
                    "' (use .mp4, .m4v, .mov, .mkv or .avi)");
    std::string wanted = codecName;
    std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (wanted.empty()) {
        const std::string ext = lowerExtension(outputPath);
        wanted = ext == ".avi" ? "mjpg" : ext == ".mkv" ? "ffv1" : "mp4v";
    }
    if (wanted == "avc1" || wanted == "x264") wanted = "h264";
    for (const auto& codec : videoCodecs())
        if (codec.name == wanted) return codec;
    throw Error("unknown video codec '" + codecName + "' (use mp4v, h264, mjpg or ffv1)");
}

void checkVideoOutputPath(const std::string& path, const std::vector<std::string>& inputs) {
    if (!isSupportedVideoExtension(path))
        throw Error(path + ": unsupported video format '" + lowerExtension(path) +
                    "' (use .mp4, .m4v, .mov, .mkv or .avi)");
    refuseToOverwriteInputs(path, inputs);
    const fs::path target(path);
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    if (!fs::exists(folder, ec)) throw Error(path + ": folder " + folder.string() + " does not exist");
    if (!fs::is_directory(folder, ec)) throw Error(path + ": " + folder.string() + " is not a folder");
    if (::access(folder.c_str(), W_OK) != 0) throw Error(path + ": folder " + folder.string() + " is not writable");
    if (fs::is_directory(target, ec)) throw Error(path + ": is a directory");
}

AtomicVideoWriter::AtomicVideoWriter(const std::string& path, const VideoCodec& codec, double fps, cv::Size size,
                                     const std::vector<std::string>& inputs)
    : path_(path), size_(size) {
    checkVideoOutputPath(path, inputs);
    const fs::path target(path);
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    if (size.width <= 0 || size.height <= 0) throw Error(path + ": cannot write a video of size " + sizeText(size));
    if (!std::isfinite(fps) || fps <= 0) throw Error(path + ": cannot write a video at " + std::to_string(fps) + " fps");
    // OpenCV's FFmpeg writer rounds odd sizes down to even with every codec (measured with
    // mp4v, mjpg and ffv1): it would silently drop the last row or column, so refuse.
    if (size.width % 2 != 0 || size.height % 2 != 0)
        throw Error(path + ": the video is " + sizeText(size) +
                    "; the video encoders only keep an even width and height (crop the input by one pixel)");

    static std::atomic<unsigned> counter{0};
    // Hidden, unique per process and call, real extension last (OpenCV picks the container from it).
    // The name is cut so that the temporary fits NAME_MAX whenever the target does.
    const std::string suffix = ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                               target.extension().string();
    const std::string name = target.filename().string();
    temporary_ = (folder / ("." + name.substr(0, std::min(name.size(), 255 - 1 - suffix.size())) + suffix)).string();
    bool opened = false;
    try {
        opened = writer_.open(temporary_, cv::CAP_FFMPEG, codec.fourcc, fps, size, true);
    } catch (const cv::Exception&) {
        opened = false;
    }
    if (!opened) {
        finished_ = true;
        fs::remove(temporary_, ec);
        throw Error(path + ": OpenCV cannot write " + codec.name + " video into a " + lowerExtension(path) +
                    " file here (try another --codec or extension)");
    }
}

AtomicVideoWriter::~AtomicVideoWriter() { discard(); }

void AtomicVideoWriter::write(const cv::Mat& frame) {
    if (finished_) throw Error(path_ + ": the video is already closed");
    if (frame.type() != CV_8UC3 || frame.size() != size_)
        throw Error(path_ + ": internal error: frame of the wrong size or type for the video");
    writer_.write(frame);
    ++framesWritten_;
}

void AtomicVideoWriter::commit() {
    if (finished_) throw Error(path_ + ": the video is already closed");
    writer_.release();
    finished_ = true;
    std::error_code ec;
    if (!fs::exists(temporary_, ec) || fs::file_size(temporary_, ec) == 0) {
        fs::remove(temporary_, ec);
        throw Error(path_ + ": the encoder produced no file");
    }
    // OpenCV's FFmpeg writer does not report failed writes (a full disk leaves a truncated
    // file): read the file back and count its frames before it replaces anything.
    {
        const int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
        const bool synced = fd >= 0 && ::fsync(fd) == 0;
        if (fd >= 0) ::close(fd);
        std::string problem;
        if (!synced) problem = "it could not be flushed to disk";
        cv::VideoCapture check;
        long long frames = 0;
        cv::Size written;
        if (problem.empty()) {
            try {
                if (check.open(temporary_, cv::CAP_FFMPEG)) {
                    written = cv::Size(int(check.get(cv::CAP_PROP_FRAME_WIDTH)), int(check.get(cv::CAP_PROP_FRAME_HEIGHT)));
                    while (check.grab()) ++frames;
                }
            } catch (const cv::Exception&) {
            }
            if (!check.isOpened()) problem = "the written file cannot be read back";
            else if (written != size_) problem = "the encoder wrote " + sizeText(written) + " frames instead of " + sizeText(size_);
            else if (frames != framesWritten_)
                problem = "only " + std::to_string(frames) + " of the " + std::to_string(framesWritten_) +
                          " frames written can be read back (disk full?)";
        }
        if (!problem.empty()) {
            fs::remove(temporary_, ec);
            throw Error(path_ + ": not written: " + problem + "; the previous file, if any, is kept");
        }
    }
    fs::rename(temporary_, path_, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(temporary_, ignored);
        throw Error(path_ + ": cannot be written (" + ec.message() + ")");
    }
}

void AtomicVideoWriter::discard() {
    if (!finished_) {
        try {
            writer_.release();
        } catch (...) {
        }
        finished_ = true;
    }
    if (!temporary_.empty()) {
        std::error_code ec;
        fs::remove(temporary_, ec);
    }
}

// ---- composing ----------------------------------------------------------------------

void composeVideoFrame(const cv::Mat& foreground, const cv::Mat& background, const cv::Mat& mask16, cv::Mat& out) {
    if (foreground.type() != CV_8UC3 || background.type() != CV_8UC3 || mask16.type() != CV_16UC1)
        throw Error("compose: expected 8-bit BGR foreground and background and a 16-bit mask");
    if (foreground.size() != background.size() || mask16.size() != foreground.size())
        throw Error("compose: foreground " + sizeText(foreground.size()) + ", background " +
                    sizeText(background.size()) + " and mask " + sizeText(mask16.size()) + " differ in size");
    out.create(foreground.size(), CV_8UC3);
    cv::parallel_for_(cv::Range(0, foreground.rows), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            const std::uint8_t* f = foreground.ptr<std::uint8_t>(y);
            const std::uint8_t* b = background.ptr<std::uint8_t>(y);
            const std::uint16_t* m = mask16.ptr<std::uint16_t>(y);
            std::uint8_t* o = out.ptr<std::uint8_t>(y);
            for (int x = 0; x < foreground.cols; ++x) {
                const std::uint32_t a = m[x], inv = 65535u - a;
                for (int c = 0; c < 3; ++c) {
                    const std::uint32_t sum = f[3 * x + c] * a + b[3 * x + c] * inv;  // <= 255 * 65535
                    o[3 * x + c] = static_cast<std::uint8_t>((sum + 32767u) / 65535u);
                }
            }
        }
    });
}

}  // namespace hz
