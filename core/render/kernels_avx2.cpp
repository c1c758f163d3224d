// AVX2 + FMA kernels (8 pixels per step) and statistics passes. The file is compiled for
// the baseline x86-64 target; only the functions marked HZ_AVX2 are compiled for AVX2, and
// they are only called after cpuHasAvx2() said yes, so the library runs on any x86-64 CPU.
// (Per-function attributes rather than -mavx2 for the file: with a file-wide flag, inline
// library functions instantiated here could be compiled with AVX2 and picked by the linker
// for every other caller.)
//
// Shape of one step: load 8 interleaved BGR pixels and split them into three vectors of
// code values (byte shuffles), look the TBC values up (gathers), run Saturation on the
// three channel vectors, look the Highlight+Shadow curve up (nearest point of the uniform
// table when all values allow it, otherwise the interpolated table of render_plan.h with
// an exact scalar fallback for marked bins), blend with the mask weight in float and
// round, interleave and store. Runs of 8-pixel blocks with mask 0 are copied.
#include <algorithm>
#include <array>
#include <cstring>

#include "core/render/render_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define HZ_AVX2 __attribute__((target("avx2,fma")))

namespace hz::renderer {
namespace {

using ByteMask = std::array<std::int8_t, 16>;

// Inverse, per 128-bit lane: from [B0-3 G0-3 R0-3 x] to 4 interleaved pixels (12 bytes,
// then 4 zeros).
constexpr ByteMask joinLane8() {
    ByteMask m{};
    for (int t = 0; t < 16; ++t) m[t] = t < 12 ? std::int8_t(4 * (t % 3) + t / 3) : std::int8_t(-128);
    return m;
}

// 16-bit: channel `channel` words from source vector `part` (words 8*part..8*part+7).
constexpr ByteMask split16(int channel, int part) {
    ByteMask m{};
    for (int i = 0; i < 16; ++i) m[i] = -128;
    for (int i = 0; i < 8; ++i) {
        const int w = 3 * i + channel;
        if (w / 8 != part) continue;
        m[2 * i] = std::int8_t(2 * (w % 8));
        m[2 * i + 1] = std::int8_t(2 * (w % 8) + 1);
    }
    return m;
}

// Output words 8*part.. taken from channel vector `channel` (8 words).
constexpr ByteMask join16(int part, int channel) {
    ByteMask m{};
    for (int t = 0; t < 8; ++t) {
        m[2 * t] = m[2 * t + 1] = -128;
        const int k = 8 * part + t;
        if (k % 3 != channel) continue;
        m[2 * t] = std::int8_t(2 * (k / 3));
        m[2 * t + 1] = std::int8_t(2 * (k / 3) + 1);
    }
    return m;
}

// Channel `channel` of the 4 pixels of one lane as int32 (zero bytes above): the pixels
// start at byte 0 in lane 0 and at byte 4 in lane 1 (see Io8::load).
constexpr ByteMask splitLane8(int channel, int lane) {
    ByteMask m{};
    for (int i = 0; i < 16; ++i) m[i] = -128;
    for (int i = 0; i < 4; ++i) m[4 * i] = std::int8_t(4 * lane + 3 * i + channel);
    return m;
}
constexpr ByteMask kJoinLane8 = joinLane8();
constexpr std::array<ByteMask, 9> kSplit16{split16(0, 0), split16(0, 1), split16(0, 2),
                                           split16(1, 0), split16(1, 1), split16(1, 2),
                                           split16(2, 0), split16(2, 1), split16(2, 2)};
constexpr std::array<ByteMask, 9> kJoin16{join16(0, 0), join16(0, 1), join16(0, 2),
                                          join16(1, 0), join16(1, 1), join16(1, 2),
                                          join16(2, 0), join16(2, 1), join16(2, 2)};

HZ_AVX2 inline __m128i loadMask(const ByteMask& m) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(m.data()));
}
HZ_AVX2 inline __m256i splitLanes8(int channel) {
    const ByteMask lane0 = splitLane8(channel, 0), lane1 = splitLane8(channel, 1);
    return _mm256_set_m128i(loadMask(lane1), loadMask(lane0));
}

// Table gathers. The masked forms with an explicit zero source avoid GCC 12's
// "may be used uninitialized" false positive of the plain ones; same instruction.
HZ_AVX2 inline __m256 gather(const float* table, __m256i index) {
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), table, index,
                                    _mm256_castsi256_ps(_mm256_set1_epi32(-1)), 4);
}
HZ_AVX2 inline __m256d gather(const double* table, __m128i index) {
    return _mm256_mask_i32gather_pd(_mm256_setzero_pd(), table, index,
                                    _mm256_castsi256_pd(_mm256_set1_epi64x(-1)), 8);
}

