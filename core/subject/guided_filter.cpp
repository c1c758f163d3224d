#include "core/subject/guided_filter.h"

#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace hz::subject {

namespace {

// Longest side at which upsampleGuided computes its statistics. At 12 MP (4000 px) this is a
// quarter of the resolution: about 3 px of it per pixel of the network's 320-px square, enough
// for the window to straddle the network's blurred edge, and 16 times fewer pixels to filter.
constexpr int kWorkingLongSide = 1024;
constexpr double kWindowInLowResPixels = 0.5;
// The upsampled mask's values within this of 0 or 1 are made exact: the network is never
// quite sure (a sigmoid), nor is the filter's linear model far from the edge, and a
// harmonization with the mask must leave the background bit for bit as it was (and the
// subject's inside fully foreground). 256/65535, about 0.4 %.
constexpr float kSnap = 256.f / 65535.f;

// The photo averaged over k x k blocks, in [0, 1]. An integer factor keeps cv::resize on its
// fast area path (a third of the general one's time at 12 MP); the last cols % k, rows % k
// pixels are left out of the statistics (the coefficients are clamped at the border).
cv::Size reducedSize(cv::Size full, int k) { return {std::max(1, full.width / k), std::max(1, full.height / k)}; }

cv::Mat reduce(const cv::Mat& full, int k, int interpolation = cv::INTER_AREA) {
    if (k == 1) return full;
    const cv::Size small = reducedSize(full.size(), k);
    cv::Mat out;
    cv::resize(full(cv::Rect(0, 0, std::min(full.cols, small.width * k), std::min(full.rows, small.height * k))), out,
               small, 0, 0, interpolation);
    return out;
}

cv::Mat guideAt(const cv::Mat& photo, int k) {
    cv::Mat guide;
    reduce(photo, k).convertTo(guide, CV_32F, photo.depth() == CV_16U ? 1.0 / 65535.0 : 1.0 / 255.0);
    return guide;
}

cv::Mat box(const cv::Mat& m, int r) {
    cv::Mat out;
    cv::boxFilter(m, out, CV_32F, cv::Size(2 * r + 1, 2 * r + 1), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
    return out;
}

// (a_B, a_G, a_R, b) per pixel, already averaged over the window (He's mean_a, mean_b).
cv::Mat coefficients(const cv::Mat& guide, const cv::Mat& p, int r, float eps) {
    const cv::Size size = guide.size();
    cv::Mat ip(size, CV_32FC4), prodA(size, CV_32FC4), prodB(size, CV_32FC4), rp(size, CV_32F);
    cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            const float* g = guide.ptr<float>(y);
            const float* pp = p.ptr<float>(y);
            float* o = ip.ptr<float>(y);
            float* a = prodA.ptr<float>(y);
            float* b = prodB.ptr<float>(y);
            float* c = rp.ptr<float>(y);
            for (int x = 0; x < size.width; ++x) {
                const float B = g[3 * x], G = g[3 * x + 1], R = g[3 * x + 2], P = pp[x];
                o[4 * x] = B; o[4 * x + 1] = G; o[4 * x + 2] = R; o[4 * x + 3] = P;
                a[4 * x] = B * B; a[4 * x + 1] = B * G; a[4 * x + 2] = B * R; a[4 * x + 3] = G * G;
                b[4 * x] = G * R; b[4 * x + 1] = R * R; b[4 * x + 2] = B * P; b[4 * x + 3] = G * P;
                c[x] = R * P;
            }
        }
    });
    const cv::Mat mean = box(ip, r), meanA = box(prodA, r), meanB = box(prodB, r), meanRp = box(rp, r);

    cv::Mat ab(size, CV_32FC4);
    cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
        for (int y = rows.start; y < rows.end; ++y) {
            const float* m = mean.ptr<float>(y);
            const float* ca = meanA.ptr<float>(y);
            const float* cb = meanB.ptr<float>(y);
            const float* crp = meanRp.ptr<float>(y);
            float* o = ab.ptr<float>(y);
            for (int x = 0; x < size.width; ++x) {
                const double mB = m[4 * x], mG = m[4 * x + 1], mR = m[4 * x + 2], mP = m[4 * x + 3];
                // Covariance of the guide in the window (+ eps on the diagonal) and its
                // covariance with the mask; a = Sigma^-1 cov, by cofactors (Sigma is symmetric).
                const double sBB = ca[4 * x] - mB * mB + eps, sBG = ca[4 * x + 1] - mB * mG,
                             sBR = ca[4 * x + 2] - mB * mR, sGG = ca[4 * x + 3] - mG * mG + eps,
                             sGR = cb[4 * x] - mG * mR, sRR = cb[4 * x + 1] - mR * mR + eps;
                const double cB = cb[4 * x + 2] - mB * mP, cG = cb[4 * x + 3] - mG * mP, cR = crp[x] - mR * mP;
                const double iBB = sGG * sRR - sGR * sGR, iBG = sGR * sBR - sBG * sRR, iBR = sBG * sGR - sGG * sBR,
                             iGG = sBB * sRR - sBR * sBR, iGR = sBG * sBR - sBB * sGR, iRR = sBB * sGG - sBG * sBG;
                const double det = sBB * iBB + sBG * iBG + sBR * iBR;
                const double aB = (iBB * cB + iBG * cG + iBR * cR) / det;
                const double aG = (iBG * cB + iGG * cG + iGR * cR) / det;
                const double aR = (iBR * cB + iGR * cG + iRR * cR) / det;
                o[4 * x] = static_cast<float>(aB);
                o[4 * x + 1] = static_cast<float>(aG);
                o[4 * x + 2] = static_cast<float>(aR);
                o[4 * x + 3] = static_cast<float>(mP - aB * mB - aG * mG - aR * mR);
            }
        }
    });
    return box(ab, r);
}

