// AVX-512 version of the 8-bit float kernel: 16 pixels per step instead of 8, same arithmetic
// as floatRow in kernels_avx2.cpp (so the same error model holds), with byte permutes (VBMI)
// for splitting and interleaving BGR. Like the AVX2 file it is compiled for baseline x86-64
// with per-function target attributes and only called after cpuHasAvx512() said yes.
//
// Steps the fast path does not cover (Highlight+Shadow values outside the nearest-point
// table's accurate range) and the last (< 16) pixels of a row go through avx2FloatRow8.
#include <cmath>
#include <cstring>

#include "core/render/render_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// GCC 12 reports the _mm512_undefined_* placeholders inside its own intrinsic headers as
// "may be used uninitialized" when they are inlined into target-attributed functions.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define HZ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,fma")))

namespace hz::renderer {
namespace {

constexpr __mmask64 kBlockBytes = (__mmask64(1) << 48) - 1;  // 16 BGR pixels
// Software prefetch this many bytes ahead: a single thread streaming through the image
// waited on loads (measured: 12 MP full-mask render 17.7 -> 13.9 ms on one core, the
// statistics pass 1.4 -> 1.2 ms on two).
constexpr int kPrefetchBytes = 1536;

// Byte 4i of the permuted block = channel `channel` of pixel i; with the other bytes zeroed
// (kDwordLowBytes) the block is pixel i's code as a 32-bit integer, no widening step.
HZ_AVX512 __m512i splitIndices(int channel) {
    alignas(64) std::uint8_t index[64] = {};
    for (int i = 0; i < 16; ++i) index[4 * i] = std::uint8_t(3 * i + channel);
    return _mm512_load_si512(index);
}
constexpr __mmask64 kDwordLowBytes = 0x1111111111111111ULL;

// packPixels leaves, per 128-bit lane L, bytes [B G R R] x 4 pixels (4L..4L+3); this
// interleaves them as BGR for 16 pixels.
HZ_AVX512 __m512i joinIndices() {
    alignas(64) std::uint8_t index[64] = {};
    for (int i = 0; i < 16; ++i)
        for (int c = 0; c < 3; ++c) index[3 * i + c] = std::uint8_t(16 * (i / 4) + 4 * c + i % 4);
    return _mm512_load_si512(index);
}

// Three vectors of 16 int32 codes -> 48 interleaved bytes (in register order of joinIndices),
// saturating to [0, 255] on the way: two packs instead of three narrowing conversions.
HZ_AVX512 inline __m512i packPixels(const __m512i (&codes)[3], __m512i join) {
    const __m512i blueGreen = _mm512_packus_epi32(codes[0], codes[1]);
    const __m512i red = _mm512_packus_epi32(codes[2], codes[2]);
    return _mm512_permutexvar_epi8(join, _mm512_packus_epi16(blueGreen, red));
}

HZ_AVX512 inline __m512 clampUnit(__m512 v) {
    return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
}

HZ_AVX512 void floatRow8(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    const auto* in = static_cast<const std::uint8_t*>(src);
    auto* out = static_cast<std::uint8_t*>(dst);
    const __m512i split[3] = {splitIndices(0), splitIndices(1), splitIndices(2)};
    const __m512i join = joinIndices();
    const __m512 scale = _mm512_set1_ps(plan.weightScale);
    const __m512 maxCode = _mm512_set1_ps(255.0f);
    const __m512 one = _mm512_set1_ps(1.0f);
    const bool fullAmount = plan.fullAmount;

    const bool arithmetic = plan.toneArithmetic;
    const float* tone[3] = {plan.toneF[0].data(), plan.toneF[1].data(), plan.toneF[2].data()};
    const __m512 toneScale[3] = {_mm512_set1_ps(plan.toneScale[0]), _mm512_set1_ps(plan.toneScale[1]),
                                 _mm512_set1_ps(plan.toneScale[2])};
    const __m512 toneCap = _mm512_set1_ps(plan.toneCap);
    const bool toneScaleNonNegative = plan.toneScale[0] >= 0 && plan.toneScale[1] >= 0 && plan.toneScale[2] >= 0;
    const __m512 contrastScale = _mm512_set1_ps(plan.contrastScale);
    const __m512 contrastOffset = _mm512_set1_ps(plan.contrastOffset);

    const bool saturationNonNegative = plan.saturation >= 0;
    const __m512 x1 = _mm512_set1_ps(float(1.0 + plan.saturation));
    const __m512 minusHalfX = _mm512_set1_ps(float(-0.5 * plan.saturation));
    const __m512 oneMinusX = _mm512_set1_ps(float(1.0 - plan.saturation));
    const __m512 kConst = _mm512_set1_ps(plan.saturationKConst);
    const __m512 eps = _mm512_set1_ps(float(kEps));
    const __m512 half = _mm512_set1_ps(0.5f);

    const bool curve = !plan.hsIdentity;
    const HsTable& hs = *plan.hs;
    const float* uniform = hs.uniformSteps > 0 ? hs.uniformCodes.data() : nullptr;
    const __m512 uniformSteps = _mm512_set1_ps(float(hs.uniformSteps));
    const __m512 uniformLow = _mm512_set1_ps(hs.uniformLow), uniformHigh = _mm512_set1_ps(hs.uniformHigh);
    const bool uniformEverywhere = uniform != nullptr && hs.uniformLow <= 0.0f && hs.uniformHigh >= 1.0f;
    // Saturation x < 0 can produce values in table steps directly (see below); needs a
    // power-of-two step count and no range check on the unscaled values.
    const bool scaledForTable = curve && uniformEverywhere && !saturationNonNegative &&
                                (hs.uniformSteps & (hs.uniformSteps - 1)) == 0;
    const __m512 x1Steps = _mm512_set1_ps(float(1.0 + plan.saturation) * float(hs.uniformSteps));
    const __m512 minusHalfXSteps = _mm512_set1_ps(float(-0.5 * plan.saturation) * float(hs.uniformSteps));
    // The piecewise-linear curve (HsTable::linearBase/linearSlope): 32 segments, two
    // registers each, read with permutes instead of the nearest-point table's gathers.
    const bool linearAvailable = curve && uniform != nullptr && hs.linearLow <= hs.linearHigh;
    const bool linearEverywhere = linearAvailable && hs.linearLow <= 0.0f && hs.linearHigh >= 1.0f;
    const __m512 baseLower = _mm512_loadu_ps(hs.linearBase.data()), baseUpper = _mm512_loadu_ps(hs.linearBase.data() + 16);
    const __m512 slopeLower = _mm512_loadu_ps(hs.linearSlope.data()), slopeUpper = _mm512_loadu_ps(hs.linearSlope.data() + 16);
    // v is in table steps when scaledForTable; segments per step is a power of two too.
    const float vScale = scaledForTable ? float(hs.uniformSteps) : 1.0f;
    const __m512 toSegments = _mm512_set1_ps(float(HsTable::kLinearSegments) / vScale);
    const __m512i lastSegment = _mm512_set1_epi32(HsTable::kLinearSegments - 1);
    // The accurate range in v's units; linearHigh itself belongs to the next (inaccurate)
    // segment unless it is 1, so compare with the float just below it.
    const __m512 linearLowV = _mm512_set1_ps(hs.linearLow * vScale);
    const __m512 linearHighV =
        _mm512_set1_ps(hs.linearHigh >= 1.0f ? vScale : std::nextafter(hs.linearHigh * vScale, 0.0f));

    int i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m256i maskCodes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + i));
        if (_mm256_testz_si256(maskCodes, maskCodes)) {
            // Background: copy the whole run of 16-pixel blocks with mask 0.
            int run = 16;
            while (i + run + 16 <= count) {
                const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + i + run));
                if (!_mm256_testz_si256(m, m)) break;
                run += 16;
            }
            if (out != in) std::memcpy(out + 3 * i, in + 3 * i, std::size_t(run) * 3);
            i += run - 16;
            continue;
        }
        _mm_prefetch(reinterpret_cast<const char*>(in + 3 * i + kPrefetchBytes), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(mask + i + kPrefetchBytes / 3), _MM_HINT_T0);
        const __m512i bytes = _mm512_maskz_loadu_epi8(kBlockBytes, in + 3 * i);
        __m512 original[3];  // the input codes as floats, for TBC and the blend
        __m512 v[3];
        for (int c = 0; c < 3; ++c) {
            const __m512i codes = _mm512_maskz_permutexvar_epi8(kDwordLowBytes, split[c], bytes);
            original[c] = _mm512_cvtepi32_ps(codes);
            if (arithmetic) {
                // Codes are >= 0, so a non-negative scale needs no clamp at 0.
                __m512 tb = _mm512_min_ps(_mm512_mul_ps(original[c], toneScale[c]), toneCap);
                if (!toneScaleNonNegative) tb = _mm512_max_ps(tb, _mm512_setzero_ps());
                v[c] = clampUnit(_mm512_fmadd_ps(tb, contrastScale, contrastOffset));
            } else {
                v[c] = _mm512_i32gather_ps(codes, tone[c], 4);
            }
        }

        // Saturation, as SaturationF::apply.
        const __m512 cmax = _mm512_max_ps(v[0], _mm512_max_ps(v[1], v[2]));
        const __m512 cmin = _mm512_min_ps(v[0], _mm512_min_ps(v[1], v[2]));
        const __m512 sum = _mm512_add_ps(cmax, cmin);
        if (saturationNonNegative) {
            const __m512 lightness = _mm512_mul_ps(sum, half);
            const __m512 spread = _mm512_sub_ps(cmax, cmin);
            const __mmask16 dark = _mm512_cmp_ps_mask(lightness, half, _CMP_LT_OQ);
            const __m512 denominator =
                _mm512_add_ps(_mm512_mask_blend_ps(dark, _mm512_sub_ps(_mm512_set1_ps(2.0f), sum), sum), eps);
            const __mmask16 useS = _mm512_cmp_ps_mask(spread, _mm512_mul_ps(oneMinusX, denominator), _CMP_GT_OQ);
            const __m512 kS = _mm512_sub_ps(_mm512_div_ps(denominator, _mm512_fmadd_ps(eps, denominator, spread)), one);
            const __m512 k = _mm512_mask_blend_ps(useS, kConst, kS);
            for (auto& value : v) value = clampUnit(_mm512_fmadd_ps(_mm512_sub_ps(value, lightness), k, value));
        } else if (scaledForTable) {
            // The same in table steps: scaling by a power of two is exact, so this equals
            // the unscaled form times uniformSteps, one multiply fewer per channel.
            const __m512 shift = _mm512_mul_ps(sum, minusHalfXSteps);
            for (auto& value : v) value = _mm512_min_ps(_mm512_fmadd_ps(value, x1Steps, shift), uniformSteps);
        } else {
            const __m512 shift = _mm512_mul_ps(sum, minusHalfX);
            for (auto& value : v) value = _mm512_min_ps(_mm512_fmadd_ps(value, x1, shift), one);
        }

        // Highlight+Shadow in output code units: the piecewise-linear curve where it is proven
        // for all 48 values, else the nearest point of the uniform table where that is (see
        // Curve::nearestApplies), else the AVX2 kernel.
        __m512 f[3];
        bool linear = linearEverywhere;
        if (!linear && linearAvailable) {
            __mmask16 inside = 0xffff;
            for (const __m512& value : v)
                inside &= _mm512_cmp_ps_mask(value, linearLowV, _CMP_GE_OQ) &
                          _mm512_cmp_ps_mask(value, linearHighV, _CMP_LE_OQ);
            linear = inside == 0xffff;
        }
        if (linear) {
            for (int c = 0; c < 3; ++c) {
                const __m512 u = _mm512_mul_ps(v[c], toSegments);  // exact: a power of two
                const __m512i k = _mm512_min_epi32(_mm512_cvttps_epi32(u), lastSegment);  // y = 1: t = 1
                const __m512 t = _mm512_sub_ps(u, _mm512_cvtepi32_ps(k));
                f[c] = _mm512_fmadd_ps(_mm512_permutex2var_ps(slopeLower, k, slopeUpper), t,
                                       _mm512_permutex2var_ps(baseLower, k, baseUpper));
            }
        } else if (curve) {
            bool nearest = uniformEverywhere;
            if (!nearest && uniform != nullptr) {
                __mmask16 inside = 0xffff;
                for (const __m512& value : v) {
                    const __mmask16 aboveLow = _mm512_cmp_ps_mask(value, uniformLow, _CMP_GE_OQ) |
                                               _mm512_cmp_ps_mask(value, _mm512_setzero_ps(), _CMP_EQ_OQ);
                    const __mmask16 belowHigh = _mm512_cmp_ps_mask(value, uniformHigh, _CMP_LE_OQ) |
                                                _mm512_cmp_ps_mask(value, one, _CMP_EQ_OQ);
                    inside &= aboveLow & belowHigh;
                }
                nearest = inside == 0xffff;
            }
            if (!nearest) {
                avx2FloatRow8(plan, in + 3 * i, mask + i, out + 3 * i, 16);
                continue;
            }
            for (int c = 0; c < 3; ++c) {
                const __m512 steps = scaledForTable ? v[c] : _mm512_mul_ps(v[c], uniformSteps);
                f[c] = _mm512_i32gather_ps(_mm512_cvtps_epi32(steps), uniform, 4);
            }
        } else {
            for (int c = 0; c < 3; ++c) f[c] = _mm512_mul_ps(v[c], maxCode);
        }

        // Blend (the filtered value itself inside the mask at full amount), round, store.
        __m512i result[3];
        if (fullAmount && _mm256_testc_si256(maskCodes, _mm256_set1_epi32(-1))) {
            for (int c = 0; c < 3; ++c) result[c] = _mm512_cvtps_epi32(f[c]);
        } else {
            const __m512 weights = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(maskCodes)), scale);
            for (int c = 0; c < 3; ++c)
                result[c] = _mm512_cvtps_epi32(_mm512_fmadd_ps(weights, _mm512_sub_ps(f[c], original[c]), original[c]));
        }
        _mm512_mask_storeu_epi8(out + 3 * i, kBlockBytes, packPixels(result, join));
    }
    if (i < count) avx2FloatRow8(plan, in + 3 * i, mask + i, out + 3 * i, count - i);
}