// Interleaved BGR <-> three vectors of 8 int32 code values.
// 8-bit. Loading: byte shuffles gather each channel's 8 bytes, widened to int32 (measured
// faster here than splitting the block into two 128-bit lanes). Storing: per 128-bit lane
// (pixels 0-3 and 4-7) the three channels are packed to bytes and interleaved by one shuffle.
struct Io8 {
    using Pixel = std::uint8_t;
    __m256i split[3];
    __m256i join;
    HZ_AVX2 Io8() {
        for (int c = 0; c < 3; ++c) split[c] = splitLanes8(c);
        join = _mm256_broadcastsi128_si256(loadMask(kJoinLane8));
    }
    // Lane 0 holds bytes 0-15 (pixels 0-3 at 0-11), lane 1 bytes 8-23 (pixels 4-7 at 4-15),
    // so one in-lane byte shuffle per channel yields its 8 codes already widened to int32,
    // and nothing past the 24 bytes of the block is read.
    HZ_AVX2 void load(const Pixel* p, __m256i (&codes)[3]) const {
        const __m256i bytes = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(p + 8),
                                                  reinterpret_cast<const __m128i*>(p));
        for (int c = 0; c < 3; ++c) codes[c] = _mm256_shuffle_epi8(bytes, split[c]);
    }
    HZ_AVX2 void store(Pixel* p, const __m256i (&codes)[3]) const {
        // Per lane: [B0-3 G0-3 R0-3 R0-3], saturated to bytes.
        const __m256i bytes = _mm256_packus_epi16(_mm256_packus_epi32(codes[0], codes[1]),
                                                  _mm256_packus_epi32(codes[2], codes[2]));
        const __m256i pixels = _mm256_shuffle_epi8(bytes, join);  // 12 bytes per lane
        const __m128i high = _mm256_extracti128_si256(pixels, 1);
        // Bytes 12-15 of the first store are garbage, overwritten by the second half.
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(pixels));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 12), high);
        const std::int32_t last = _mm_extract_epi32(high, 2);
        std::memcpy(p + 20, &last, 4);
    }
};

// The double kernel measured faster (16.0 -> 12.8 ms at 12 MP) with this older loader:
// two 128-bit loads, two byte shuffles per channel, then widening to int32 in one step.
constexpr ByteMask split8(int channel, int part) {
    ByteMask m{};
    for (int i = 0; i < 16; ++i) m[i] = -128;
    for (int i = 0; i < 8; ++i) {
        const int b = 3 * i + channel;
        if (part == 0 && b < 16) m[i] = std::int8_t(b);
        if (part == 1 && b >= 16) m[i] = std::int8_t(b - 16);
    }
    return m;
}
constexpr std::array<ByteMask, 6> kSplit8{split8(0, 0), split8(0, 1), split8(1, 0),
                                          split8(1, 1), split8(2, 0), split8(2, 1)};

struct Io8Widen : Io8 {
    __m128i split8[6];
    HZ_AVX2 Io8Widen() {
        for (int i = 0; i < 6; ++i) split8[i] = loadMask(kSplit8[std::size_t(i)]);
    }
    HZ_AVX2 void load(const Pixel* p, __m256i (&codes)[3]) const {
        const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i hi = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 16));
        for (int c = 0; c < 3; ++c)
            codes[c] = _mm256_cvtepu8_epi32(
                _mm_or_si128(_mm_shuffle_epi8(lo, split8[2 * c]), _mm_shuffle_epi8(hi, split8[2 * c + 1])));
    }
};

struct Io16 {
    using Pixel = std::uint16_t;
    __m128i split[9], join[9];
    HZ_AVX2 Io16() {
        for (int i = 0; i < 9; ++i) split[i] = loadMask(kSplit16[std::size_t(i)]);
        for (int i = 0; i < 9; ++i) join[i] = loadMask(kJoin16[std::size_t(i)]);
    }
    HZ_AVX2 void load(const Pixel* p, __m256i (&codes)[3]) const {
        __m128i v[3];
        for (int j = 0; j < 3; ++j) v[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8 * j));
        for (int c = 0; c < 3; ++c) {
            const __m128i words = _mm_or_si128(
                _mm_or_si128(_mm_shuffle_epi8(v[0], split[3 * c]), _mm_shuffle_epi8(v[1], split[3 * c + 1])),
                _mm_shuffle_epi8(v[2], split[3 * c + 2]));
            codes[c] = _mm256_cvtepu16_epi32(words);
        }
    }
    HZ_AVX2 void store(Pixel* p, const __m256i (&codes)[3]) const {
        const __m256i bg = _mm256_permute4x64_epi64(_mm256_packus_epi32(codes[0], codes[1]), 0xD8);
        const __m256i rr = _mm256_permute4x64_epi64(_mm256_packus_epi32(codes[2], codes[2]), 0xD8);
        const __m128i channel[3] = {_mm256_castsi256_si128(bg), _mm256_extracti128_si256(bg, 1),
                                    _mm256_castsi256_si128(rr)};
        for (int j = 0; j < 3; ++j) {
            const __m128i out = _mm_or_si128(
                _mm_or_si128(_mm_shuffle_epi8(channel[0], join[3 * j]), _mm_shuffle_epi8(channel[1], join[3 * j + 1])),
                _mm_shuffle_epi8(channel[2], join[3 * j + 2]));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 8 * j), out);
        }
    }
};

template <typename Io>
void portableTail(const Plan& plan, bool lut, const void* src, const std::uint16_t* mask, void* dst, int count) {
    constexpr bool sixteen = sizeof(typename Io::Pixel) == 2;
    if (lut) (sixteen ? portableLutRow16 : portableLutRow8)(plan, src, mask, dst, count);
    else (sixteen ? portableDoubleRow16 : portableDoubleRow8)(plan, src, mask, dst, count);
}

// Mask weights of 8 pixels; false when all 8 are 0 (the caller copies them).
HZ_AVX2 inline bool maskWeights(const std::uint16_t* mask, __m256 scale, __m256& weights) {
    const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask));
    if (_mm_testz_si128(m, m)) return false;
    weights = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(m)), scale);
    return true;
}

