#pragma once
// HEIF/HEIC (phones) and AVIF photos, decoded with libheif: pixels with the container's
// rotation and mirroring applied, plus the ICC profile (or the CICP colour, turned into an
// ICC profile) and the EXIF/XMP items.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "core/photo/metadata.h"

namespace hz::photo {

// True when the file's first bytes say HEIF or AVIF (the name is not looked at).
bool isHeifFile(const std::string& path);

struct HeifPhoto {
    cv::Mat pixels;  // CV_8UC3, CV_16UC3 (more than 8 bits per sample, scaled to 16), or with alpha CV_8UC4/CV_16UC4; BGR(A)
    PhotoMetadata metadata;
    std::vector<std::string> warnings;
};

// The primary image's size as the container declares it (rotation applied), read without
// decoding. Throws hz::Error naming `path` when libheif cannot read the file.
cv::Size heifSize(const std::string& path);

// Decodes the primary image, refused from its declared size when over maxImagePixels().
// Throws hz::Error naming `path` when libheif cannot.
HeifPhoto decodeHeif(const std::string& path);

}  // namespace hz::photo
