#include "core/training/evalset.h"

#include <filesystem>
#include <fstream>
#include <cstdio>
#include <set>

#include "core/image_io.h"

namespace fs = std::filesystem;

namespace hz::training {
namespace {

std::string safeName(std::string name) {
    for (char& c : name)
        if (c == '/' || c == '\\' || c == ' ' || c == '#') c = '-';
    return name;
}

}  // namespace

int writeEvalSet(const TrainingData& data, const std::vector<int>& items, const std::vector<int>& referencePool,
                 Family family, unsigned seed, const std::string& outDir, const std::vector<Lut3d>* luts) {
    const fs::path out(outDir);
    std::error_code ec;
    for (const char* sub : {"composite_images", "masks", "real_images"}) fs::create_directories(out / sub, ec);
    if (!fs::is_directory(out / "composite_images")) throw hz::Error(outDir + ": cannot create the output folders");
    const std::string subset = out.filename().empty() ? out.parent_path().filename().string() : out.filename().string();
    std::string list;
    std::string perturbations = "composite";
    for (const auto& spec : filterSpecs()) perturbations += std::string(",") + spec.key;
    perturbations += "\n";
    for (int index : items) {
        const MaskedItem& item = data.items[std::size_t(index)];
        std::mt19937 rng(seed ^ std::uint32_t(stableHash(item.name)));
        std::array<double, kFilterCount> args{};
        const cv::Mat composite = makeComposite(data, index, referencePool, family, rng, luts, &args);
        const std::string name = safeName(item.name);
        const std::string compositeFile = "composite_images/" + name + "_1_1.png";
        if (family == Family::SixFilter) {
            perturbations += compositeFile;
            char value[32];
            for (double r : args) {
                std::snprintf(value, sizeof value, ",%.6f", r);
                perturbations += value;
            }
            perturbations += "\n";
        }
        writeImageAtomic((out / compositeFile).string(), composite);
        writeImageAtomic((out / "masks" / (name + "_1.png")).string(), item.mask);
        writeImageAtomic((out / "real_images" / (name + ".png")).string(), data.photoOf(item).bgr);
        list += compositeFile + "\n";
    }
    writeFileAtomic((out / (subset + "_test.txt")).string(), list);
    if (family == Family::SixFilter) writeFileAtomic((out / kPerturbationsFile).string(), perturbations);
    return int(items.size());
}

std::vector<int> itemsNamedIn(const TrainingData& data, const std::string& listPath) {
    std::ifstream in(listPath);
    if (!in) throw hz::Error(listPath + ": cannot be opened for reading");
    std::set<std::string> wanted;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        wanted.insert(line.substr(0, line.find('\t')));
    }
    std::vector<int> items;
    for (std::size_t i = 0; i < data.items.size(); ++i)
        if (wanted.count(data.items[i].name)) items.push_back(int(i));
    if (items.empty()) throw hz::Error(listPath + ": none of the listed items is in the given data");
    return items;
}

}  // namespace hz::training
