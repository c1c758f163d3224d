#pragma once
// Reading the video command's inputs and writing its output safely.
//
// Inputs: a video file, or (where allowed) one still image that stands for every frame.
// Output: OpenCV's FFmpeg backend writes video only, so any audio track of the input is
// dropped. The file is written under a temporary name in the destination folder (real
// extension last, since OpenCV picks the container from it) and renamed into place by
// commit(); an AtomicVideoWriter destroyed without commit() deletes its temporary file.
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <memory>
#include <string>
#include <vector>

namespace hz {

class FrameSource {
public:
    enum class Content {
        Color,  // frames are CV_8UC3 BGR
        Mask,   // frames are CV_16UC1, 0 = background, 65535 = foreground (see normaliseMask)
    };
    // Opens `path`. When `allowStill` is true and OpenCV recognises the file as an image, the
    // image is used for every frame. Reads the first frame right away, so a missing, empty,
    // unreadable or frameless file is an hz::Error naming it here, not later.
    FrameSource(const std::string& path, Content content, bool allowStill);
    ~FrameSource();
    FrameSource(FrameSource&&) noexcept;
    FrameSource& operator=(FrameSource&&) noexcept;

    const std::string& path() const { return path_; }
    bool isStill() const { return still_; }
    cv::Size size() const { return size_; }
    // The container's frame rate; 0 for stills and when the container does not say.
    double fps() const { return fps_; }
    // The container's frame count (may be an estimate); -1 for stills and when unknown.
    long long frameCountHint() const { return frameCountHint_; }
    // The next frame; false at the end of a video (a still never ends). A still returns the
    // same shared pixels every time: callers must not write into them.
    bool read(cv::Mat& frame);
    // Frames handed out so far.
    long long framesRead() const { return framesRead_; }

private:
    std::string path_;
    Content content_;
    bool still_ = false;
    cv::Size size_;
    double fps_ = 0;
    long long frameCountHint_ = -1;
    long long framesRead_ = 0;
    cv::Mat pending_;  // the first frame, read while opening
    std::unique_ptr<cv::VideoCapture> capture_;
};

struct VideoCodec {
    std::string name;         // as given to --codec: mp4v, h264, mjpg, ffv1
    int fourcc = 0;
    std::string description;  // for --help and the README
};

// Video file extensions the output may have: .mp4 .m4v .mov .mkv .avi
bool isSupportedVideoExtension(const std::string& path);
std::vector<VideoCodec> videoCodecs();
// The codec for an output: `codecName` when given, else the container's default (.mp4 .m4v
// .mov: mp4v; .avi: mjpg; .mkv: ffv1, lossless). hz::Error for an unknown extension or codec.
VideoCodec chooseVideoCodec(const std::string& outputPath, const std::string& codecName = {});

// Everything about an output path that can be checked before any work: a supported
// extension, not one of `inputs`, an existing writable folder. hz::Error naming `path`.
void checkVideoOutputPath(const std::string& path, const std::vector<std::string>& inputs);

class AtomicVideoWriter {
public:
    // Checks that `path` is not one of `inputs` and that its folder is writable, then opens
    // a temporary sibling. hz::Error naming `path` when anything fails.
    AtomicVideoWriter(const std::string& path, const VideoCodec& codec, double fps, cv::Size size,
                      const std::vector<std::string>& inputs = {});
    ~AtomicVideoWriter();  // discard() unless committed
    AtomicVideoWriter(const AtomicVideoWriter&) = delete;
    AtomicVideoWriter& operator=(const AtomicVideoWriter&) = delete;

    // frame: CV_8UC3 BGR of the writer's size.
    void write(const cv::Mat& frame);
    // Finishes the file and renames it over `path`.
    void commit();
    // Closes and deletes the temporary file (safe to call more than once).
    void discard();

    const std::string& path() const { return path_; }
    const std::string& temporaryPath() const { return temporary_; }
    long long framesWritten() const { return framesWritten_; }

private:
    std::string path_, temporary_;
    cv::Size size_;
    cv::VideoWriter writer_;
    long long framesWritten_ = 0;
    bool finished_ = false;
};

// Per pixel: out = fg * m + bg * (1 - m) with m = mask16 / 65535, rounded to nearest.
// m = 65535 gives fg and m = 0 gives bg exactly. fg, bg: CV_8UC3 of one size; mask16:
// CV_16UC1 of that size. hz::Error on a type or size mismatch.
void composeVideoFrame(const cv::Mat& foreground, const cv::Mat& background, const cv::Mat& mask16, cv::Mat& out);

}  // namespace hz
