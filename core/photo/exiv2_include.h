#pragma once
// Exiv2 0.27 (Debian 12) still hands out std::auto_ptr; silence that warning in its headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>
#include <exiv2/webpimage.hpp>
#pragma GCC diagnostic pop

namespace hz::photo {
// Once per process: XMP's toolkit must be initialised before threads use it, and Exiv2's
// own stderr messages are muted (problems reach the user as hz::Error or warnings instead).
void initialiseExiv2();
}  // namespace hz::photo