// ---- One statistics pass for 8-bit images: sums, maxima and clip sums together ----------
// 64 pixels (three 64-byte vectors x_0..x_2) per step. Byte q of x_j is channel (j + q) % 3.
// Sums of x and of min(x, K) (K: per-position threshold pattern) are kept as 16-bit words:
// the even bytes of x_k and the odd bytes of x_(k-1) share one channel pattern, (k + 2w) % 3
// for word w, so they go into the same accumulator acc_k. Counts of x > K are bytes.

struct FusedAccumulators {
    // [sum, sum of min, count][k][half]: 16 dwords each, half 0 = words 0..15, 1 = words 16..31.
    alignas(64) std::uint32_t wide[3][3][2][16];
};

HZ_AVX512 inline void addLowAndHighBytes(__m512i (&acc)[3], const __m512i (&x)[3]) {
    const __m512i lowByte = _mm512_set1_epi16(0x00ff);
    for (int k = 0; k < 3; ++k) {
        const __m512i even = _mm512_and_si512(x[k], lowByte);
        const __m512i odd = _mm512_srli_epi16(x[(k + 2) % 3], 8);
        acc[k] = _mm512_add_epi16(acc[k], _mm512_add_epi16(even, odd));
    }
}

HZ_AVX512 void widen(FusedAccumulators& wide, int which, __m512i (&acc)[3]) {
    for (int k = 0; k < 3; ++k) {
        for (int half = 0; half < 2; ++half) {
            const __m256i words = half == 0 ? _mm512_castsi512_si256(acc[k]) : _mm512_extracti64x4_epi64(acc[k], 1);
            auto* target = reinterpret_cast<__m512i*>(wide.wide[which][k][half]);
            _mm512_store_si512(target, _mm512_add_epi32(_mm512_load_si512(target), _mm512_cvtepu16_epi32(words)));
        }
        acc[k] = _mm512_setzero_si512();
    }
}

