#pragma once
// Synthetic photos and data folders shared by the training tests (no ../shared needed).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdint>
#include <filesystem>
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

}  // namespace hz::training::fixtures
