#pragma once
// PNG's own iCCP and eXIf chunks, written with libpng. Exiv2 0.27 (Debian 12) writes iCCP
// with an empty profile name, which libpng rejects ("iCCP: bad keyword") and viewers then
// ignore, and EXIF only as a legacy text chunk; so these two go through PNG's own library.
#include <string>

namespace hz::photo {

// Re-encodes the PNG `path` in place (lossless: the same rows, bit depth and text chunks)
// with `icc` as iCCP and `exif` (TIFF-structured) as eXIf; empty ones are left out.
// Throws hz::Error naming `displayName`.
void rewritePngWithChunks(const std::string& path, const std::string& icc, const std::string& exif,
                          const std::string& displayName);

}  // namespace hz::photo
