#pragma once
// Small generated clips for the video tests (nothing is stored in the repository).
#include <opencv2/core.hpp>

#include <string>

namespace hz::test {

// A colourful frame that differs per index (a gradient plus a moving square).
cv::Mat colourFrame(cv::Size size, int index, int seed = 0);
// A soft elliptical mask (CV_8UC3 grey, as a video frame) that moves with `index`.
cv::Mat maskFrame(cv::Size size, int index);
// The same static picture every frame plus Gaussian noise (sigma in 8-bit levels).
cv::Mat noisyFrame(cv::Size size, int index, double sigma);

enum class ClipKind { Colour, Mask, Noisy };
// Writes `frames` frames at `fps` with the container's default codec (.mkv: FFV1, lossless).
void writeClip(const std::string& path, ClipKind kind, cv::Size size, int frames, double fps);
// A still PNG mask of the same shape as maskFrame(size, 0).
void writeStillMask(const std::string& path, cv::Size size);
// A random-initialised model file (fixed seed) whose predictions have a trained model's size
// and react to the image; see the .cpp for how.
void writeRandomModel(const std::string& path);

}  // namespace hz::test
