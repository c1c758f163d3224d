#pragma once
// Training data held in memory: real photos with foreground masks (and, for the iHarmony4
// layout, real composites paired with their real photo). Everything is uint8 and resized
// once at load time so that a long CPU run never touches the disk again.
//
// Layouts recognised per folder (see README.md):
//   L&E        DIR/real/image/*.jpg + DIR/real/mask/*.png (+ DIR/meta.json for source photos)
//   BSDS500    DIR/images/{train,val,test}/*.jpg + DIR/segs/<split>/<id>_<k>.png label maps
//   SOD        DIR/list.txt "<id> <photo> <mask>" (paths relative to DIR)
//   generic    DIR/images/* + DIR/masks/* (or DIR/image/* + DIR/mask/*) paired by file stem;
//              DIR/image/* alone (photos for borrowed masks) with keepMasklessPhotos
//   iHarmony4  DIR/composite_images, DIR/masks, DIR/real_images (DIR may also hold subsets)
#include <opencv2/core.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace hz::training {

struct Photo {
    cv::Mat bgr;            // CV_8UC3
    std::string sourceId;   // the source photograph; the train/val split is by this id
};

struct MaskedItem {
    int photo = -1;         // index into TrainingData::photos
    cv::Mat mask;           // CV_8UC1, 0..255, same size as the photo
    cv::Mat composite;      // CV_8UC3 real composite (iHarmony4 pairs only), else empty
    std::string name;       // unique, readable: "<layout>/<stem>[#k]"
    bool isPair() const { return !composite.empty(); }
};

struct TrainingData {
    std::vector<Photo> photos;
    std::map<std::string, int> photoByPath;  // canonical path -> photo (BSDS and SOD share photos)
    std::vector<MaskedItem> items;
    std::vector<std::string> layouts;   // what was found, one line per folder (for logs)
    std::vector<int> masklessPhotos;    // photos without a mask of their own (LoadOptions::keepMasklessPhotos)
    const Photo& photoOf(const MaskedItem& item) const { return photos[std::size_t(item.photo)]; }
};

struct LoadOptions {
    // Photos are downscaled (never upscaled) so that the short side is at most this.
    int maxShortSide = 320;
    // BSDS500: masks made per photo (each from a different annotator's segmentation).
    int bsdsMasksPerPhoto = 2;
    std::uint32_t maskSeed = 1;  // segment choice for BSDS masks (fixed: the data must not change with --seed)
    // Keep photos that have no mask (e.g. an image/ folder alone) for addBorrowedMaskItems.
    bool keepMasklessPhotos = false;
};

// Loads and appends one folder; throws hz::Error naming the folder if no layout matches
// or a listed file is missing/unreadable.
void loadFolder(const std::string& dir, const LoadOptions& options, TrainingData& data);

// Gives every mask-less photo one item whose mask is another item's mask resized to it
// (covering 3-60%), chosen deterministically from the photo's source id and `seed`.
// Returns the number of items added.
int addBorrowedMaskItems(TrainingData& data, std::uint32_t seed = 1);

// Deterministic split by source photo: true for about `percent` of source ids.
bool isValidationSource(const std::string& sourceId, int percent = 10);
std::uint64_t stableHash(const std::string& text);  // FNV-1a 64

enum class Split { Train, Val, All };
Split parseSplit(const std::string& text);  // "train" | "val" | "all", hz::Error otherwise
// Item indices of a split, in load order.
std::vector<int> splitItems(const TrainingData& data, Split split, int valPercent = 10);

// A foreground mask from a label map (CV_16UC1/CV_8UC1/CV_32SC1): grows a connected set of
// segments from a random seed segment until it covers a random target in [5%, 50%] of the
// photo. Returns an empty Mat when no acceptable mask exists (e.g. one label only).
cv::Mat maskFromSegmentation(const cv::Mat& labels, std::mt19937& rng);

// One composite of the iHarmony4 layout with the files that belong to it.
struct HarmonyTriple {
    std::string subset;      // folder name, e.g. "HCOCO"
    std::string name;        // <name> of <name>_<k>_<j>: the real photo, the split key
    std::string composite;   // paths
    std::string mask;
    std::string real;
};

// True when `dir` is an iHarmony4 subset (has composite_images/) or holds such subsets.
bool looksLikeIHarmony4(const std::string& dir);
// Lists the composites of every subset under `dir` (or of `dir` itself). With `listFile`
// non-empty that file names the composites (one path per line, relative to the dataset
// folder, the subset folder or its composite_images/); otherwise each subset's
// <Subset>_<which>.txt is used when it exists (which = "test" or "train"), else every
// image in composite_images/. Throws hz::Error for a listed composite whose mask or real
// photo is missing.
std::vector<HarmonyTriple> listIHarmony4(const std::string& dir, const std::string& listFile,
                                         const std::string& which);

}  // namespace hz::training
