#pragma once
// Colour management with Little CMS. The renderer works on the photo's own numbers (so the
// background stays bit-exact and the output keeps the input's profile); only two consumers
// need other numbers: the network, trained on sRGB photos, and the screen.
#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace hz::photo {

// A conversion from a photo's ICC profile to sRGB (relative colorimetric with black point
// compensation, the usual "convert to sRGB"). Immutable and safe to share between threads.
class SrgbConversion {
public:
    // nullptr when no conversion is needed: no profile, a profile that is sRGB in effect
    // (converts a grid of colours to themselves within 1/1024), or one that cannot be used
    // (damaged, or not RGB: a grayscale profile on a photo that became colour); `problem` then
    // says why for the last two.
    static std::shared_ptr<const SrgbConversion> fromIcc(const std::string& icc, std::string* problem = nullptr);
    ~SrgbConversion();

    // A CV_8UC3 or CV_16UC3 BGR image converted to sRGB in the same depth: the file an
    // editor's "convert to sRGB" writes. Rows run in parallel.
    cv::Mat convertBgr(const cv::Mat& bgr) const;
    // Qt's RGB32 layout in memory (B, G, R, X bytes on little-endian machines), in place.
    void convertBgrx8(std::uint8_t* bgrx, std::size_t pixels) const;

    SrgbConversion(const SrgbConversion&) = delete;
    SrgbConversion& operator=(const SrgbConversion&) = delete;

private:
    SrgbConversion() = default;
    void* transform8_ = nullptr;
    void* transform16_ = nullptr;
    void* displayTransform_ = nullptr;
};

// True when `icc` parses as an ICC profile of an RGB colour space.
bool isRgbProfile(const std::string& icc);
// The profile's description tag ("Adobe RGB (1998)"), empty if none or unreadable.
std::string profileDescription(const std::string& icc);

// The curve of an RGB matrix profile.
enum class ToneCurve { Srgb, Gamma22, Gamma28, Bt709, Linear };
struct Primaries {
    double redX, redY, greenX, greenY, blueX, blueY, whiteX = 0.3127, whiteY = 0.3290;  // default D65
};
inline constexpr Primaries kSrgbPrimaries{0.64, 0.33, 0.30, 0.60, 0.15, 0.06};
inline constexpr Primaries kAdobeRgbPrimaries{0.64, 0.33, 0.21, 0.71, 0.15, 0.06};
inline constexpr Primaries kDisplayP3Primaries{0.680, 0.320, 0.265, 0.690, 0.150, 0.060};
// An RGB matrix/TRC ICC profile (HEIF/AVIF colour given as CICP numbers, test fixtures).
std::string makeRgbProfile(const Primaries& primaries, ToneCurve curve, const std::string& description);

}  // namespace hz::photo
