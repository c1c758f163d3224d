// Small checker for the CLI tests: compares images the way the acceptance criteria state.
//   image_check background-equal IN OUT MASK    pixels where MASK == 0 are identical in IN and OUT
//   image_check foreground-changed IN OUT MASK  some pixel where MASK > 0 differs
//   image_check equal A B                       identical size, type and bytes
//   image_check format OUT WIDTH HEIGHT DEPTH   size and bit depth (8 or 16) of OUT
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

cv::Mat read(const std::string& path) {
    cv::Mat m = cv::imread(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR);
    if (m.empty()) {
        std::fprintf(stderr, "image_check: cannot read %s\n", path.c_str());
        std::exit(3);
    }
    if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
    return m;
}

cv::Mat maskNonZero(const std::string& path) {
    cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
    if (m.channels() > 1) cv::extractChannel(m, m, 0);
    return m != 0;
}

int fail(const char* what) {
    std::fprintf(stderr, "image_check: %s\n", what);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "background-equal" && argc == 5) {
        const cv::Mat in = read(argv[2]), out = read(argv[3]);
        const cv::Mat fg = maskNonZero(argv[4]);
        if (in.size() != out.size() || in.type() != out.type()) return fail("size or type differs");
        cv::Mat diff;
        cv::absdiff(in, out, diff);
        cv::Mat anyDiff;
        cv::transform(diff.reshape(3, int(diff.total())), anyDiff, cv::Matx13f(1, 1, 1));
        anyDiff = anyDiff.reshape(1, in.rows);
        const int changedBackground = cv::countNonZero((anyDiff != 0) & ~fg);
        if (changedBackground) {
            std::fprintf(stderr, "image_check: %d background pixels changed\n", changedBackground);
            return 1;
        }
        return 0;
    }
    if (mode == "foreground-changed" && argc == 5) {
        const cv::Mat in = read(argv[2]), out = read(argv[3]);
        cv::Mat diff;
        cv::absdiff(in, out, diff);
        cv::Mat gray;
        cv::transform(diff.reshape(3, int(diff.total())), gray, cv::Matx13f(1, 1, 1));
        gray = gray.reshape(1, in.rows);
        return cv::countNonZero((gray != 0) & maskNonZero(argv[4])) > 0 ? 0 : fail("foreground unchanged");
    }
    if (mode == "equal" && argc == 4) {
        const cv::Mat a = read(argv[2]), b = read(argv[3]);
        if (a.size() != b.size() || a.type() != b.type()) return fail("size or type differs");
        return cv::norm(a, b, cv::NORM_INF) == 0 ? 0 : fail("pixels differ");
    }
    if (mode == "format" && argc == 6) {
        const cv::Mat out = cv::imread(argv[2], cv::IMREAD_UNCHANGED);
        if (out.empty()) return fail("cannot read output");
        const int depth = out.depth() == CV_16U ? 16 : 8;
        if (out.cols != std::stoi(argv[3]) || out.rows != std::stoi(argv[4]) || depth != std::stoi(argv[5])) {
            std::fprintf(stderr, "image_check: got %dx%d %d-bit\n", out.cols, out.rows, depth);
            return 1;
        }
        return 0;
    }
    if (mode == "make-noise" && argc == 6) {
        // make-noise W H IMAGE.jpg MASK.png: a large test pair (noise image, half mask).
        const int w = std::stoi(argv[2]), h = std::stoi(argv[3]);
        cv::Mat image(h, w, CV_8UC3);
        cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::Mat mask(h, w, CV_8UC1, cv::Scalar(0));
        mask.colRange(0, w / 2).setTo(255);
        return cv::imwrite(argv[4], image) && cv::imwrite(argv[5], mask) ? 0 : fail("cannot write");
    }
    if (mode == "black" && argc == 5) {
        // black OUT.png W H: an 8-bit single-channel image of zeros (an empty mask).
        return cv::imwrite(argv[2], cv::Mat(std::stoi(argv[4]), std::stoi(argv[3]), CV_8UC1, cv::Scalar(0))) ? 0 : fail("cannot write");
    }
    std::fprintf(stderr, "usage: image_check background-equal|foreground-changed|equal|format|make-noise|black ...\n");
    return 2;
}