// The block of 8 pixels at `first` has mask 0: finds how far the zeros go (whole blocks of
// 8) and copies those pixels in one go. Returns the number of pixels handled.
template <typename Pixel>
HZ_AVX2 inline int copyBackground(const Pixel* in, const std::uint16_t* mask, Pixel* out, int first, int count) {
    int run = 8;
    while (first + run + 16 <= count) {
        const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + first + run));
        if (!_mm256_testz_si256(m, m)) break;
        run += 16;
    }
    if (first + run + 8 <= count) {
        const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + first + run));
        if (_mm_testz_si128(m, m)) run += 8;
    }
    if (out != in) std::memcpy(out + 3 * first, in + 3 * first, std::size_t(run) * 3 * sizeof(Pixel));
    return run;
}

// round(I0 + w * (F - I0)) with F in code units.
HZ_AVX2 inline __m256i blendRound(__m256 weights, __m256 filtered, __m256i codes) {
    const __m256 original = _mm256_cvtepi32_ps(codes);
    return _mm256_cvtps_epi32(_mm256_fmadd_ps(weights, _mm256_sub_ps(filtered, original), original));
}

HZ_AVX2 inline __m256 clampUnit(__m256 v) {
    return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
}
HZ_AVX2 inline __m256d clampUnit(__m256d v) {
    return _mm256_min_pd(_mm256_max_pd(v, _mm256_setzero_pd()), _mm256_set1_pd(1.0));
}

// Saturation with the spec's branches; for x >= 0 the a = s branch is written with one
// division: 1 / (s + eps) = D / (spread + eps * D), and x + s > 1 <=> spread > (1 - x) * D.
struct SaturationF {
    bool nonNegative;
    __m256 x1, minusHalfX, oneMinusX, kConst;
    HZ_AVX2 explicit SaturationF(const Plan& plan)
        : nonNegative(plan.saturation >= 0),
          x1(_mm256_set1_ps(float(1.0 + plan.saturation))),
          minusHalfX(_mm256_set1_ps(float(-0.5 * plan.saturation))),
          oneMinusX(_mm256_set1_ps(float(1.0 - plan.saturation))),
          kConst(_mm256_set1_ps(plan.saturationKConst)) {}
    HZ_AVX2 void apply(__m256 (&c)[3]) const {
        const __m256 cmax = _mm256_max_ps(c[0], _mm256_max_ps(c[1], c[2]));
        const __m256 cmin = _mm256_min_ps(c[0], _mm256_min_ps(c[1], c[2]));
        const __m256 sum = _mm256_add_ps(cmax, cmin);
        if (nonNegative) {
            const __m256 lightness = _mm256_mul_ps(sum, _mm256_set1_ps(0.5f));
            const __m256 eps = _mm256_set1_ps(float(kEps));
            const __m256 spread = _mm256_sub_ps(cmax, cmin);
            const __m256 dark = _mm256_cmp_ps(lightness, _mm256_set1_ps(0.5f), _CMP_LT_OQ);
            const __m256 denominator =
                _mm256_add_ps(_mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), sum), sum, dark), eps);
            const __m256 useS = _mm256_cmp_ps(spread, _mm256_mul_ps(oneMinusX, denominator), _CMP_GT_OQ);
            const __m256 kS = _mm256_sub_ps(_mm256_div_ps(denominator, _mm256_fmadd_ps(eps, denominator, spread)),
                                            _mm256_set1_ps(1.0f));
            const __m256 k = _mm256_blendv_ps(kConst, kS, useS);
            for (auto& v : c) v = clampUnit(_mm256_fmadd_ps(_mm256_sub_ps(v, lightness), k, v));
        } else {
            // L + (C - L)(1 + x) = (1 + x) C + (-x) L: both terms are >= 0, so only the
            // upper clamp can act (by an ulp).
            const __m256 shift = _mm256_mul_ps(sum, minusHalfX);
            for (auto& v : c) v = _mm256_min_ps(_mm256_fmadd_ps(v, x1, shift), _mm256_set1_ps(1.0f));
        }
    }
};

struct SaturationD {
    bool nonNegative;
    __m256d x1, oneMinusX, kConst;
    HZ_AVX2 explicit SaturationD(const Plan& plan)
        : nonNegative(plan.saturation >= 0),
          x1(_mm256_set1_pd(1.0 + plan.saturation)),
          oneMinusX(_mm256_set1_pd(1.0 - plan.saturation)),
          kConst(_mm256_set1_pd(plan.saturationKConstD)) {}
    HZ_AVX2 void apply(__m256d (&c)[3]) const {
        const __m256d cmax = _mm256_max_pd(c[0], _mm256_max_pd(c[1], c[2]));
        const __m256d cmin = _mm256_min_pd(c[0], _mm256_min_pd(c[1], c[2]));
        const __m256d sum = _mm256_add_pd(cmax, cmin);
        const __m256d lightness = _mm256_mul_pd(sum, _mm256_set1_pd(0.5));
        if (nonNegative) {
            const __m256d eps = _mm256_set1_pd(kEps);
            const __m256d spread = _mm256_sub_pd(cmax, cmin);
            const __m256d dark = _mm256_cmp_pd(lightness, _mm256_set1_pd(0.5), _CMP_LT_OQ);
            const __m256d denominator =
                _mm256_add_pd(_mm256_blendv_pd(_mm256_sub_pd(_mm256_set1_pd(2.0), sum), sum, dark), eps);
            const __m256d useS = _mm256_cmp_pd(spread, _mm256_mul_pd(oneMinusX, denominator), _CMP_GT_OQ);
            const __m256d kS = _mm256_sub_pd(_mm256_div_pd(denominator, _mm256_fmadd_pd(eps, denominator, spread)),
                                             _mm256_set1_pd(1.0));
            const __m256d k = _mm256_blendv_pd(kConst, kS, useS);
            for (auto& v : c) v = clampUnit(_mm256_fmadd_pd(_mm256_sub_pd(v, lightness), k, v));
        } else {
            for (auto& v : c) v = clampUnit(_mm256_fmadd_pd(_mm256_sub_pd(v, lightness), x1, lightness));
        }
    }
};

