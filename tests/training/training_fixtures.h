#pragma once
// Synthetic photos and data folders shared by the training tests (no ../shared needed).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "core/training/lut.h"

namespace hz::training::fixtures {

// A photo with structure (gradients and a block) so that statistics are not degenerate.
inline cv::Mat syntheticPhoto(int width, int height, int seed) {
    cv::Mat photo(height, width, CV_8UC3);
    cv::RNG rng(std::uint64_t(seed) + 1);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            photo.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(40 + 150 * x / width + rng.uniform(-10, 10)),
                                                  cv::saturate_cast<uchar>(60 + 120 * y / height + rng.uniform(-10, 10)),
                                                  cv::saturate_cast<uchar>(90 + seed * 13 % 100 + rng.uniform(-10, 10)));
    return photo;
}

inline cv::Mat centreMask(int width, int height) {
    cv::Mat mask(height, width, CV_8UC1, cv::Scalar(0));
    cv::rectangle(mask, cv::Rect(width / 4, height / 4, width / 2, height / 2), cv::Scalar(255), cv::FILLED);
    return mask;
}

// The generic "images/ + masks/" layout with `count` square photos; returns `dir`.
inline std::filesystem::path writeGenericFolder(const std::filesystem::path& dir, int count, int size) {
    std::filesystem::create_directories(dir / "images");
    std::filesystem::create_directories(dir / "masks");
    for (int i = 0; i < count; ++i) {
        const std::string stem = "photo" + std::to_string(i);
        cv::imwrite((dir / "images" / (stem + ".png")).string(), syntheticPhoto(size, size, i));
        cv::imwrite((dir / "masks" / (stem + ".png")).string(), centreMask(size, size));
    }
    return dir;
}

// A LUT's entries f(r, g, b) on an n x n x n grid, red fastest (the .cube order).
using LutFunction = std::function<cv::Vec3f(float, float, float)>;

inline Lut3d tableLut(int n, const LutFunction& f, const std::string& name = "") {
    Lut3d lut;
    lut.name = name;
    lut.size = n;
    for (int b = 0; b < n; ++b)
        for (int g = 0; g < n; ++g)
            for (int r = 0; r < n; ++r) {
                const cv::Vec3f v = f(float(r) / (n - 1), float(g) / (n - 1), float(b) / (n - 1));
                lut.table.insert(lut.table.end(), {v[0], v[1], v[2]});
            }
    return lut;
}

// The same entries as .cube text.
inline std::string cubeText(int n, const LutFunction& f, const std::string& extraHeader = "") {
    std::ostringstream out;
    out << "# test LUT\nTITLE \"t\"\n" << extraHeader << "LUT_3D_SIZE " << n << "\n";
    const Lut3d lut = tableLut(n, f);
    for (std::size_t i = 0; i + 2 < lut.table.size(); i += 3)
        out << lut.table[i] << " " << lut.table[i + 1] << " " << lut.table[i + 2] << "\n";
    return out.str();
}

// `count` 2x2x2 .cube grades ("grade1.cube", ...), each a different tint and contrast, so
// that the name-hashed LUT split puts some in validation; returns `dir`.
inline std::filesystem::path writeLutFolder(const std::filesystem::path& dir, int count) {
    std::filesystem::create_directories(dir);
    for (int i = 1; i <= count; ++i) {
        const float lift = 0.02f * float(i % 5), gain = 0.8f + 0.02f * float(i);
        std::ofstream(dir / ("grade" + std::to_string(i) + ".cube")) << cubeText(2, [&](float r, float g, float b) {
            return cv::Vec3f(std::min(1.0f, lift + gain * r), std::min(1.0f, lift * 0.5f + gain * g), std::min(1.0f, 0.1f + 0.7f * b));
        });
    }
    return dir;
}

}  // namespace hz::training::fixtures
