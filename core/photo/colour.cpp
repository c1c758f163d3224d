#include "core/photo/colour.h"

#include <lcms2.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace hz::photo {
namespace {

struct ProfileHandle {
    cmsHPROFILE profile;
    explicit ProfileHandle(cmsHPROFILE p) : profile(p) {}
    ~ProfileHandle() {
        if (profile) cmsCloseProfile(profile);
    }
    ProfileHandle(const ProfileHandle&) = delete;
    ProfileHandle& operator=(const ProfileHandle&) = delete;
};

cmsHPROFILE openProfile(const std::string& icc) {
    if (icc.empty()) return nullptr;
    return cmsOpenProfileFromMem(icc.data(), cmsUInt32Number(icc.size()));
}

// lcms reports problems through a global handler; messages reach the user via `problem`.
void silenceLcms() {
    static const bool once = [] {
        cmsSetLogErrorHandler([](cmsContext, cmsUInt32Number, const char*) {});
        return true;
    }();
    (void)once;
}

constexpr cmsUInt32Number kIntent = INTENT_RELATIVE_COLORIMETRIC;
// No cache: cmsDoTransform is then safe to call from several threads at once.
constexpr cmsUInt32Number kFlags = cmsFLAGS_BLACKPOINTCOMPENSATION | cmsFLAGS_NOCACHE;

}  // namespace

std::shared_ptr<const SrgbConversion> SrgbConversion::fromIcc(const std::string& icc, std::string* problem) {
    silenceLcms();
    if (icc.empty()) return nullptr;
    ProfileHandle input(openProfile(icc));
    if (!input.profile) {
        if (problem) *problem = "the ICC profile is damaged; colours are taken as sRGB";
        return nullptr;
    }
    if (cmsGetColorSpace(input.profile) != cmsSigRgbData) {
        if (problem) *problem = "the ICC profile is not an RGB profile; colours are taken as sRGB";
        return nullptr;
    }
    ProfileHandle srgb(cmsCreate_sRGBProfile());
    std::shared_ptr<SrgbConversion> conversion(new SrgbConversion);
    conversion->transform8_ = cmsCreateTransform(input.profile, TYPE_BGR_8, srgb.profile, TYPE_BGR_8, kIntent, kFlags);
    conversion->transform16_ = cmsCreateTransform(input.profile, TYPE_BGR_16, srgb.profile, TYPE_BGR_16, kIntent, kFlags);
    conversion->displayTransform_ = cmsCreateTransform(input.profile, TYPE_BGRA_8, srgb.profile, TYPE_BGRA_8, kIntent,
                                                       kFlags | cmsFLAGS_COPY_ALPHA);
    if (!conversion->transform8_ || !conversion->transform16_ || !conversion->displayTransform_) {
        if (problem) *problem = "the ICC profile cannot be converted to sRGB; colours are taken as sRGB";
        return nullptr;
    }
    // An sRGB profile (embedded by most cameras and phones) must change nothing at all.
    cv::Mat grid(1, 125, CV_16UC3);
    for (int i = 0; i < 125; ++i)
        grid.at<cv::Vec3w>(0, i) = cv::Vec3w(ushort(i % 5 * 65535 / 4), ushort(i / 5 % 5 * 65535 / 4), ushort(i / 25 * 65535 / 4));
    if (cv::norm(conversion->convertBgr(grid), grid, cv::NORM_INF) <= 65535.0 / 1024) return nullptr;
    return conversion;
}

SrgbConversion::~SrgbConversion() {
    if (transform8_) cmsDeleteTransform(transform8_);
    if (transform16_) cmsDeleteTransform(transform16_);
    if (displayTransform_) cmsDeleteTransform(displayTransform_);
}

cv::Mat SrgbConversion::convertBgr(const cv::Mat& bgr) const {
    CV_Assert(bgr.type() == CV_8UC3 || bgr.type() == CV_16UC3);
    void* transform = bgr.depth() == CV_16U ? transform16_ : transform8_;
    cv::Mat out(bgr.size(), bgr.type());
    cv::parallel_for_(cv::Range(0, bgr.rows), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y)
            cmsDoTransform(transform, bgr.ptr(y), out.ptr(y), cmsUInt32Number(bgr.cols));
    });
    return out;
}

void SrgbConversion::convertBgrx8(std::uint8_t* bgrx, std::size_t pixels) const {
    cmsDoTransform(displayTransform_, bgrx, bgrx, cmsUInt32Number(pixels));
}

bool isRgbProfile(const std::string& icc) {
    silenceLcms();
    ProfileHandle profile(openProfile(icc));
    return profile.profile && cmsGetColorSpace(profile.profile) == cmsSigRgbData;
}

std::string profileDescription(const std::string& icc) {
    silenceLcms();
    ProfileHandle profile(openProfile(icc));
    if (!profile.profile) return {};
    char text[256] = {};
    cmsGetProfileInfoASCII(profile.profile, cmsInfoDescription, "en", "US", text, sizeof text);
    return text;
}

std::string makeRgbProfile(const Primaries& p, ToneCurve curve, const std::string& description) {
    silenceLcms();
    const cmsCIExyY white{p.whiteX, p.whiteY, 1.0};
    const cmsCIExyYTRIPLE primaries{{p.redX, p.redY, 1.0}, {p.greenX, p.greenY, 1.0}, {p.blueX, p.blueY, 1.0}};
    cmsToneCurve* tone = nullptr;
    switch (curve) {
        case ToneCurve::Srgb: {
            const double params[] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
            tone = cmsBuildParametricToneCurve(nullptr, 4, params);
            break;
        }
        case ToneCurve::Bt709: {
            const double params[] = {1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081};
            tone = cmsBuildParametricToneCurve(nullptr, 4, params);
            break;
        }
        case ToneCurve::Gamma22: tone = cmsBuildGamma(nullptr, 563.0 / 256.0); break;  // Adobe RGB's 2.19921875
        case ToneCurve::Gamma28: tone = cmsBuildGamma(nullptr, 2.8); break;
        case ToneCurve::Linear: tone = cmsBuildGamma(nullptr, 1.0); break;
    }
    cmsToneCurve* curves[3] = {tone, tone, tone};
    ProfileHandle profile(cmsCreateRGBProfile(&white, &primaries, curves));
    cmsFreeToneCurve(tone);
    if (!profile.profile) return {};
    cmsMLU* mlu = cmsMLUalloc(nullptr, 1);
    cmsMLUsetASCII(mlu, "en", "US", description.c_str());
    cmsWriteTag(profile.profile, cmsSigProfileDescriptionTag, mlu);
    cmsMLUfree(mlu);
    cmsUInt32Number size = 0;
    if (!cmsSaveProfileToMem(profile.profile, nullptr, &size)) return {};
    std::string bytes(size, '\0');
    if (!cmsSaveProfileToMem(profile.profile, bytes.data(), &size)) return {};
    bytes.resize(size);
    return bytes;
}

}  // namespace hz::photo