// The Highlight+Shadow table lookup (see HsTable): d = min(y, 1 - y) picks the node from its
// float bits (exponent and top mantissa bits), the remaining mantissa bits are the fraction
// within the bin, and y >= 0.5 selects the second half of the table.
struct Curve {
    const HsTable* table;
    const float* nodes;  // (value, slope) pairs: one cache line holds both
    __m256i base, sideOffset;
    const float* uniform;  // HsTable::uniformCodes (8-bit code units); null when not built
    __m256 uniformSteps, uniformLow, uniformHigh;
    bool uniformEverywhere;  // the nearest point is accurate on all of [0, 1]
    HZ_AVX2 explicit Curve(const HsTable& hs)
        : table(&hs), nodes(hs.nodes.data()),
          base(_mm256_set1_epi32(hs.indexBase)), sideOffset(_mm256_set1_epi32(hs.nodesPerSide)),
          uniform(hs.uniformSteps > 0 ? hs.uniformCodes.data() : nullptr),
          uniformSteps(_mm256_set1_ps(float(hs.uniformSteps))),
          uniformLow(_mm256_set1_ps(hs.uniformLow)), uniformHigh(_mm256_set1_ps(hs.uniformHigh)),
          uniformEverywhere(uniform != nullptr && hs.uniformLow <= 0.0f && hs.uniformHigh >= 1.0f) {}

