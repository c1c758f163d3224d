#include "core/training/lut.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/image_io.h"
#include "core/training/dataset.h"

namespace fs = std::filesystem;

namespace hz::training {

Lut3d readCubeLut(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw hz::Error(path + ": not a regular file");
    if (fs::file_size(path, ec) > (std::uintmax_t(256) << 20)) throw hz::Error(path + ": larger than 256 MiB, not a LUT");
    std::ifstream in(path);
    if (!in) throw hz::Error(path + ": cannot be opened for reading");
    Lut3d lut;
    lut.name = fs::path(path).stem().string();
    std::string line;
    int lineNumber = 0;
    std::size_t expected = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        const auto hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        std::istringstream fields(line);
        std::string first;
        if (!(fields >> first)) continue;
        const auto where = [&] { return path + ":" + std::to_string(lineNumber) + ": "; };
        if (first == "TITLE" || first == "LUT_1D_INPUT_RANGE" || first == "LUT_3D_INPUT_RANGE") continue;
        if (first == "LUT_1D_SIZE") throw hz::Error(where() + "a 1D LUT, expected a 3D LUT");
        if (first == "LUT_3D_SIZE") {
            if (!(fields >> lut.size) || lut.size < 2 || lut.size > 256) throw hz::Error(where() + "LUT_3D_SIZE must be 2..256");
            expected = std::size_t(lut.size) * lut.size * lut.size * 3;
            lut.table.reserve(expected);
            continue;
        }
        if (first == "DOMAIN_MIN" || first == "DOMAIN_MAX") {
            float* target = first == "DOMAIN_MIN" ? lut.domainMin : lut.domainMax;
            if (!(fields >> target[0] >> target[1] >> target[2])) throw hz::Error(where() + first + " needs three numbers");
            continue;
        }
        if (lut.size == 0) throw hz::Error(where() + "data before LUT_3D_SIZE");
        float values[3];
        std::istringstream numbers(line);
        if (!(numbers >> values[0] >> values[1] >> values[2]) || !std::isfinite(values[0]) || !std::isfinite(values[1]) ||
            !std::isfinite(values[2]))
            throw hz::Error(where() + "expected three numbers");
        if (lut.table.size() >= expected) throw hz::Error(where() + "more entries than LUT_3D_SIZE^3");
        lut.table.insert(lut.table.end(), values, values + 3);
    }
    if (lut.size == 0) throw hz::Error(path + ": no LUT_3D_SIZE line (not a .cube 3D LUT)");
    if (lut.table.size() != expected)
        throw hz::Error(path + ": " + std::to_string(lut.table.size() / 3) + " entries, LUT_3D_SIZE " + std::to_string(lut.size) +
                        " needs " + std::to_string(expected / 3));
    for (int c = 0; c < 3; ++c)
        if (!(lut.domainMax[c] > lut.domainMin[c])) throw hz::Error(path + ": DOMAIN_MAX must exceed DOMAIN_MIN");
    return lut;
}

std::vector<Lut3d> readLutFolder(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw hz::Error(dir + ": no such folder (LUTs)");
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".cube") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw hz::Error(dir + ": no .cube LUT in this folder");
    std::vector<Lut3d> luts;
    for (const auto& file : files) luts.push_back(readCubeLut(file));
    return luts;
}

std::vector<Lut3d> lutSplit(const std::vector<Lut3d>& luts, bool validation, int valPercent) {
    std::vector<Lut3d> side;
    for (const auto& lut : luts)
        if (isValidationSource("lut:" + lut.name, valPercent) == validation) side.push_back(lut);
    return side.empty() ? luts : side;  // a tiny list may hash entirely to one side
}

LutRecipe drawLutRecipe(std::size_t lutCount, std::mt19937& rng) {
    LutRecipe recipe;
    recipe.lut = std::uniform_int_distribution<int>(0, int(lutCount) - 1)(rng);
    recipe.strength = std::uniform_real_distribution<double>(0.4, 1.0)(rng);
    return recipe;
}

cv::Mat Lut3d::apply(const cv::Mat& rgb) const {
    CV_Assert(rgb.type() == CV_32FC3);
    cv::Mat out(rgb.size(), CV_32FC3);
    const int n = size;
    const float last = float(n - 1);
    for (int y = 0; y < rgb.rows; ++y) {
        const float* in = rgb.ptr<float>(y);
        float* dst = out.ptr<float>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            float pos[3];
            int base[3];
            float frac[3];
            for (int c = 0; c < 3; ++c) {
                const float scaled = (in[3 * x + c] - domainMin[c]) / (domainMax[c] - domainMin[c]);
                pos[c] = std::clamp(scaled, 0.0f, 1.0f) * last;
                base[c] = std::min(int(pos[c]), n - 2);
                frac[c] = pos[c] - float(base[c]);
            }
            float acc[3] = {0, 0, 0};
            for (int corner = 0; corner < 8; ++corner) {
                const int dr = corner & 1, dg = (corner >> 1) & 1, db = (corner >> 2) & 1;
                const float w = (dr ? frac[0] : 1 - frac[0]) * (dg ? frac[1] : 1 - frac[1]) * (db ? frac[2] : 1 - frac[2]);
                const float* entry = &table[(std::size_t((base[2] + db) * n + (base[1] + dg)) * n + std::size_t(base[0] + dr)) * 3];
                acc[0] += w * entry[0];
                acc[1] += w * entry[1];
                acc[2] += w * entry[2];
            }
            for (int c = 0; c < 3; ++c) dst[3 * x + c] = std::clamp(acc[c], 0.0f, 1.0f);
        }
    }
    return out;
}

cv::Mat applyLutComposite(const cv::Mat& rgb, const cv::Mat& mask, const Lut3d& lut, double strength) {
    CV_Assert(rgb.type() == CV_32FC3 && mask.type() == CV_32FC1 && rgb.size() == mask.size());
    const cv::Mat graded = lut.apply(rgb);
    cv::Mat out = rgb.clone();
    for (int y = 0; y < rgb.rows; ++y) {
        const float* src = rgb.ptr<float>(y);
        const float* g = graded.ptr<float>(y);
        const float* m = mask.ptr<float>(y);
        float* dst = out.ptr<float>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            const float alpha = float(strength) * m[x];
            if (alpha <= 0.0f) continue;  // background: exactly the photo
            for (int c = 0; c < 3; ++c) dst[3 * x + c] = src[3 * x + c] + alpha * (g[3 * x + c] - src[3 * x + c]);
        }
    }
    return out;
}

}  // namespace hz::training
