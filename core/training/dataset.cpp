#include "core/training/dataset.h"

#include <QByteArray>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/image_io.h"

namespace fs = std::filesystem;

namespace hz::training {
namespace {

const std::set<std::string> kImageExtensions{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

bool isImageFile(const fs::path& path) { return kImageExtensions.count(lower(path.extension().string())) != 0; }

bool isDir(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

bool isFile(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// Image files of a folder sorted by name, so that loading (and thus the item order) is
// the same on every machine.
std::vector<fs::path> imagesIn(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!isDir(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file() && isImageFile(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

// The file <dir>/<stem>.<any image extension>, or empty.
fs::path findByStem(const fs::path& dir, const std::string& stem) {
    for (const char* ext : {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".PNG", ".JPG"}) {
        const fs::path candidate = dir / (stem + ext);
        if (isFile(candidate)) return candidate;
    }
    return {};
}

cv::Mat to8Bit(const cv::Mat& image) {
    if (image.depth() == CV_8U) return image;
    cv::Mat out;
    image.convertTo(out, CV_8U, 1.0 / 257.0);
    return out;
}

cv::Size scaledSize(cv::Size size, int maxShortSide) {
    const int shortSide = std::min(size.width, size.height);
    if (maxShortSide <= 0 || shortSide <= maxShortSide) return size;
    const double scale = double(maxShortSide) / shortSide;
    return {std::max(1, int(std::lround(size.width * scale))), std::max(1, int(std::lround(size.height * scale)))};
}

cv::Mat resizedTo(const cv::Mat& image, cv::Size size) {
    if (image.size() == size) return image;
    cv::Mat out;
    cv::resize(image, out, size, 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat loadPhoto8(const fs::path& path, int maxShortSide) {
    const cv::Mat pixels = to8Bit(hz::loadImage(path.string()).pixels);
    return resizedTo(pixels, scaledSize(pixels.size(), maxShortSide));
}

// Mask as CV_8UC1 at `size`.
cv::Mat mask8(const cv::Mat& mask16, cv::Size size) {
    cv::Mat out;
    mask16.convertTo(out, CV_8U, 1.0 / 257.0);
    return resizedTo(out, size);
}

bool hasForeground(const cv::Mat& mask8) { return cv::countNonZero(mask8 > 127) > 0; }

std::string canonicalKey(const fs::path& path) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(path, ec);
    return ec ? path.string() : c.string();
}

int addPhoto(TrainingData& data, const fs::path& path, const std::string& sourceId, int maxShortSide) {
    const std::string key = canonicalKey(path);
    if (const auto it = data.photoByPath.find(key); it != data.photoByPath.end()) return it->second;
    data.photos.push_back({loadPhoto8(path, maxShortSide), sourceId});
    const int index = int(data.photos.size()) - 1;
    data.photoByPath[key] = index;
    return index;
}

void addItem(TrainingData& data, int photo, cv::Mat mask, const std::string& name, cv::Mat composite = {}) {
    if (!hasForeground(mask)) return;  // nothing to harmonize: useless for training
    MaskedItem item;
    item.photo = photo;
    item.mask = std::move(mask);
    item.composite = std::move(composite);
    item.name = name;
    data.items.push_back(std::move(item));
}

// meta.json of the L&E folder: item id -> source photo name.
std::unordered_map<std::string, std::string> readLalondeMeta(const fs::path& file) {
    std::unordered_map<std::string, std::string> sources;
    if (!isFile(file)) return sources;
    QFile f(QString::fromStdString(file.string()));
    if (!f.open(QIODevice::ReadOnly)) throw hz::Error(file.string() + ": cannot be opened for reading");
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        throw hz::Error(file.string() + ": not a JSON array of items (" + error.errorString().toStdString() + ")");
    for (const auto& value : doc.array()) {
        const QJsonObject object = value.toObject();
        const std::string id = object.value("id").toString().toStdString();
        std::string source = object.value("obj_src").toString().toStdString();
        if (source.empty()) source = object.value("bg_src").toString().toStdString();
        if (!id.empty() && !source.empty()) sources[id] = source;
    }
    return sources;
}

void loadLalondeEfros(const fs::path& dir, const LoadOptions& options, TrainingData& data) {
    const auto sources = readLalondeMeta(dir / "meta.json");
    for (const auto& imagePath : imagesIn(dir / "real" / "image")) {
        const std::string stem = imagePath.stem().string();
        const fs::path maskPath = findByStem(dir / "real" / "mask", stem);
        if (maskPath.empty()) throw hz::Error(imagePath.string() + ": no mask " + stem + ".png in " +
                                              (dir / "real" / "mask").string());
        const auto it = sources.find(stem);
        const std::string source = "lalonde:" + (it != sources.end() ? it->second : stem);
        const int photo = addPhoto(data, imagePath, source, options.maxShortSide);
        addItem(data, photo, mask8(hz::loadMask(maskPath.string()), data.photos[std::size_t(photo)].bgr.size()),
                "lalonde/" + stem);
    }
}

std::string bsdsSource(const std::string& id) { return "bsds500:" + id; }

void loadBsds(const fs::path& dir, const LoadOptions& options, TrainingData& data) {
    for (const char* split : {"train", "val", "test"}) {
        for (const auto& imagePath : imagesIn(dir / "images" / split)) {
            const std::string id = imagePath.stem().string();
            std::vector<fs::path> segs;
            for (int k = 0; k < 32; ++k) {
                const fs::path seg = dir / "segs" / split / (id + "_" + std::to_string(k) + ".png");
                if (isFile(seg)) segs.push_back(seg);
            }
            if (segs.empty()) continue;
            std::mt19937 rng(std::uint32_t(stableHash(id)) ^ options.maskSeed);
            std::shuffle(segs.begin(), segs.end(), rng);
            const int photo = addPhoto(data, imagePath, bsdsSource(id), options.maxShortSide);
            const cv::Size size = data.photos[std::size_t(photo)].bgr.size();
            int made = 0;
            for (const auto& seg : segs) {
                if (made >= options.bsdsMasksPerPhoto) break;
                const cv::Mat labels = cv::imread(seg.string(), cv::IMREAD_UNCHANGED);
                if (labels.empty() || labels.channels() != 1)
                    throw hz::Error(seg.string() + ": not a single-channel label map");
                const cv::Mat mask = maskFromSegmentation(labels, rng);
                if (mask.empty()) continue;
                addItem(data, photo, resizedTo(mask, size), "bsds500/" + seg.stem().string());
                ++made;
            }
            // An object mask drawn by hand for some photos (the RITM "Berkeley" set).
            if (const fs::path object = findByStem(dir / "object_masks", id); !object.empty())
                addItem(data, photo, mask8(hz::loadMask(object.string()), size), "bsds500/" + id + "_object");
        }
    }
}

void loadSod(const fs::path& dir, const LoadOptions& options, TrainingData& data) {
    const fs::path listPath = dir / "list.txt";
    std::ifstream list(listPath);
    if (!list) throw hz::Error(listPath.string() + ": cannot be opened for reading");
    std::string line;
    int lineNumber = 0;
    while (std::getline(list, line)) {
        ++lineNumber;
        std::istringstream fields(line);
        std::string id, photoPath, maskPath;
        if (!(fields >> id)) continue;  // blank line
        if (!(fields >> photoPath >> maskPath))
            throw hz::Error(listPath.string() + ":" + std::to_string(lineNumber) + ": expected '<id> <photo> <mask>'");
        const fs::path photoFile = dir / photoPath, maskFile = dir / maskPath;
        // The photos are BSDS500 photos: same source id, so the split agrees with BSDS.
        const int photo = addPhoto(data, photoFile, bsdsSource(fs::path(photoPath).stem().string()), options.maxShortSide);
        addItem(data, photo, mask8(hz::loadMask(maskFile.string()), data.photos[std::size_t(photo)].bgr.size()),
                "sod/" + id);
    }
}

bool allDigits(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// The source photo of a generic item, so that near-duplicates stay on one side of the split:
// COCO instances "<class><k>_<12-digit COCO id>" share the id; video frames "<video>_<frame>"
// (at most 6 digits) share the video; "<scene>-<date>-<time>" time-lapse shots share the scene.
std::string genericSourceId(const std::string& folder, const std::string& stem) {
    const auto underscore = stem.rfind('_');
    if (underscore != std::string::npos && underscore > 0) {
        const std::string suffix = stem.substr(underscore + 1);
        if (allDigits(suffix) && suffix.size() >= 9) return "coco:" + suffix;
        if (allDigits(suffix) && suffix.size() <= 6) return folder + ":" + stem.substr(0, underscore);
    }
    const auto dash = stem.find('-');
    if (dash != std::string::npos && dash > 0 && std::count(stem.begin(), stem.end(), '-') == 2 &&
        allDigits(stem.substr(dash + 1, stem.find('-', dash + 1) - dash - 1)))
        return folder + ":" + stem.substr(0, dash);
    return folder + ":" + stem;
}

void loadGeneric(const fs::path& dir, const std::string& imageFolder, const std::string& maskFolder, const LoadOptions& options,
                 TrainingData& data) {
    const std::string folder = dir.filename().string();
    for (const auto& imagePath : imagesIn(dir / imageFolder)) {
        const std::string stem = imagePath.stem().string();
        const fs::path maskPath = isDir(dir / maskFolder) ? findByStem(dir / maskFolder, stem) : fs::path{};
        if (maskPath.empty()) {
            // A photo without a mask: kept for borrowed masks (addBorrowedMaskItems).
            if (options.keepMasklessPhotos) {
                const int photo = addPhoto(data, imagePath, genericSourceId(folder, stem), options.maxShortSide);
                data.masklessPhotos.push_back(photo);
            }
            continue;
        }
        const int photo = addPhoto(data, imagePath, genericSourceId(folder, stem), options.maxShortSide);
        addItem(data, photo, mask8(hz::loadMask(maskPath.string()), data.photos[std::size_t(photo)].bgr.size()),
                folder + "/" + stem);
    }
}

void loadIHarmony4(const fs::path& dir, const LoadOptions& options, TrainingData& data) {
    for (const auto& triple : listIHarmony4(dir.string(), "", "train")) {
        const int photo = addPhoto(data, triple.real, triple.subset + ":" + triple.name, options.maxShortSide);
        const cv::Size size = data.photos[std::size_t(photo)].bgr.size();
        cv::Mat composite = to8Bit(hz::loadImage(triple.composite).pixels);
        if (scaledSize(composite.size(), options.maxShortSide) != size)
            throw hz::Error(triple.composite + ": size differs from its real photo " + triple.real);
        addItem(data, photo, mask8(hz::loadMask(triple.mask), size), triple.subset + "/" + fs::path(triple.composite).stem().string(),
                resizedTo(composite, size));
    }
}

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// "<name>_<k>_<j>" -> {"<name>", "<name>_<k>"}; names may contain underscores.
bool splitCompositeStem(const std::string& stem, std::string& name, std::string& maskStem) {
    const auto last = stem.rfind('_');
    if (last == std::string::npos || last == 0) return false;
    maskStem = stem.substr(0, last);
    const auto previous = maskStem.rfind('_');
    if (previous == std::string::npos || previous == 0) return false;
    name = maskStem.substr(0, previous);
    return true;
}

HarmonyTriple tripleFor(const fs::path& subsetDir, const fs::path& compositePath) {
    HarmonyTriple triple;
    triple.subset = subsetDir.filename().string();
    triple.composite = compositePath.string();
    std::string maskStem;
    if (!splitCompositeStem(compositePath.stem().string(), triple.name, maskStem))
        throw hz::Error(compositePath.string() + ": name is not <name>_<k>_<j> (iHarmony4 layout)");
    const fs::path mask = findByStem(subsetDir / "masks", maskStem);
    if (mask.empty()) throw hz::Error(compositePath.string() + ": no mask " + maskStem + ".png in " + (subsetDir / "masks").string());
    const fs::path real = findByStem(subsetDir / "real_images", triple.name);
    if (real.empty())
        throw hz::Error(compositePath.string() + ": no real image " + triple.name + ".jpg in " + (subsetDir / "real_images").string());
    triple.mask = mask.string();
    triple.real = real.string();
    return triple;
}

std::vector<fs::path> subsetsOf(const fs::path& dir) {
    if (isDir(dir / "composite_images")) return {dir};
    std::vector<fs::path> subsets;
    if (!isDir(dir)) return subsets;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_directory() && isDir(entry.path() / "composite_images")) subsets.push_back(entry.path());
    std::sort(subsets.begin(), subsets.end());
    return subsets;
}

// A list line resolved against the places iHarmony4 copies put it relative to: the dataset
// folder, a subset, its composite_images/ or the subset's parent. A subset's own list is
// resolved against that subset first (subsets may reuse file names).
fs::path resolveListed(const std::string& entry, const fs::path& root, const std::vector<fs::path>& subsets) {
    const fs::path listed(entry);
    if (listed.is_absolute()) return isFile(listed) ? listed : fs::path{};
    std::vector<fs::path> bases;
    for (const auto& subset : subsets) {
        bases.push_back(subset);
        bases.push_back(subset / "composite_images");
    }
    bases.push_back(root);
    for (const auto& subset : subsets) bases.push_back(subset.parent_path());
    for (const auto& base : bases)
        if (isFile(base / listed)) return base / listed;
    return {};
}

fs::path subsetContaining(const fs::path& composite, const std::vector<fs::path>& subsets) {
    const fs::path parent = composite.parent_path();
    if (parent.filename() == "composite_images") return parent.parent_path();
    return subsets.size() == 1 ? subsets.front() : parent;
}

std::vector<std::string> readListFile(const fs::path& file) {
    std::ifstream in(file);
    if (!in) throw hz::Error(file.string() + ": cannot be opened for reading");
    std::vector<std::string> entries;
    std::string line;
    while (std::getline(in, line)) {
        line = trimmed(line);
        if (!line.empty() && line[0] != '#') entries.push_back(line);
    }
    return entries;
}

}  // namespace

std::uint64_t stableHash(const std::string& text) {
    std::uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

bool isValidationSource(const std::string& sourceId, int percent) {
    return int(stableHash(sourceId) % 1000) < percent * 10;
}

Split parseSplit(const std::string& text) {
    if (text == "train") return Split::Train;
    if (text == "val") return Split::Val;
    if (text == "all") return Split::All;
    throw hz::Error("unknown split '" + text + "' (expected train, val or all)");
}

std::vector<int> splitItems(const TrainingData& data, Split split, int valPercent) {
    std::vector<int> indices;
    for (std::size_t i = 0; i < data.items.size(); ++i) {
        const bool val = isValidationSource(data.photoOf(data.items[i]).sourceId, valPercent);
        if (split == Split::All || (split == Split::Val) == val) indices.push_back(int(i));
    }
    return indices;
}

cv::Mat maskFromSegmentation(const cv::Mat& labelsIn, std::mt19937& rng) {
    cv::Mat labels;
    labelsIn.convertTo(labels, CV_32S);
    const double total = double(labels.total());
    std::map<int, double> area;
    std::map<int, std::set<int>> neighbours;
    for (int y = 0; y < labels.rows; ++y) {
        const int* row = labels.ptr<int>(y);
        const int* below = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
        for (int x = 0; x < labels.cols; ++x) {
            area[row[x]] += 1.0;
            if (x + 1 < labels.cols && row[x + 1] != row[x]) {
                neighbours[row[x]].insert(row[x + 1]);
                neighbours[row[x + 1]].insert(row[x]);
            }
            if (below && below[x] != row[x]) {
                neighbours[row[x]].insert(below[x]);
                neighbours[below[x]].insert(row[x]);
            }
        }
    }
    std::vector<int> seeds;
    for (const auto& [label, count] : area)
        if (count / total < 0.5) seeds.push_back(label);
    if (seeds.empty()) return {};
    std::uniform_real_distribution<double> targetDist(0.05, 0.5);
    for (int attempt = 0; attempt < 12; ++attempt) {
        const double target = targetDist(rng);
        std::set<int> chosen{seeds[std::uniform_int_distribution<std::size_t>(0, seeds.size() - 1)(rng)]};
        double covered = area[*chosen.begin()] / total;
        while (covered < target) {
            std::vector<int> candidates;
            for (int label : chosen)
                for (int n : neighbours[label])
                    if (!chosen.count(n) && covered + area[n] / total <= 0.5) candidates.push_back(n);
            if (candidates.empty()) break;
            std::sort(candidates.begin(), candidates.end());
            candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
            const int pick = candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)];
            chosen.insert(pick);
            covered += area[pick] / total;
        }
        if (covered < 0.05 || covered > 0.5) continue;
        cv::Mat mask(labels.size(), CV_8UC1, cv::Scalar(0));
        for (int y = 0; y < labels.rows; ++y) {
            const int* row = labels.ptr<int>(y);
            std::uint8_t* out = mask.ptr<std::uint8_t>(y);
            for (int x = 0; x < labels.cols; ++x) out[x] = chosen.count(row[x]) ? 255 : 0;
        }
        return mask;
    }
    return {};
}

bool looksLikeIHarmony4(const std::string& dir) { return !subsetsOf(dir).empty(); }

int addBorrowedMaskItems(TrainingData& data, std::uint32_t seed) {
    std::vector<int> donors;
    for (std::size_t i = 0; i < data.items.size(); ++i)
        if (!data.items[i].isPair()) donors.push_back(int(i));
    if (donors.empty()) return 0;
    int added = 0;
    for (const int photo : data.masklessPhotos) {
        const Photo& target = data.photos[std::size_t(photo)];
        std::mt19937 rng(std::uint32_t(stableHash(target.sourceId)) ^ seed);
        for (int attempt = 0; attempt < 8; ++attempt) {
            const MaskedItem& donor = data.items[std::size_t(donors[std::size_t(rng() % donors.size())])];
            const cv::Mat mask = resizedTo(donor.mask, target.bgr.size());
            const double fraction = cv::mean(mask)[0] / 255.0;
            if (fraction < 0.03 || fraction > 0.6) continue;
            addItem(data, photo, mask, "borrowed/" + target.sourceId);
            ++added;
            break;
        }
    }
    return added;
}

std::vector<HarmonyTriple> listIHarmony4(const std::string& dirText, const std::string& listFile, const std::string& which) {
    const fs::path root(dirText);
    const auto subsets = subsetsOf(root);
    if (subsets.empty()) throw hz::Error(dirText + ": no composite_images/ folder here or in its subfolders (iHarmony4 layout)");
    std::vector<HarmonyTriple> triples;
    auto addListed = [&](const std::vector<std::string>& entries, const fs::path& listPath,
                         const std::vector<fs::path>& preferred) {
        for (const auto& entry : entries) {
            const fs::path composite = resolveListed(entry, root, preferred);
            if (composite.empty()) throw hz::Error(listPath.string() + ": listed composite '" + entry + "' not found under " + dirText);
            triples.push_back(tripleFor(subsetContaining(composite, subsets), composite));
        }
    };
    if (!listFile.empty()) {
        addListed(readListFile(listFile), listFile, subsets);
        return triples;
    }
    for (const auto& subset : subsets) {
        const std::string listName = subset.filename().string() + "_" + which + ".txt";
        fs::path list = subset / listName;
        if (!isFile(list)) list = subset.parent_path() / listName;
        if (isFile(list)) {
            addListed(readListFile(list), list, {subset});
        } else {
            for (const auto& composite : imagesIn(subset / "composite_images")) triples.push_back(tripleFor(subset, composite));
        }
    }
    return triples;
}

void loadFolder(const std::string& dirText, const LoadOptions& options, TrainingData& data) {
    const fs::path dir(dirText);
    if (!isDir(dir)) throw hz::Error(dirText + ": no such folder");
    const std::size_t before = data.items.size();
    const std::size_t masklessBefore = data.masklessPhotos.size();
    std::string layout;
    if (isDir(dir / "real" / "image") && isDir(dir / "real" / "mask")) {
        layout = "Lalonde-Efros";
        loadLalondeEfros(dir, options, data);
    } else if (isDir(dir / "images") && isDir(dir / "segs")) {
        layout = "BSDS500";
        loadBsds(dir, options, data);
    } else if (isFile(dir / "list.txt")) {
        layout = "SOD list";
        loadSod(dir, options, data);
    } else if (looksLikeIHarmony4(dirText)) {
        layout = "iHarmony4";
        loadIHarmony4(dir, options, data);
    } else if (isDir(dir / "images") && isDir(dir / "masks")) {
        layout = "images+masks";
        loadGeneric(dir, "images", "masks", options, data);
    } else if (isDir(dir / "image") && isDir(dir / "mask")) {
        layout = "image+mask";
        loadGeneric(dir, "image", "mask", options, data);
    } else if (isDir(dir / "image") && options.keepMasklessPhotos) {
        layout = "photos without masks";
        loadGeneric(dir, "image", "mask", options, data);
    } else {
        throw hz::Error(dirText + ": unrecognised data layout (expected real/image+real/mask, images+segs, list.txt, "
                                  "composite_images+masks+real_images, images+masks or image+mask)");
    }
    const std::size_t added = data.items.size() - before;
    const std::size_t maskless = data.masklessPhotos.size() - masklessBefore;
    if (added == 0 && maskless == 0) throw hz::Error(dirText + ": " + layout + " layout found but no usable photo with a mask");
    if (maskless > 0) {
        data.layouts.push_back(dirText + ": " + layout + ", " + std::to_string(added) + " items, " + std::to_string(maskless) +
                               " photos for borrowed masks");
        return;
    }
    data.layouts.push_back(dirText + ": " + layout + ", " + std::to_string(added) + " items");
}

}  // namespace hz::training