    // The nearest-point shortcut, when all 24 values of a step lie where it is accurate.
    // y = 0 and y = 1 (clamped values, frequent) are exact nodes.
    HZ_AVX2 bool nearestApplies(const __m256 (&y)[3]) const {
        if (uniform == nullptr) return false;
        if (uniformEverywhere) return true;
        const __m256 low = _mm256_min_ps(y[0], _mm256_min_ps(y[1], y[2]));
        const __m256 high = _mm256_max_ps(y[0], _mm256_max_ps(y[1], y[2]));
        const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(low, uniformLow, _CMP_GE_OQ),
                                            _mm256_cmp_ps(high, uniformHigh, _CMP_LE_OQ));
        if (_mm256_movemask_ps(inside) == 0xff) return true;
        return nearestAppliesWithEnds(y);
    }
    HZ_AVX2 bool nearestAppliesWithEnds(const __m256 (&y)[3]) const {
        const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
        __m256 inside = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        for (const __m256& v : y) {
            const __m256 aboveLow =
                _mm256_or_ps(_mm256_cmp_ps(v, uniformLow, _CMP_GE_OQ), _mm256_cmp_ps(v, zero, _CMP_EQ_OQ));
            const __m256 belowHigh =
                _mm256_or_ps(_mm256_cmp_ps(v, uniformHigh, _CMP_LE_OQ), _mm256_cmp_ps(v, one, _CMP_EQ_OQ));
            inside = _mm256_and_ps(inside, _mm256_and_ps(aboveLow, belowHigh));
        }
        return _mm256_movemask_ps(inside) == 0xff;
    }
    // g(y) in 8-bit code units.
    HZ_AVX2 __m256 nearest(__m256 y) const {
        return gather(uniform, _mm256_cvtps_epi32(_mm256_mul_ps(y, uniformSteps)));
    }

    // d in [0, 0.5] as float, highSide all ones where y >= 0.5. NaN in bins marked exact.
    HZ_AVX2 __m256 interpolate(__m256 d, __m256i highSide) const {
        constexpr int m = HsTable::kBinsPerOctaveLog2;
        const __m256i bits = _mm256_castps_si256(d);
        const __m256i node = _mm256_max_epi32(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23 - m), base),
                                              _mm256_setzero_si256());
        const __m256i pair = _mm256_slli_epi32(_mm256_add_epi32(node, _mm256_and_si256(highSide, sideOffset)), 1);
        const __m256 frac = _mm256_sub_ps(
            _mm256_castsi256_ps(_mm256_or_si256(
                _mm256_and_si256(_mm256_slli_epi32(bits, m), _mm256_set1_epi32(0x007fffff)),
                _mm256_set1_epi32(0x3f800000))),
            _mm256_set1_ps(1.0f));
        return _mm256_fmadd_ps(frac, gather(nodes + 1, pair), gather(nodes, pair));
    }

    HZ_AVX2 __m256 interpolate(__m256 y) const {
        const __m256 d = _mm256_min_ps(y, _mm256_sub_ps(_mm256_set1_ps(1.0f), y));
        return interpolate(d, _mm256_castps_si256(_mm256_cmp_ps(y, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
    }

    // From double y (lo: lanes 0-3, hi: 4-7): d is computed in double and only then
    // rounded to float, which keeps y near 1 as precise as float allows near 0.
    HZ_AVX2 static __m256 distance(__m256d lo, __m256d hi) {
        const __m256d one = _mm256_set1_pd(1.0);
        return _mm256_set_m128(_mm256_cvtpd_ps(_mm256_min_pd(hi, _mm256_sub_pd(one, hi))),
                               _mm256_cvtpd_ps(_mm256_min_pd(lo, _mm256_sub_pd(one, lo))));
    }
    // Two 4-lane double masks -> one 8-lane float mask, in lane order.
    HZ_AVX2 static __m256 packMasks(__m256d lo, __m256d hi) {
        const __m256 l = _mm256_castpd_ps(lo), h = _mm256_castpd_ps(hi);
        return _mm256_castpd_ps(_mm256_permute4x64_pd(
            _mm256_castps_pd(_mm256_shuffle_ps(l, h, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    HZ_AVX2 static __m256i highSide(__m256d lo, __m256d hi) {
        const __m256d half = _mm256_set1_pd(0.5);
        return _mm256_castps_si256(packMasks(_mm256_cmp_pd(lo, half, _CMP_GE_OQ), _mm256_cmp_pd(hi, half, _CMP_GE_OQ)));
    }

    // nearestApplies() for the double kernel: y rounded to float in `y`, the exact values
    // in lo/hi. Only exact 0 and 1 may use the end nodes: a y just below 1 rounds to 1.0f.
    HZ_AVX2 bool nearestApplies(const __m256 (&y)[3], const __m256d (&lo)[3], const __m256d (&hi)[3]) const {
        if (uniform == nullptr) return false;
        const __m256 low = _mm256_min_ps(y[0], _mm256_min_ps(y[1], y[2]));
        const __m256 high = _mm256_max_ps(y[0], _mm256_max_ps(y[1], y[2]));
        const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(low, uniformLow, _CMP_GE_OQ),
                                            _mm256_cmp_ps(high, uniformHigh, _CMP_LE_OQ));
        if (_mm256_movemask_ps(inside) == 0xff) return true;
        const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
        __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        for (int c = 0; c < 3; ++c) {
            const __m256 end = packMasks(
                _mm256_or_pd(_mm256_cmp_pd(lo[c], zero, _CMP_EQ_OQ), _mm256_cmp_pd(lo[c], one, _CMP_EQ_OQ)),
                _mm256_or_pd(_mm256_cmp_pd(hi[c], zero, _CMP_EQ_OQ), _mm256_cmp_pd(hi[c], one, _CMP_EQ_OQ)));
            const __m256 range = _mm256_and_ps(_mm256_cmp_ps(y[c], uniformLow, _CMP_GE_OQ),
                                               _mm256_cmp_ps(y[c], uniformHigh, _CMP_LE_OQ));
            all = _mm256_and_ps(all, _mm256_or_ps(end, range));
        }
        return _mm256_movemask_ps(all) == 0xff;
    }

    // Lanes that came out NaN (bins marked exact): evaluate them exactly, scalar.
    HZ_AVX2 __attribute__((noinline)) __m256 fixMarked(__m256 d, __m256i highSide, __m256 result) const {
        alignas(32) float distances[8], values[8];
        alignas(32) std::int32_t sides[8];
        _mm256_store_ps(distances, d);
        _mm256_store_si256(reinterpret_cast<__m256i*>(sides), highSide);
        _mm256_store_ps(values, result);
        for (int lane = 0; lane < 8; ++lane)
            if (values[lane] != values[lane]) values[lane] = float(table->exact(double(distances[lane]), sides[lane] != 0));
        return _mm256_load_ps(values);
    }
};

HZ_AVX2 inline bool anyNaN(const __m256 (&f)[3]) {
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(f[0], f[1]), f[2]);
    return _mm256_movemask_ps(_mm256_cmp_ps(sum, sum, _CMP_UNORD_Q)) != 0;
}

template <typename Io>
HZ_AVX2 void lutRow(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    using Pixel = typename Io::Pixel;
    const Pixel* in = static_cast<const Pixel*>(src);
    Pixel* out = static_cast<Pixel*>(dst);
    const Io io;
    const __m256 scale = _mm256_set1_ps(plan.weightScale);
    const float* lut[3] = {plan.lut[0].data(), plan.lut[1].data(), plan.lut[2].data()};
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 weights;
        if (!maskWeights(mask + i, scale, weights)) {
            i += copyBackground(in, mask, out, i, count) - 8;
            continue;
        }
        __m256i codes[3], result[3];
        io.load(in + 3 * i, codes);
        for (int c = 0; c < 3; ++c)
            result[c] = blendRound(weights, gather(lut[c], codes[c]), codes[c]);
        io.store(out + 3 * i, result);
    }
    if (i < count) portableTail<Io>(plan, true, in + 3 * i, mask + i, out + 3 * i, count - i);
}

template <typename Io>
HZ_AVX2 void floatRow(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    using Pixel = typename Io::Pixel;
    const Pixel* in = static_cast<const Pixel*>(src);
    Pixel* out = static_cast<Pixel*>(dst);
    const Io io;
    const __m256 scale = _mm256_set1_ps(plan.weightScale);
    const __m256 maxCode = _mm256_set1_ps(float(plan.maxCode));
    const float* tone[3] = {plan.toneF[0].data(), plan.toneF[1].data(), plan.toneF[2].data()};
    const SaturationF saturation(plan);
    const bool curve = !plan.hsIdentity;
    const Curve hs(*plan.hs);
    const bool arithmetic = plan.toneArithmetic;
    const bool fullAmount = plan.fullAmount;
    const __m256 toneScale[3] = {_mm256_set1_ps(plan.toneScale[0]), _mm256_set1_ps(plan.toneScale[1]),
                                 _mm256_set1_ps(plan.toneScale[2])};
    const __m256 toneCap = _mm256_set1_ps(plan.toneCap);
    const __m256 contrastScale = _mm256_set1_ps(plan.contrastScale);
    const __m256 contrastOffset = _mm256_set1_ps(plan.contrastOffset);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m128i maskCodes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mask + i));
        if (_mm_testz_si128(maskCodes, maskCodes)) {
            i += copyBackground(in, mask, out, i, count) - 8;
            continue;
        }
        // Inside the mask at full amount the blend is F itself: skip its arithmetic.
        const bool opaque = fullAmount && _mm_test_all_ones(maskCodes);
        __m256 weights = _mm256_setzero_ps();
        if (!opaque) weights = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(maskCodes)), scale);
        __m256i codes[3], result[3];
        io.load(in + 3 * i, codes);
        __m256 v[3];
        if (arithmetic) {
            for (int c = 0; c < 3; ++c) {
                const __m256 tb = _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(codes[c]), toneScale[c]), toneCap),
                                                _mm256_setzero_ps());
                v[c] = clampUnit(_mm256_fmadd_ps(tb, contrastScale, contrastOffset));
            }
        } else {
            for (int c = 0; c < 3; ++c) v[c] = gather(tone[c], codes[c]);
        }
        saturation.apply(v);
        // F in output code units.
        __m256 f[3];
        if (curve && hs.nearestApplies(v)) {
            for (int c = 0; c < 3; ++c) f[c] = hs.nearest(v[c]);
        } else if (curve) {
            for (int c = 0; c < 3; ++c) f[c] = hs.interpolate(v[c]);
            if (anyNaN(f))
                for (int c = 0; c < 3; ++c) {
                    const __m256 d = _mm256_min_ps(v[c], _mm256_sub_ps(_mm256_set1_ps(1.0f), v[c]));
                    const __m256 high = _mm256_cmp_ps(v[c], _mm256_set1_ps(0.5f), _CMP_GE_OQ);
                    f[c] = hs.fixMarked(d, _mm256_castps_si256(high), f[c]);
                }
            for (int c = 0; c < 3; ++c) f[c] = _mm256_mul_ps(f[c], maxCode);
        } else {
            for (int c = 0; c < 3; ++c) f[c] = _mm256_mul_ps(v[c], maxCode);
        }
        if (opaque)
            for (int c = 0; c < 3; ++c) result[c] = _mm256_cvtps_epi32(f[c]);
        else
            for (int c = 0; c < 3; ++c) result[c] = blendRound(weights, f[c], codes[c]);
        io.store(out + 3 * i, result);
    }
    if (i < count) portableTail<Io>(plan, false, in + 3 * i, mask + i, out + 3 * i, count - i);
}