struct Taps {
    std::vector<int> i0, i1;
    std::vector<float> w;  // weight of i1
};

// Bilinear taps of `dst` full-resolution samples onto the `src` samples of blocks of k,
// pixel centres aligned (as cv::resize does).
Taps tapsFor(int dst, int src, int k) {
    Taps t;
    t.i0.resize(dst);
    t.i1.resize(dst);
    t.w.resize(dst);
    for (int i = 0; i < dst; ++i) {
        const double s = std::clamp((i + 0.5) / k - 0.5, 0.0, static_cast<double>(src - 1));
        const int i0 = std::min(static_cast<int>(s), src - 1);
        t.i0[i] = i0;
        t.i1[i] = std::min(i0 + 1, src - 1);
        t.w[i] = static_cast<float>(s - i0);
    }
    return t;
}

#if CV_SIMD128
// Four pixels: the coefficients blended between the two rows, q = a . I + b; with Blend, q
// moved towards the plain bilinear mask u by its confidence (see blendWeight); clamped.
template <bool Blend>
inline cv::v_float32x4 combine(const float* const* a, const float* const* b, int x, const cv::v_float32x4& wy,
                               const cv::v_float32x4& B, const cv::v_float32x4& G, const cv::v_float32x4& R,
                               const cv::v_float32x4& lo, const cv::v_float32x4& hi, const cv::v_float32x4& scale) {
    cv::v_float32x4 c[Blend ? 5 : 4];
    for (int k = 0; k < (Blend ? 5 : 4); ++k) {
        const cv::v_float32x4 top = cv::v_load(a[k] + x);
        c[k] = cv::v_fma(cv::v_load(b[k] + x) - top, wy, top);
    }
    cv::v_float32x4 q = cv::v_fma(c[0], B, cv::v_fma(c[1], G, cv::v_fma(c[2], R, c[3])));
    if constexpr (Blend) {
        const cv::v_float32x4 one = cv::v_setall_f32(1.f), zero = cv::v_setzero_f32();
        const cv::v_float32x4 w = cv::v_sqrt(cv::v_max(one - cv::v_abs(c[4] + c[4] - one), zero));
        const cv::v_float32x4 u = c[4] * scale;
        q = cv::v_fma(w, q - u, u);
        // Near-certain values made exact (see kSnap).
        const cv::v_float32x4 snap = cv::v_setall_f32(kSnap) * scale;
        q = cv::v_select(q < snap, zero, q);
        q = cv::v_select(q > scale - snap, scale, q);
    }
    return cv::v_min(cv::v_max(q, lo), hi);
}

