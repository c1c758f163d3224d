#pragma once
// 3D colour-grading LUTs (the Adobe/Resolve ".cube" text format) and the LUT composite family:
// a grading LUT applied to the foreground at a random strength, which is how HYouTube's
// composites (and, in effect, HAdobe5k's retouched ones) are made.
#include <opencv2/core.hpp>

#include <random>
#include <string>
#include <vector>

namespace hz::training {

struct Lut3d {
    std::string name;          // file stem
    int size = 0;              // N: N x N x N entries
    std::vector<float> table;  // RGB triples, red index fastest (entry (r, g, b) at ((b * N + g) * N + r) * 3)
    float domainMin[3] = {0, 0, 0}, domainMax[3] = {1, 1, 1};

    // rgb: CV_32FC3 RGB in [0,1]. Trilinear interpolation; output clamped to [0,1].
    cv::Mat apply(const cv::Mat& rgb) const;
};

// Parses a .cube file: optional TITLE, LUT_3D_SIZE N (2..256), optional DOMAIN_MIN/DOMAIN_MAX,
// comments (#), then N^3 lines of three numbers. Throws hz::Error naming the file and line.
Lut3d readCubeLut(const std::string& path);

// Every *.cube of a folder, sorted by name. Throws hz::Error if there is none.
std::vector<Lut3d> readLutFolder(const std::string& dir);

// LUTs are split like photos (by name, FNV-1a): the validation and evaluation composites
// use LUTs that training never sees. Returns the LUTs of one side.
std::vector<Lut3d> lutSplit(const std::vector<Lut3d>& luts, bool validation, int valPercent = 20);

struct LutRecipe {
    int lut = 0;            // index into the LUT list
    double strength = 1.0;  // blend of the graded colours with the original, 0..1
};
LutRecipe drawLutRecipe(std::size_t lutCount, std::mt19937& rng);

// The composite: the whole photo graded, blended by strength, then blended into the
// foreground by the mask (CV_32FC1 in [0,1]); the background is exactly `rgb`.
cv::Mat applyLutComposite(const cv::Mat& rgb, const cv::Mat& mask, const Lut3d& lut, double strength);

}  // namespace hz::training