template <typename Io>
HZ_AVX2 void doubleRow(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    using Pixel = typename Io::Pixel;
    const Pixel* in = static_cast<const Pixel*>(src);
    Pixel* out = static_cast<Pixel*>(dst);
    const Io io;
    const __m256 scale = _mm256_set1_ps(plan.weightScale);
    const __m256 maxCode = _mm256_set1_ps(float(plan.maxCode));
    const double* tone[3] = {plan.toneD[0].data(), plan.toneD[1].data(), plan.toneD[2].data()};
    const SaturationD saturation(plan);
    const bool curve = !plan.hsIdentity;
    const Curve hs(*plan.hs);
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 weights;
        if (!maskWeights(mask + i, scale, weights)) {
            i += copyBackground(in, mask, out, i, count) - 8;
            continue;
        }
        __m256i codes[3], result[3];
        io.load(in + 3 * i, codes);
        __m256d lo[3], hi[3];
        for (int c = 0; c < 3; ++c) {
            lo[c] = gather(tone[c], _mm256_castsi256_si128(codes[c]));
            hi[c] = gather(tone[c], _mm256_extracti128_si256(codes[c], 1));
        }
        saturation.apply(lo);
        saturation.apply(hi);
        __m256 f[3];
        for (int c = 0; c < 3; ++c) f[c] = _mm256_set_m128(_mm256_cvtpd_ps(hi[c]), _mm256_cvtpd_ps(lo[c]));
        // F in output code units.
        if (curve && hs.nearestApplies(f, lo, hi)) {
            for (int c = 0; c < 3; ++c) f[c] = hs.nearest(f[c]);
        } else if (curve) {
            __m256 d[3];
            __m256i high[3];
            for (int c = 0; c < 3; ++c) {
                d[c] = Curve::distance(lo[c], hi[c]);
                high[c] = Curve::highSide(lo[c], hi[c]);
                f[c] = hs.interpolate(d[c], high[c]);
            }
            if (anyNaN(f))
                for (int c = 0; c < 3; ++c) f[c] = hs.fixMarked(d[c], high[c], f[c]);
            for (int c = 0; c < 3; ++c) f[c] = _mm256_mul_ps(f[c], maxCode);
        } else {
            for (int c = 0; c < 3; ++c) f[c] = _mm256_mul_ps(f[c], maxCode);
        }
        for (int c = 0; c < 3; ++c) result[c] = blendRound(weights, f[c], codes[c]);
        io.store(out + 3 * i, result);
    }
    if (i < count) portableTail<Io>(plan, false, in + 3 * i, mask + i, out + 3 * i, count - i);
}

// ---- Statistics, 32 pixels (96 values) per step ----------------------------------------
// Streaming passes wait on memory without a software prefetch (measured on the development
// VM: a single thread left the hardware prefetcher behind).
constexpr int kPrefetchBytes = 1536;