inline void store8(std::uint16_t* o, const cv::v_float32x4& q0, const cv::v_float32x4& q1) {
    cv::v_store(o, cv::v_pack_u(cv::v_round(q0), cv::v_round(q1)));
}
inline void store8(float* o, const cv::v_float32x4& q0, const cv::v_float32x4& q1) {
    cv::v_store(o, q0);
    cv::v_store(o + 4, q1);
}

inline void toFloat(const cv::v_uint16x8& v, cv::v_float32x4& lo, cv::v_float32x4& hi) {
    cv::v_uint32x4 a, b;
    cv::v_expand(v, a, b);
    lo = cv::v_cvt_f32(cv::v_reinterpret_as_s32(a));
    hi = cv::v_cvt_f32(cv::v_reinterpret_as_s32(b));
}

// The vectorised part of a row; returns the first x it did not do.
template <bool Blend, typename Out>
int rowSimd(const std::uint8_t* px, Out* o, int W, const float* const* a, const float* const* b, float wy, float lo,
            float hi, float scale) {
    const cv::v_float32x4 vwy = cv::v_setall_f32(wy), vlo = cv::v_setall_f32(lo), vhi = cv::v_setall_f32(hi),
                          vs = cv::v_setall_f32(scale);
    int x = 0;
    for (; x + 16 <= W; x += 16) {
        cv::v_uint8x16 vb, vg, vr;
        cv::v_load_deinterleave(px + 3 * x, vb, vg, vr);
        cv::v_uint16x8 b16[2], g16[2], r16[2];
        cv::v_expand(vb, b16[0], b16[1]);
        cv::v_expand(vg, g16[0], g16[1]);
        cv::v_expand(vr, r16[0], r16[1]);
        for (int h = 0; h < 2; ++h) {
            cv::v_float32x4 B0, B1, G0, G1, R0, R1;
            toFloat(b16[h], B0, B1);
            toFloat(g16[h], G0, G1);
            toFloat(r16[h], R0, R1);
            const int xx = x + 8 * h;
            store8(o + xx, combine<Blend>(a, b, xx, vwy, B0, G0, R0, vlo, vhi, vs),
                   combine<Blend>(a, b, xx + 4, vwy, B1, G1, R1, vlo, vhi, vs));
        }
    }
    return x;
}

template <bool Blend, typename Out>
int rowSimd(const std::uint16_t* px, Out* o, int W, const float* const* a, const float* const* b, float wy, float lo,
            float hi, float scale) {
    const cv::v_float32x4 vwy = cv::v_setall_f32(wy), vlo = cv::v_setall_f32(lo), vhi = cv::v_setall_f32(hi),
                          vs = cv::v_setall_f32(scale);
    int x = 0;
    for (; x + 8 <= W; x += 8) {
        cv::v_uint16x8 vb, vg, vr;
        cv::v_load_deinterleave(px + 3 * x, vb, vg, vr);
        cv::v_float32x4 B0, B1, G0, G1, R0, R1;
        toFloat(vb, B0, B1);
        toFloat(vg, G0, G1);
        toFloat(vr, R0, R1);
        store8(o + x, combine<Blend>(a, b, x, vwy, B0, G0, R0, vlo, vhi, vs),
               combine<Blend>(a, b, x + 4, vwy, B1, G1, R1, vlo, vhi, vs));
    }
    return x;
}
#endif

