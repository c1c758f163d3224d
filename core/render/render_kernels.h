#pragma once
// Internal to hz_render: the per-row pixel kernels and the statistics passes.
// A row kernel renders `count` pixels of one row: src and dst are interleaved BGR
// (uint8_t or uint16_t, dst may equal src), mask is CV_16U. Pixels whose mask is 0 are
// copied unchanged.
#include <cstdint>

#include "core/render/render_plan.h"

namespace hz::renderer {

using RowKernel = void (*)(const Plan& plan, const void* src, const std::uint16_t* mask, void* dst,
                           int count);

// Portable C++ (any x86-64 or other CPU), everything in double.
void portableLutRow8(const Plan&, const void*, const std::uint16_t*, void*, int);
void portableLutRow16(const Plan&, const void*, const std::uint16_t*, void*, int);
void portableDoubleRow8(const Plan&, const void*, const std::uint16_t*, void*, int);
void portableDoubleRow16(const Plan&, const void*, const std::uint16_t*, void*, int);

// AVX2 + FMA (only call when cpuHasAvx2()); tails of fewer than 8 pixels go through the
// portable kernels.
void avx2LutRow8(const Plan&, const void*, const std::uint16_t*, void*, int);
void avx2LutRow16(const Plan&, const void*, const std::uint16_t*, void*, int);
void avx2FloatRow8(const Plan&, const void*, const std::uint16_t*, void*, int);
void avx2FloatRow16(const Plan&, const void*, const std::uint16_t*, void*, int);
void avx2DoubleRow8(const Plan&, const void*, const std::uint16_t*, void*, int);
void avx2DoubleRow16(const Plan&, const void*, const std::uint16_t*, void*, int);
// AVX-512 (only call when cpuHasAvx512()), 8-bit only.
void avx512FloatRow8(const Plan&, const void*, const std::uint16_t*, void*, int);

RowKernel rowKernel(Kernel kernel, bool sixteenBit);

// Statistics of one row of interleaved BGR pixels, accumulated into `moments`
// (sum and max per channel) or `clamp` (sum of min(v, threshold) and count above).
void accumulateBasicMoments8(const std::uint8_t* row, int count, BasicMoments& moments);
void accumulateBasicMoments16(const std::uint16_t* row, int count, BasicMoments& moments);
void accumulateClampMoments8(const std::uint8_t* row, int count, ClampMoments& clamp);
void accumulateClampMoments16(const std::uint16_t* row, int count, ClampMoments& clamp);
// The same with AVX2 (only call when cpuHasAvx2()).
void avx2BasicMoments8(const std::uint8_t* row, int count, BasicMoments& moments);
void avx2BasicMoments16(const std::uint16_t* row, int count, BasicMoments& moments);
void avx2ClampMoments8(const std::uint8_t* row, int count, ClampMoments& clamp);
void avx2ClampMoments16(const std::uint16_t* row, int count, ClampMoments& clamp);
// Both at once for 8-bit pixels, at clamp.threshold (only call when cpuHasAvx512()); `count`
// pixels may span several rows of a continuous image.
void avx512FusedMoments8(const std::uint8_t* pixels, int count, BasicMoments& moments, ClampMoments& clamp);

}  // namespace hz::renderer