// Value position p of a step belongs to channel p % 3; accumulators hold consecutive
// positions and are folded into channels when flushed. The last (< 32) pixels go through
// the SSE2 versions.

// Local sums and a stride of 3 instead of p % 3 into the caller's array: this runs once
// per row and chunk, and the straightforward form cost as much as 300 pixels of the pass.
template <typename Lane, int Count>
void foldPositions(const Lane (&positions)[Count], std::array<std::uint64_t, 3>& channels) {
    static_assert(Count % 3 == 0, "positions cover whole pixels");
    std::uint64_t s0 = 0, s1 = 0, s2 = 0;
    for (int p = 0; p < Count; p += 3) {
        s0 += positions[p];
        s1 += positions[p + 1];
        s2 += positions[p + 2];
    }
    channels[0] += s0;
    channels[1] += s1;
    channels[2] += s2;
}

template <typename Lane, int Count>
void foldMaxima(const Lane (&positions)[Count], std::array<std::uint32_t, 3>& channels) {
    static_assert(Count % 3 == 0, "positions cover whole pixels");
    std::uint32_t m0 = channels[0], m1 = channels[1], m2 = channels[2];
    for (int p = 0; p < Count; p += 3) {
        m0 = std::max<std::uint32_t>(m0, positions[p]);
        m1 = std::max<std::uint32_t>(m1, positions[p + 1]);
        m2 = std::max<std::uint32_t>(m2, positions[p + 2]);
    }
    channels = {m0, m1, m2};
}

HZ_AVX2 void basicMoments8(const std::uint8_t* row, int count, BasicMoments& moments) {
    const int steps = count / 32;
    const __m256i zero = _mm256_setzero_si256();
    __m256i maxima[3] = {zero, zero, zero};
    for (int step = 0; step < steps;) {
        const int end = std::min(steps, step + 257);  // 16-bit sums: 257 * 255 < 65536
        __m256i sums[6] = {zero, zero, zero, zero, zero, zero};
        for (; step < end; ++step) {
            const std::uint8_t* p = row + 96 * step;
            _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes + 64), _MM_HINT_T0);
            for (int k = 0; k < 6; ++k)
                sums[k] = _mm256_add_epi16(sums[k], _mm256_cvtepu8_epi16(_mm_loadu_si128(
                                                        reinterpret_cast<const __m128i*>(p + 16 * k))));
            for (int j = 0; j < 3; ++j)
                maxima[j] = _mm256_max_epu8(maxima[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j)));
        }
        alignas(32) std::uint16_t values[96];
        for (int k = 0; k < 6; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 16 * k), sums[k]);
        foldPositions(values, moments.sum);
    }
    alignas(32) std::uint8_t values[96];
    for (int j = 0; j < 3; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 32 * j), maxima[j]);
    foldMaxima(values, moments.max);
    if (count > 32 * steps) accumulateBasicMoments8(row + 96 * steps, count - 32 * steps, moments);
}

HZ_AVX2 void clampMoments8(const std::uint8_t* row, int count, ClampMoments& clamp) {
    const int steps = count / 32;
    const __m256i zero = _mm256_setzero_si256();
    __m256i thresholds[3];
    {
        alignas(32) std::uint8_t bytes[96];
        for (int p = 0; p < 96; ++p) bytes[p] = std::uint8_t(clamp.threshold[std::size_t(p % 3)]);
        for (int j = 0; j < 3; ++j) thresholds[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(bytes + 32 * j));
    }
    std::array<std::uint64_t, 3> atMost{};
    for (int step = 0; step < steps;) {
        const int end = std::min(steps, step + 255);  // 8-bit counters
        __m256i sums[6] = {zero, zero, zero, zero, zero, zero};
        __m256i counts[3] = {zero, zero, zero};
        for (; step < end; ++step) {
            const std::uint8_t* p = row + 96 * step;
            _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes + 64), _MM_HINT_T0);
            for (int j = 0; j < 3; ++j) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j));
                const __m256i low = _mm256_min_epu8(v, thresholds[j]);
                counts[j] = _mm256_sub_epi8(counts[j], _mm256_cmpeq_epi8(low, v));  // +1 where v <= K
                sums[2 * j] = _mm256_add_epi16(sums[2 * j], _mm256_cvtepu8_epi16(_mm256_castsi256_si128(low)));
                sums[2 * j + 1] = _mm256_add_epi16(sums[2 * j + 1], _mm256_cvtepu8_epi16(_mm256_extracti128_si256(low, 1)));
            }
        }
        alignas(32) std::uint16_t values[96];
        for (int k = 0; k < 6; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 16 * k), sums[k]);
        foldPositions(values, clamp.sumOfMin);
        alignas(32) std::uint8_t tallies[96];
        for (int j = 0; j < 3; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(tallies + 32 * j), counts[j]);
        foldPositions(tallies, atMost);
    }
    for (int c = 0; c < 3; ++c)
        clamp.countAbove[std::size_t(c)] += std::uint64_t(32 * steps) - atMost[std::size_t(c)];
    if (count > 32 * steps) accumulateClampMoments8(row + 96 * steps, count - 32 * steps, clamp);
}

