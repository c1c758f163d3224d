// Photo fixtures and checks for the CLI tests:
//   photo_fixture write FORMAT PATH ORIENTATION adobe|p3|none [DEPTH]   a 64x48 photo as shown
//   photo_fixture mask PATH                                              its 64x48 foreground mask
//   photo_fixture same-metadata IN OUT [strip]   OUT carries IN's ICC bytes and the fixture's EXIF
//                                                fields, orientation normal (strip: no EXIF/XMP)
//   photo_fixture background-equal IN OUT MASK   as loaded (turned) by the program, bit for bit
//   photo_fixture same-pixels A B                both load to identical pixels
#include <cstdio>
#include <string>

#include "core/image_io.h"
#include "tests/photo/photo_fixtures.h"

using namespace hz;

namespace {

int fail(const std::string& what) {
    std::fprintf(stderr, "photo_fixture: %s\n", what.c_str());
    return 1;
}

const cv::Size kShown(64, 48);

int write(const std::string& format, const std::string& path, int orientation, const std::string& space, int depth) {
    const std::string icc = space == "adobe" ? test::adobeRgbProfile() : space == "p3" ? test::displayP3Profile() : "";
    const cv::Size stored = orientation >= 5 ? cv::Size(kShown.height, kShown.width) : kShown;
    test::writePhoto(path, test::syntheticPhoto(stored, depth == 16 ? CV_16U : CV_8U), icc, orientation, format);
    return 0;
}

int sameMetadata(const std::string& in, const std::string& out, bool strip) {
    const LoadedImage input = loadImage(in);
    if (input.metadata.icc.empty()) return fail(in + ": the fixture has no ICC profile");
    const test::ReadBack back = test::readBack(out);
    if (back.icc != input.metadata.icc) return fail(out + ": ICC profile bytes differ from " + in + "'s");
    const LoadedImage output = loadImage(out);
    if (output.pixels.size() != input.pixels.size()) return fail(out + ": size differs (turned twice?)");
    if (strip) {
        if (!back.make.empty() || !back.latitude.empty() || !back.date.empty() || !back.creatorTool.empty())
            return fail(out + ": --strip-metadata left EXIF or XMP in");
        return 0;
    }
    const auto expect = [&](const std::string& got, const char* want, const char* what) {
        if (got != want) throw Error(out + ": " + what + " is '" + got + "', expected '" + want + "'");
    };
    expect(back.make, test::kMake, "Make");
    expect(back.model, test::kModel, "Model");
    expect(back.date, test::kDate, "DateTimeOriginal");
    expect(back.latitude, test::kLatitude, "GPSLatitude");
    expect(back.copyright, test::kCopyright, "Copyright");
    expect(back.creatorTool, test::kCreatorTool, "XMP CreatorTool");
    if (back.orientation != 1) return fail(out + ": orientation is " + std::to_string(back.orientation) + ", expected 1");
    if (back.pixelX != output.pixels.cols || back.pixelY != output.pixels.rows)
        return fail(out + ": PixelX/YDimension do not match the image");
    return 0;
}

int backgroundEqual(const std::string& in, const std::string& out, const std::string& maskPath) {
    const LoadedImage a = loadImage(in), b = loadImage(out);
    std::vector<std::string> warnings;
    const cv::Mat mask = loadMask(maskPath, a, warnings);
    if (a.pixels.size() != b.pixels.size() || a.pixels.type() != b.pixels.type()) return fail("size or type differs");
    cv::Mat diff;
    cv::absdiff(a.pixels, b.pixels, diff);
    cv::Mat any;
    cv::transform(diff.reshape(3, int(diff.total())), any, cv::Matx13f(1, 1, 1));
    const int changed = cv::countNonZero((any.reshape(1, a.pixels.rows) != 0) & (mask == 0));
    if (changed) return fail(std::to_string(changed) + " background pixels changed");
    if (cv::countNonZero((any.reshape(1, a.pixels.rows) != 0) & (mask != 0)) == 0) return fail("foreground unchanged");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "write" && (argc == 6 || argc == 7))
            return write(argv[2], argv[3], std::stoi(argv[4]), argv[5], argc == 7 ? std::stoi(argv[6]) : 8);
        if (mode == "mask" && argc == 3) return cv::imwrite(argv[2], test::syntheticMask(kShown)) ? 0 : 1;
        if (mode == "same-metadata" && (argc == 4 || argc == 5))
            return sameMetadata(argv[2], argv[3], argc == 5 && std::string(argv[4]) == "strip");
        if (mode == "background-equal" && argc == 5) return backgroundEqual(argv[2], argv[3], argv[4]);
        if (mode == "same-pixels" && argc == 4) {
            const cv::Mat a = loadImage(argv[2]).pixels, b = loadImage(argv[3]).pixels;
            if (a.size() != b.size() || a.type() != b.type() || cv::norm(a, b, cv::NORM_INF) != 0)
                return fail(std::string(argv[2]) + " and " + argv[3] + " differ");
            return 0;
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    std::fprintf(stderr, "usage: see the comment at the top of photo_fixture.cpp\n");
    return 2;
}
