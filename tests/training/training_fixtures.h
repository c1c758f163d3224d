#pragma once
// Synthetic photos and data folders shared by the training tests (no ../shared needed).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

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

// `count` 2x2x2 .cube grades ("grade1.cube", ...), each a different tint and contrast, so
// that the name-hashed LUT split puts some in validation; returns `dir`.
inline std::filesystem::path writeLutFolder(const std::filesystem::path& dir, int count) {
    std::filesystem::create_directories(dir);
    for (int i = 1; i <= count; ++i) {
        std::ofstream out(dir / ("grade" + std::to_string(i) + ".cube"));
        out << "LUT_3D_SIZE 2\n";
        const double lift = 0.02 * (i % 5), gain = 0.8 + 0.02 * i;
        for (int b = 0; b < 2; ++b)
            for (int g = 0; g < 2; ++g)
                for (int r = 0; r < 2; ++r)
                    out << std::min(1.0, lift + gain * r) << " " << std::min(1.0, lift * 0.5 + gain * g) << " "
                        << std::min(1.0, 0.1 + 0.7 * b) << "\n";
    }
    return dir;
}

}  // namespace hz::training::fixtures
