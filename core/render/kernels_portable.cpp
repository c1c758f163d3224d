// Portable kernels: plain C++ in double precision (the fallback for CPUs without AVX2 and
// for the last few pixels of each row), and the statistics passes (SSE2, which every
// x86-64 CPU has; plain C++ elsewhere).
#include <algorithm>
#include <cmath>

#include "core/render/render_kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hz::renderer {
namespace {

template <typename T>
T roundToCode(double value, int maxCode) {
    const long rounded = std::lrint(value);
    return T(std::clamp<long>(rounded, 0, maxCode));
}

template <typename T>
void lutRow(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    const T* in = static_cast<const T*>(src);
    T* out = static_cast<T*>(dst);
    const float* lut[3] = {plan.lut[0].data(), plan.lut[1].data(), plan.lut[2].data()};
    const double scale = plan.weightScale;
    for (int i = 0; i < count; ++i) {
        const T original[3] = {in[3 * i], in[3 * i + 1], in[3 * i + 2]};
        const std::uint16_t m = mask[i];
        if (m == 0) {
            for (int c = 0; c < 3; ++c) out[3 * i + c] = original[c];
            continue;
        }
        const double w = double(m) * scale;
        for (int c = 0; c < 3; ++c) {
            const double i0 = original[c];
            out[3 * i + c] = roundToCode<T>(i0 + w * (double(lut[c][original[c]]) - i0), plan.maxCode);
        }
    }
}

template <typename T>
void doubleRow(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst, int count) {
    const T* in = static_cast<const T*>(src);
    T* out = static_cast<T*>(dst);
    const double* tone[3] = {plan.toneD[0].data(), plan.toneD[1].data(), plan.toneD[2].data()};
    const double scale = plan.weightScale;
    const double maxCode = plan.maxCode;
    for (int i = 0; i < count; ++i) {
        const T original[3] = {in[3 * i], in[3 * i + 1], in[3 * i + 2]};
        const std::uint16_t m = mask[i];
        if (m == 0) {
            for (int c = 0; c < 3; ++c) out[3 * i + c] = original[c];
            continue;
        }
        double v[3] = {tone[0][original[0]], tone[1][original[1]], tone[2][original[2]]};
        saturateExact(plan.saturation, v[0], v[1], v[2]);
        const double w = double(m) * scale;
        for (int c = 0; c < 3; ++c) {
            const double f = plan.hsIdentity ? v[c] : plan.hs->lookup(v[c]);
            const double i0 = original[c];
            out[3 * i + c] = roundToCode<T>(i0 + w * (f * maxCode - i0), plan.maxCode);
        }
    }
}

}  // namespace

void portableLutRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) {
    lutRow<std::uint8_t>(p, s, m, d, n);
}
void portableLutRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) {
    lutRow<std::uint16_t>(p, s, m, d, n);
}
void portableDoubleRow8(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) {
    doubleRow<std::uint8_t>(p, s, m, d, n);
}
void portableDoubleRow16(const Plan& p, const void* s, const std::uint16_t* m, void* d, int n) {
    doubleRow<std::uint16_t>(p, s, m, d, n);
}

RowKernel rowKernel(Kernel kernel, bool sixteenBit) {
    switch (kernel) {
        case Kernel::Copy: return nullptr;
        case Kernel::PortableLut: return sixteenBit ? portableLutRow16 : portableLutRow8;
        case Kernel::PortableDouble: return sixteenBit ? portableDoubleRow16 : portableDoubleRow8;
        case Kernel::Avx2Lut: return sixteenBit ? avx2LutRow16 : avx2LutRow8;
        case Kernel::Avx2Float: return sixteenBit ? avx2FloatRow16 : avx2FloatRow8;
        case Kernel::Avx2Double: return sixteenBit ? avx2DoubleRow16 : avx2DoubleRow8;
        case Kernel::Avx512Float: return sixteenBit ? avx2FloatRow16 : avx512FloatRow8;
    }
    return nullptr;
}

// ---- Statistics ---------------------------------------------------------------------------
// Blocks of 16 pixels = 48 values, so that value position p of a block always belongs to
// channel p % 3; per-position accumulators are folded into channels when flushed.

namespace {

template <typename T>
void basicMomentsScalar(const T* row, int count, BasicMoments& moments) {
    for (int i = 0; i < count; ++i)
        for (int c = 0; c < 3; ++c) {
            const std::uint32_t v = row[3 * i + c];
            moments.sum[c] += v;
            moments.max[c] = std::max(moments.max[c], v);
        }
}

template <typename T>
void clampMomentsScalar(const T* row, int count, ClampMoments& clamp) {
    for (int i = 0; i < count; ++i)
        for (int c = 0; c < 3; ++c) {
            const std::uint32_t v = row[3 * i + c];
            clamp.sumOfMin[c] += std::min(v, clamp.threshold[c]);
            clamp.countAbove[c] += v > clamp.threshold[c] ? 1 : 0;
        }
}

}  // namespace