HZ_AVX512 void fusedMoments8(const std::uint8_t* data, int count, BasicMoments& moments, ClampMoments& clamp) {
    const int steps = count / 64;
    // Threshold pattern: byte q of vector j is channel (j + q) % 3.
    __m512i atK[3];
    for (int j = 0; j < 3; ++j) {
        alignas(64) std::uint8_t k[64];
        for (int q = 0; q < 64; ++q)
            k[q] = std::uint8_t(std::min<std::uint32_t>(clamp.threshold[std::size_t((j + q) % 3)], 255));
        atK[j] = _mm512_load_si512(k);
    }
    FusedAccumulators wide{};
    const __m512i zero = _mm512_setzero_si512();
    __m512i maxima[3] = {zero, zero, zero};
    for (int step = 0; step < steps;) {
        // A word gains at most 2 * 255 per step, a count byte 1: 128 steps fit.
        const int end = std::min(steps, step + 128);
        __m512i plain[3] = {zero, zero, zero}, belowK[3] = {zero, zero, zero}, above[3] = {zero, zero, zero};
        for (; step < end; ++step) {
            __m512i x[3], low[3];
            for (int j = 0; j < 3; ++j)
                _mm_prefetch(reinterpret_cast<const char*>(data + 192 * step + 64 * j + kPrefetchBytes), _MM_HINT_T0);
            for (int j = 0; j < 3; ++j) {
                x[j] = _mm512_loadu_si512(data + 192 * step + 64 * j);
                maxima[j] = _mm512_max_epu8(maxima[j], x[j]);
                low[j] = _mm512_min_epu8(x[j], atK[j]);
                above[j] = _mm512_mask_sub_epi8(above[j], _mm512_cmpgt_epu8_mask(x[j], atK[j]), above[j],
                                                _mm512_set1_epi8(-1));
            }
            addLowAndHighBytes(plain, x);
            addLowAndHighBytes(belowK, low);
        }
        __m512i counts[3] = {zero, zero, zero};
        addLowAndHighBytes(counts, above);
        widen(wide, 0, plain);
        widen(wide, 1, belowK);
        widen(wide, 2, counts);
    }
    // Fold: word w = 16 half + i of acc_k holds channel (k + 2w) % 3.
    std::array<std::array<std::uint64_t, 3>, 3> total{};  // [sum, sum of min, count][channel]
    for (int t = 0; t < 3; ++t)
        for (int k = 0; k < 3; ++k)
            for (int half = 0; half < 2; ++half)
                for (int i = 0; i < 16; ++i)
                    total[std::size_t(t)][std::size_t((k + 2 * (16 * half + i)) % 3)] += wide.wide[t][k][half][i];
    alignas(64) std::uint8_t values[3][64];
    for (int j = 0; j < 3; ++j) _mm512_store_si512(values[j], maxima[j]);
    for (int j = 0; j < 3; ++j)
        for (int q = 0; q < 64; ++q) {
            auto& m = moments.max[std::size_t((j + q) % 3)];
            m = std::max<std::uint32_t>(m, values[j][q]);
        }
    for (int c = 0; c < 3; ++c) {
        moments.sum[std::size_t(c)] += total[0][std::size_t(c)];
        clamp.sumOfMin[std::size_t(c)] += total[1][std::size_t(c)];
        clamp.countAbove[std::size_t(c)] += total[2][std::size_t(c)];
    }
    if (count > 64 * steps) {
        const std::uint8_t* tail = data + 192 * steps;
        accumulateBasicMoments8(tail, count - 64 * steps, moments);
        accumulateClampMoments8(tail, count - 64 * steps, clamp);
    }
}

}  // namespace

void avx512FusedMoments8(const std::uint8_t* d, int n, BasicMoments& m, ClampMoments& c) { fusedMoments8(d, n, m, c); }

void avx512FloatRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) { floatRow8(p, s, m, d, n); }

}  // namespace hz::renderer

#else  // not x86: never selected (cpuHasAvx512() is false), defined for the linker only

namespace hz::renderer {
void avx512FloatRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) {
    portableDoubleRow8(p, s, m, d, n);
}
void avx512FusedMoments8(const std::uint8_t* d, int n, BasicMoments& m, ClampMoments& c) {
    accumulateBasicMoments8(d, n, m);
    accumulateClampMoments8(d, n, c);
}
}  // namespace hz::renderer

#endif