// q = a . I + b at the photo's resolution, a and b interpolated bilinearly from `ab` (blocks
// of k). A coefficient row is widened to the photo's width (four planes, the guide's and the
// output's scales folded in) when the output reaches it, so the per-pixel work is a vertical
// blend and a dot product over contiguous rows, four pixels at a time: at 12 MP this pass is
// most of the time upsampleGuided takes. Blend: `ab` has a fifth channel, the mask the
// coefficients were fitted to, and the output is u + w (q - u) with u that mask interpolated
// bilinearly and w = sqrt(1 - |2u - 1|): the guided filter decides the edge, where u is
// uncertain, while what u is sure of (well inside, well outside) keeps u's value, which the
// linear colour model gets wrong where object and background share colours (measured on
// real photos' true masks, see README).
template <bool Blend, typename Pixel, typename Out>
void apply(const cv::Mat& ab, int k, const cv::Mat& photo, cv::Mat& out, float outScale, float lo, float hi) {
    constexpr int kPlanes = Blend ? 5 : 4;
    const int W = photo.cols, H = photo.rows;
    const Taps tx = tapsFor(W, ab.cols, k), ty = tapsFor(H, ab.rows, k);
    const float inScale = 1.f / static_cast<float>(sizeof(Pixel) == 1 ? 255 : 65535);
    auto widen = [&](int row, std::vector<float>& planes) {
        const float* c = ab.ptr<float>(row);
        for (int x = 0; x < W; ++x) {
            const int i0 = tx.i0[x], i1 = tx.i1[x];
            const float w = tx.w[x];
            for (int ch = 0; ch < kPlanes; ++ch) {
                const float v = c[kPlanes * i0 + ch] + w * (c[kPlanes * i1 + ch] - c[kPlanes * i0 + ch]);
                planes[ch * W + x] = ch < 3 ? v * inScale * outScale : ch == 3 ? v * outScale : v;
            }
        }
    };
    const int stripes = std::max(1, std::min(H / 16, 4 * std::max(1, cv::getNumThreads())));
    cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& range) {
        std::vector<float> rowA(kPlanes * W), rowB(kPlanes * W);
        int haveA = -1, haveB = -1;
        for (int s = range.start; s < range.end; ++s) {
            const int yBegin = static_cast<int>(static_cast<long long>(H) * s / stripes);
            const int yEnd = static_cast<int>(static_cast<long long>(H) * (s + 1) / stripes);
            for (int y = yBegin; y < yEnd; ++y) {
                const int r0 = ty.i0[y], r1 = ty.i1[y];
                if (haveA != r0) {
                    if (haveB == r0) {
                        std::swap(rowA, rowB);
                        std::swap(haveA, haveB);
                    } else {
                        widen(r0, rowA);
                        haveA = r0;
                    }
                }
                if (haveB != r1) {
                    widen(r1, rowB);
                    haveB = r1;
                }
                const float wy = ty.w[y];
                const Pixel* px = photo.ptr<Pixel>(y);
                Out* o = out.ptr<Out>(y);
                const float* a[5];
                const float* b[5];
                for (int ch = 0; ch < kPlanes; ++ch) {
                    a[ch] = rowA.data() + ch * W;
                    b[ch] = rowB.data() + ch * W;
                }
                int x = 0;
#if CV_SIMD128
                x = rowSimd<Blend>(px, o, W, a, b, wy, lo, hi, outScale);
#endif
                for (; x < W; ++x) {
                    const float cB = a[0][x] + wy * (b[0][x] - a[0][x]);
                    const float cG = a[1][x] + wy * (b[1][x] - a[1][x]);
                    const float cR = a[2][x] + wy * (b[2][x] - a[2][x]);
                    const float cb = a[3][x] + wy * (b[3][x] - a[3][x]);
                    float q = cB * px[3 * x] + cG * px[3 * x + 1] + cR * px[3 * x + 2] + cb;
                    if constexpr (Blend) {
                        const float u = a[4][x] + wy * (b[4][x] - a[4][x]);
                        const float w = std::sqrt(std::max(0.f, 1.f - std::abs(2.f * u - 1.f)));
                        q = u * outScale + w * (q - u * outScale);
                        if (q < kSnap * outScale) q = 0;
                        if (q > outScale - kSnap * outScale) q = outScale;
                    }
                    q = std::min(std::max(q, lo), hi);
                    if constexpr (std::is_same_v<Out, float>)
                        o[x] = q;
                    else
                        o[x] = static_cast<Out>(std::lround(q));
                }
            }
        }
    });
}

