// Helper for the video CLI tests:
//   video_tool fixtures DIR              writes the clips, masks and a random model used below
//   video_tool info VIDEO FRAMES W H FPS checks an output's frame count, size and frame rate
//   video_tool csv FILE ROWS             checks a --params-out file: header + ROWS rows of 14 numbers
//   video_tool background VIDEO BG MASK  checks that VIDEO equals the still BG where MASK is 0
//   video_tool clip PATH W H FRAMES FPS   writes a colour clip (any size, e.g. odd)
// Exit 0 when the check holds, 1 with a message otherwise.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/image_io.h"
#include "tests/video/video_fixtures.h"

namespace {

int fail(const std::string& message) {
    std::fprintf(stderr, "video_tool: %s\n", message.c_str());
    return 1;
}

int fixtures(const std::string& dir) {
    using hz::test::ClipKind;
    const cv::Size size(64, 48);
    hz::test::writeClip(dir + "/fg.mkv", ClipKind::Colour, size, 12, 25.0);
    hz::test::writeClip(dir + "/mask.mkv", ClipKind::Mask, size, 12, 25.0);
    hz::test::writeClip(dir + "/composite.mp4", ClipKind::Colour, size, 10, 30.0);
    hz::test::writeClip(dir + "/wide.mkv", ClipKind::Colour, cv::Size(80, 48), 12, 25.0);
    // Long enough (about 10 s of work) to still be running when the SIGINT test interrupts it.
    hz::test::writeClip(dir + "/long.mp4", ClipKind::Colour, size, 400, 25.0);
    hz::test::writeStillMask(dir + "/mask.png", size);
    cv::imwrite(dir + "/bg.png", hz::test::colourFrame(size, 0, 4));
    std::ofstream(dir + "/text.mp4") << "not a video\n";
    hz::test::writeRandomModel(dir + "/random.hzm");
    return 0;
}

int info(const std::string& path, int frames, int width, int height, double fps) {
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    if (!capture.isOpened()) return fail(path + ": cannot open");
    int count = 0;
    cv::Mat frame;
    while (capture.read(frame)) {
        if (frame.cols != width || frame.rows != height)
            return fail(path + ": frame is " + std::to_string(frame.cols) + "x" + std::to_string(frame.rows));
        ++count;
    }
    if (count != frames) return fail(path + ": " + std::to_string(count) + " frames, expected " + std::to_string(frames));
    if (std::abs(capture.get(cv::CAP_PROP_FPS) - fps) > 1e-3)
        return fail(path + ": " + std::to_string(capture.get(cv::CAP_PROP_FPS)) + " fps, expected " + std::to_string(fps));
    return 0;
}

int csv(const std::string& path, int rows) {
    std::ifstream in(path);
    if (!in) return fail(path + ": cannot open");
    std::string line;
    std::getline(in, line);
    if (line.rfind("frame,predicted,raw_temperature,", 0) != 0 || line.find("smoothed_shadow") == std::string::npos)
        return fail(path + ": unexpected header '" + line + "'");
    int count = 0;
    while (std::getline(in, line)) {
        std::stringstream fields(line);
        std::string field;
        int n = 0;
        while (std::getline(fields, field, ',')) {
            char* end = nullptr;
            std::strtod(field.c_str(), &end);
            if (field.empty() || *end != '\0') return fail(path + ": not a number: '" + field + "'");
            ++n;
        }
        if (n != 14) return fail(path + ": row with " + std::to_string(n) + " fields");
        if (std::stoi(line) != count) return fail(path + ": row " + std::to_string(count) + " has another frame index");
        ++count;
    }
    if (count != rows) return fail(path + ": " + std::to_string(count) + " rows, expected " + std::to_string(rows));
    return 0;
}

int background(const std::string& path, const std::string& backgroundPath, const std::string& maskPath) {
    const cv::Mat bg = hz::loadImage(backgroundPath).pixels;
    const cv::Mat mask = hz::loadMask(maskPath);
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    cv::Mat frame;
    int count = 0;
    while (capture.read(frame)) {
        if (cv::norm(frame, bg, cv::NORM_INF, mask == 0) != 0)
            return fail(path + ": frame " + std::to_string(count) + " differs from the background outside the mask");
        ++count;
    }
    return count > 0 ? 0 : fail(path + ": no frames");
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "fixtures" && argc == 3) return fixtures(argv[2]);
        if (command == "info" && argc == 7) return info(argv[2], std::stoi(argv[3]), std::stoi(argv[4]), std::stoi(argv[5]), std::stod(argv[6]));
        if (command == "csv" && argc == 4) return csv(argv[2], std::stoi(argv[3]));
        if (command == "background" && argc == 5) return background(argv[2], argv[3], argv[4]);
        if (command == "clip" && argc == 7) {  // clip PATH W H FRAMES FPS: a colour clip of any size
            hz::test::writeClip(argv[2], hz::test::ClipKind::Colour, cv::Size(std::stoi(argv[3]), std::stoi(argv[4])),
                                std::stoi(argv[5]), std::stod(argv[6]));
            return 0;
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return fail("usage: video_tool fixtures DIR | info VIDEO FRAMES W H FPS | csv FILE ROWS | background VIDEO BG MASK");
}