#if defined(__SSE2__)
namespace {

// Adds per-position 16-bit lanes (8 per register, positions 8j..8j+7) into channel sums.
template <int Registers>
void foldU16(const __m128i (&lanes)[Registers], int firstPosition, std::array<std::uint64_t, 3>& out) {
    alignas(16) std::uint16_t values[8];
    for (int j = 0; j < Registers; ++j) {
        _mm_store_si128(reinterpret_cast<__m128i*>(values), lanes[j]);
        for (int t = 0; t < 8; ++t) out[std::size_t((firstPosition + 8 * j + t) % 3)] += values[t];
    }
}

template <int Registers>
void foldU32(const __m128i (&lanes)[Registers], std::array<std::uint64_t, 3>& out) {
    alignas(16) std::uint32_t values[4];
    for (int j = 0; j < Registers; ++j) {
        _mm_store_si128(reinterpret_cast<__m128i*>(values), lanes[j]);
        for (int t = 0; t < 4; ++t) out[std::size_t((4 * j + t) % 3)] += values[t];
    }
}

__m128i loadu(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Per-position thresholds for one 48-value block, as 3 registers of 16 bytes or 6 of 8 words.
void thresholdPattern8(const ClampMoments& clamp, __m128i (&k)[3]) {
    alignas(16) std::uint8_t bytes[48];
    for (int p = 0; p < 48; ++p) bytes[p] = std::uint8_t(clamp.threshold[std::size_t(p % 3)]);
    for (int j = 0; j < 3; ++j) k[j] = _mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16 * j));
}

const __m128i kBias16 = _mm_set1_epi16(short(0x8000));  // unsigned <-> signed 16-bit order

}  // namespace

void accumulateBasicMoments8(const std::uint8_t* row, int count, BasicMoments& moments) {
    const int blocks = count / 16;
    const __m128i zero = _mm_setzero_si128();
    __m128i maxima[3] = {zero, zero, zero};
    for (int b = 0; b < blocks;) {
        // 16-bit per-position sums hold 257 blocks of 255 at most.
        const int end = std::min(blocks, b + 257);
        __m128i sums[6] = {zero, zero, zero, zero, zero, zero};
        for (; b < end; ++b) {
            const std::uint8_t* p = row + 48 * b;
            for (int j = 0; j < 3; ++j) {
                const __m128i v = loadu(p + 16 * j);
                sums[2 * j] = _mm_add_epi16(sums[2 * j], _mm_unpacklo_epi8(v, zero));
                sums[2 * j + 1] = _mm_add_epi16(sums[2 * j + 1], _mm_unpackhi_epi8(v, zero));
                maxima[j] = _mm_max_epu8(maxima[j], v);
            }
        }
        foldU16(sums, 0, moments.sum);
    }
    alignas(16) std::uint8_t values[48];
    for (int j = 0; j < 3; ++j) _mm_store_si128(reinterpret_cast<__m128i*>(values + 16 * j), maxima[j]);
    for (int p = 0; p < 48; ++p)
        moments.max[std::size_t(p % 3)] = std::max<std::uint32_t>(moments.max[std::size_t(p % 3)], values[p]);
    basicMomentsScalar(row + 48 * blocks, count - 16 * blocks, moments);
}

void accumulateClampMoments8(const std::uint8_t* row, int count, ClampMoments& clamp) {
    const int blocks = count / 16;
    const __m128i zero = _mm_setzero_si128();
    __m128i k[3];
    thresholdPattern8(clamp, k);
    std::array<std::uint64_t, 3> atMost{};
    for (int b = 0; b < blocks;) {
        // 8-bit per-position counters hold 255 blocks.
        const int end = std::min(blocks, b + 255);
        __m128i sums[6] = {zero, zero, zero, zero, zero, zero};
        __m128i counts[3] = {zero, zero, zero};
        for (; b < end; ++b) {
            const std::uint8_t* p = row + 48 * b;
            for (int j = 0; j < 3; ++j) {
                const __m128i v = loadu(p + 16 * j);
                const __m128i low = _mm_min_epu8(v, k[j]);
                sums[2 * j] = _mm_add_epi16(sums[2 * j], _mm_unpacklo_epi8(low, zero));
                sums[2 * j + 1] = _mm_add_epi16(sums[2 * j + 1], _mm_unpackhi_epi8(low, zero));
                counts[j] = _mm_sub_epi8(counts[j], _mm_cmpeq_epi8(low, v));  // +1 where v <= K
            }
        }
        foldU16(sums, 0, clamp.sumOfMin);
        alignas(16) std::uint8_t values[48];
        for (int j = 0; j < 3; ++j) _mm_store_si128(reinterpret_cast<__m128i*>(values + 16 * j), counts[j]);
        for (int p = 0; p < 48; ++p) atMost[std::size_t(p % 3)] += values[p];
    }
    // Every pixel of the blocks is either at most K or above it.
    for (int c = 0; c < 3; ++c) clamp.countAbove[std::size_t(c)] += std::uint64_t(16 * blocks) - atMost[std::size_t(c)];
    clampMomentsScalar(row + 48 * blocks, count - 16 * blocks, clamp);
}