// clampToUnit: the output is clamped to [0, 1] (scaled to the output depth); otherwise the
// true values are returned (guidedFilterMask: its caller blends, then clamps).
// (Upsampling: clamped and blended; guidedFilterMask: neither.)
template <bool Blend>
cv::Mat applyAtFullResolution(const cv::Mat& ab, int k, const cv::Mat& photo, int depth, bool clampToUnit) {
    cv::Mat out(photo.size(), CV_MAKETYPE(depth, 1));
    const float scale = depth == CV_16U ? 65535.f : 1.f;
    const float lo = clampToUnit ? 0.f : -std::numeric_limits<float>::max();
    const float hi = clampToUnit ? scale : std::numeric_limits<float>::max();
    const bool wide = photo.depth() == CV_16U;
    if (depth == CV_16U) {
        if (wide) apply<Blend, std::uint16_t, std::uint16_t>(ab, k, photo, out, scale, lo, hi);
        else apply<Blend, std::uint8_t, std::uint16_t>(ab, k, photo, out, scale, lo, hi);
    } else {
        if (wide) apply<Blend, std::uint16_t, float>(ab, k, photo, out, scale, lo, hi);
        else apply<Blend, std::uint8_t, float>(ab, k, photo, out, scale, lo, hi);
    }
    return out;
}

}  // namespace

cv::Mat guidedFilterMask(const cv::Mat& photo, const cv::Mat& maskF, int r, double eps) {
    const int k = std::max(1, r / 4);
    const cv::Mat guide = guideAt(photo, k);
    const cv::Mat p = reduce(maskF, k);
    const int rSmall = std::max(1, static_cast<int>(std::lround(static_cast<double>(r) / k)));
    return applyAtFullResolution<false>(coefficients(guide, p, rSmall, static_cast<float>(eps)), k, photo, CV_32F, false);
}

cv::Mat upsampleGuided(const cv::Mat& lowRes, const cv::Mat& photo, int depth) {
    const int longSide = std::max(photo.cols, photo.rows);
    const int k = std::max(1, (longSide + kWorkingLongSide - 1) / kWorkingLongSide);
    const cv::Mat guide = guideAt(photo, k);
    const cv::Size work = guide.size();
    cv::Mat p;
    cv::resize(lowRes, p, work, 0, 0, work.width >= lowRes.cols ? cv::INTER_LINEAR : cv::INTER_AREA);
    // The window reaches half a low-resolution pixel to either side. Measured on real photos'
    // true masks squashed 12 times (the 4000 / 320 of a 12 MP photo) and upsampled again: wider
    // windows (1 .. 2.5 pixels) lost IoU and boundary F against plain bilinear upsampling on
    // COCO and DAVIS objects, whose colours recur in their backgrounds; see README.
    const double perLowResPixel = std::max(static_cast<double>(work.width) / lowRes.cols,
                                           static_cast<double>(work.height) / lowRes.rows);
    const int r = std::max(1, static_cast<int>(std::lround(kWindowInLowResPixels * perLowResPixel)));
    cv::Mat ab = coefficients(guide, p, r, static_cast<float>(kUpsampleEps));
    cv::Mat withMask;
    cv::merge(std::vector<cv::Mat>{ab, p}, withMask);
    return applyAtFullResolution<true>(withMask, k, photo, depth, true);
}

}  // namespace hz::subject
