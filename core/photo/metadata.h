#pragma once
// A photograph's metadata as it travels from the input file to the exports: the EXIF, XMP
// and IPTC blocks and the ICC colour profile, read and written with Exiv2. The blocks are
// kept as encoded bytes so that LoadedImage stays cheap to copy and free of Exiv2 types.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace hz::photo {

struct PhotoMetadata {
    std::string exif;  // TIFF-structured EXIF (as in a JPEG's APP1 after "Exif\0\0"), empty if none
    std::string xmp;   // XMP packet, empty if none
    std::string iptc;  // IPTC IIM records, empty if none
    std::string icc;   // ICC profile bytes, empty when the file is untagged (taken as sRGB)
    // EXIF orientation of the file (1..8; 1 also when there is no tag) and whether the file
    // carries the tag at all (EXIF or XMP tiff:Orientation).
    int orientation = 1;
    bool hasOrientationTag = false;

    bool empty() const { return exif.empty() && xmp.empty() && iptc.empty() && icc.empty(); }
};

// Reads the metadata of any file Exiv2 recognises by its content (the extension is not
// looked at). A file Exiv2 does not know, or whose metadata is damaged, gives an empty
// result and a warning in `warnings` (the pixels may still be fine).
PhotoMetadata readMetadata(const std::string& path, std::vector<std::string>* warnings = nullptr);

// True for formats whose OpenCV decoder turns the pixels by the orientation itself (TIFF,
// through libtiff), judged by content.
bool decoderAppliesOrientation(const std::string& path);

// Builds the metadata from raw blocks (HEIF/AVIF carry them as items): reads the orientation
// and drops what describes the old file's layout (see cleanExif in the .cpp).
PhotoMetadata metadataFromBlocks(const std::string& exif, const std::string& xmp, const std::string& icc);

struct MetadataWriteOptions {
    bool strip = false;  // drop EXIF, XMP and IPTC (GPS, camera, ...); the ICC profile stays
};

// Writes `metadata` into the already encoded image file `path` (JPEG, PNG, TIFF or WebP),
// with the orientation set to normal (the pixels are already turned) and the pixel
// dimensions set to `size`. Blocks the format cannot hold (IPTC in WebP) are left out.
// WebP goes through libwebpmux (webp_chunks.h), the others through Exiv2.
// Throws hz::Error naming `displayName` when Exiv2 cannot write the file.
void writeMetadata(const std::string& path, const PhotoMetadata& metadata, cv::Size size,
                   const MetadataWriteOptions& options = {}, const std::string& displayName = {});

}  // namespace hz::photo