void accumulateBasicMoments16(const std::uint16_t* row, int count, BasicMoments& moments) {
    const int blocks = count / 16;
    const __m128i zero = _mm_setzero_si128();
    __m128i maxima[6];
    for (auto& m : maxima) m = kBias16;  // biased 0
    for (int b = 0; b < blocks;) {
        // 32-bit per-position sums hold 65537 blocks of 65535.
        const int end = std::min(blocks, b + 65536);
        __m128i sums[12];
        for (auto& s : sums) s = zero;
        for (; b < end; ++b) {
            const std::uint16_t* p = row + 48 * b;
            for (int j = 0; j < 6; ++j) {
                const __m128i v = loadu(p + 8 * j);
                sums[2 * j] = _mm_add_epi32(sums[2 * j], _mm_unpacklo_epi16(v, zero));
                sums[2 * j + 1] = _mm_add_epi32(sums[2 * j + 1], _mm_unpackhi_epi16(v, zero));
                maxima[j] = _mm_max_epi16(maxima[j], _mm_xor_si128(v, kBias16));
            }
        }
        foldU32(sums, moments.sum);
    }
    alignas(16) std::uint16_t values[48];
    for (int j = 0; j < 6; ++j)
        _mm_store_si128(reinterpret_cast<__m128i*>(values + 8 * j), _mm_xor_si128(maxima[j], kBias16));
    for (int p = 0; p < 48; ++p)
        moments.max[std::size_t(p % 3)] = std::max<std::uint32_t>(moments.max[std::size_t(p % 3)], values[p]);
    basicMomentsScalar(row + 48 * blocks, count - 16 * blocks, moments);
}

void accumulateClampMoments16(const std::uint16_t* row, int count, ClampMoments& clamp) {
    const int blocks = count / 16;
    const __m128i zero = _mm_setzero_si128();
    __m128i kBiased[6];
    {
        alignas(16) std::uint16_t words[48];
        for (int p = 0; p < 48; ++p) words[p] = std::uint16_t(clamp.threshold[std::size_t(p % 3)]);
        for (int j = 0; j < 6; ++j)
            kBiased[j] = _mm_xor_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(words + 8 * j)), kBias16);
    }
    std::array<std::uint64_t, 3> atMost{};
    for (int b = 0; b < blocks;) {
        const int end = std::min(blocks, b + 65535);
        __m128i sums[12];
        for (auto& s : sums) s = zero;
        __m128i counts[6];
        for (auto& c : counts) c = zero;
        for (; b < end; ++b) {
            const std::uint16_t* p = row + 48 * b;
            for (int j = 0; j < 6; ++j) {
                const __m128i v = loadu(p + 8 * j);
                const __m128i low = _mm_xor_si128(_mm_min_epi16(_mm_xor_si128(v, kBias16), kBiased[j]), kBias16);
                sums[2 * j] = _mm_add_epi32(sums[2 * j], _mm_unpacklo_epi16(low, zero));
                sums[2 * j + 1] = _mm_add_epi32(sums[2 * j + 1], _mm_unpackhi_epi16(low, zero));
                counts[j] = _mm_sub_epi16(counts[j], _mm_cmpeq_epi16(low, v));
            }
        }
        foldU32(sums, clamp.sumOfMin);
        foldU16(counts, 0, atMost);
    }
    for (int c = 0; c < 3; ++c) clamp.countAbove[std::size_t(c)] += std::uint64_t(16 * blocks) - atMost[std::size_t(c)];
    clampMomentsScalar(row + 48 * blocks, count - 16 * blocks, clamp);
}

#else  // no SSE2: plain loops

void accumulateBasicMoments8(const std::uint8_t* row, int count, BasicMoments& moments) {
    basicMomentsScalar(row, count, moments);
}
void accumulateBasicMoments16(const std::uint16_t* row, int count, BasicMoments& moments) {
    basicMomentsScalar(row, count, moments);
}
void accumulateClampMoments8(const std::uint8_t* row, int count, ClampMoments& clamp) {
    clampMomentsScalar(row, count, clamp);
}
void accumulateClampMoments16(const std::uint16_t* row, int count, ClampMoments& clamp) {
    clampMomentsScalar(row, count, clamp);
}

#endif

}  // namespace hz::renderer
