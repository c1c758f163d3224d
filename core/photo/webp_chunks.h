#pragma once
// WebP's ICCP, EXIF and XMP chunks through libwebpmux. Exiv2 0.27 (Debian 12) writes a WebP's
// ICC profile under a wrong chunk name, so WebP metadata goes through WebP's own library.
#include <string>

namespace hz::photo {

struct WebpChunks {
    std::string icc, exif, xmp;  // empty = absent; exif is TIFF-structured (no "Exif\0\0")
};

// Throws hz::Error naming `path` when the file is not a WebP that libwebpmux can read.
WebpChunks readWebpChunks(const std::string& path);
// Replaces the three chunks (an empty one is removed) and rewrites `path` in place.
void writeWebpChunks(const std::string& path, const WebpChunks& chunks, const std::string& displayName);

}  // namespace hz::photo