HZ_AVX2 void basicMoments16(const std::uint16_t* row, int count, BasicMoments& moments) {
    const int steps = count / 32;
    const __m256i zero = _mm256_setzero_si256();
    __m256i maxima[6] = {zero, zero, zero, zero, zero, zero};
    for (int step = 0; step < steps;) {
        const int end = std::min(steps, step + 65536);  // 32-bit sums: 65536 * 65535 < 2^32
        __m256i sums[12];
        for (auto& sum : sums) sum = zero;
        for (; step < end; ++step) {
            const std::uint16_t* p = row + 96 * step;
            for (int k = 0; k < 12; ++k)
                sums[k] = _mm256_add_epi32(sums[k], _mm256_cvtepu16_epi32(_mm_loadu_si128(
                                                        reinterpret_cast<const __m128i*>(p + 8 * k))));
            for (int j = 0; j < 6; ++j)
                maxima[j] = _mm256_max_epu16(maxima[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16 * j)));
        }
        alignas(32) std::uint32_t values[96];
        for (int k = 0; k < 12; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 8 * k), sums[k]);
        foldPositions(values, moments.sum);
    }
    alignas(32) std::uint16_t values[96];
    for (int j = 0; j < 6; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 16 * j), maxima[j]);
    foldMaxima(values, moments.max);
    if (count > 32 * steps) accumulateBasicMoments16(row + 96 * steps, count - 32 * steps, moments);
}

HZ_AVX2 void clampMoments16(const std::uint16_t* row, int count, ClampMoments& clamp) {
    const int steps = count / 32;
    const __m256i zero = _mm256_setzero_si256();
    __m256i thresholds[6];
    {
        alignas(32) std::uint16_t words[96];
        for (int p = 0; p < 96; ++p) words[p] = std::uint16_t(clamp.threshold[std::size_t(p % 3)]);
        for (int j = 0; j < 6; ++j) thresholds[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words + 16 * j));
    }
    std::array<std::uint64_t, 3> atMost{};
    for (int step = 0; step < steps;) {
        const int end = std::min(steps, step + 65535);  // 16-bit counters
        __m256i sums[12], counts[6];
        for (auto& sum : sums) sum = zero;
        for (auto& tally : counts) tally = zero;
        for (; step < end; ++step) {
            const std::uint16_t* p = row + 96 * step;
            for (int j = 0; j < 6; ++j) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16 * j));
                const __m256i low = _mm256_min_epu16(v, thresholds[j]);
                counts[j] = _mm256_sub_epi16(counts[j], _mm256_cmpeq_epi16(low, v));
                sums[2 * j] = _mm256_add_epi32(sums[2 * j], _mm256_cvtepu16_epi32(_mm256_castsi256_si128(low)));
                sums[2 * j + 1] = _mm256_add_epi32(sums[2 * j + 1], _mm256_cvtepu16_epi32(_mm256_extracti128_si256(low, 1)));
            }
        }
        alignas(32) std::uint32_t values[96];
        for (int k = 0; k < 12; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(values + 8 * k), sums[k]);
        foldPositions(values, clamp.sumOfMin);
        alignas(32) std::uint16_t tallies[96];
        for (int j = 0; j < 6; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(tallies + 16 * j), counts[j]);
        foldPositions(tallies, atMost);
    }
    for (int c = 0; c < 3; ++c)
        clamp.countAbove[std::size_t(c)] += std::uint64_t(32 * steps) - atMost[std::size_t(c)];
    if (count > 32 * steps) accumulateClampMoments16(row + 96 * steps, count - 32 * steps, clamp);
}

}  // namespace

void avx2BasicMoments8(const std::uint8_t* r, int n, BasicMoments& m) { basicMoments8(r, n, m); }
void avx2BasicMoments16(const std::uint16_t* r, int n, BasicMoments& m) { basicMoments16(r, n, m); }
void avx2ClampMoments8(const std::uint8_t* r, int n, ClampMoments& c) { clampMoments8(r, n, c); }
void avx2ClampMoments16(const std::uint16_t* r, int n, ClampMoments& c) { clampMoments16(r, n, c); }

void avx2LutRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { lutRow<Io8>(p, s, m, d, n); }
void avx2LutRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { lutRow<Io16>(p, s, m, d, n); }
void avx2FloatRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { floatRow<Io8>(p, s, m, d, n); }
void avx2FloatRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { floatRow<Io16>(p, s, m, d, n); }
void avx2DoubleRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { doubleRow<Io8Widen>(p, s, m, d, n); }
void avx2DoubleRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { doubleRow<Io16>(p, s, m, d, n); }

}  // namespace hz::renderer

#else  // not x86: never selected (cpuHasAvx2() is false), defined for the linker only

namespace hz::renderer {
void avx2LutRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableLutRow8(p, s, m, d, n); }
void avx2LutRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableLutRow16(p, s, m, d, n); }
void avx2FloatRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableDoubleRow8(p, s, m, d, n); }
void avx2FloatRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableDoubleRow16(p, s, m, d, n); }
void avx2DoubleRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableDoubleRow8(p, s, m, d, n); }
void avx2DoubleRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { portableDoubleRow16(p, s, m, d, n); }
void avx2BasicMoments8(const std::uint8_t* r, int n, BasicMoments& m) { accumulateBasicMoments8(r, n, m); }
void avx2BasicMoments16(const std::uint16_t* r, int n, BasicMoments& m) { accumulateBasicMoments16(r, n, m); }
void avx2ClampMoments8(const std::uint8_t* r, int n, ClampMoments& c) { accumulateClampMoments8(r, n, c); }
void avx2ClampMoments16(const std::uint16_t* r, int n, ClampMoments& c) { accumulateClampMoments16(r, n, c); }
}  // namespace hz::renderer

#endif
