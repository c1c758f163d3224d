#pragma once
// Internal to hz_render: everything the pixel kernels need, computed once per render from
// the parameters and the image statistics (spec section 2, in double precision).
//
//   TBC    Temperature + Brightness + Contrast: one table per channel, indexed by the
//          input code value (256 or 65536 entries), computed with the spec's formulas.
//   Sat    Saturation: evaluated per pixel (it mixes channels).
//   HS     Highlight + Shadow: one monotone curve g(y), the same for every channel, as a
//          table indexed by the float bits of d = min(y, 1 - y) (so bins get finer
//          towards 0 and 1, where the pow curves are steep), linear in between. Bins where
//          the interpolation would be off by more than a threshold are marked with a NaN
//          slope and evaluated exactly.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/params.h"

namespace hz::renderer {

// The spec's constants.
inline constexpr double kEps = 1e-6;
inline constexpr double kPowEps = 1e-9;

// Integer statistics of one BGR image, per channel. They determine the spec's global
// statistics exactly, and can be read either from histograms or straight from the image
// (both routes produce the same integers, hence bit-identical renders).
struct BasicMoments {
    std::uint64_t pixelCount = 0;
    int maxCode = 255;                        // 255 or 65535: the code value of 1.0
    std::array<std::uint64_t, 3> sum{};       // sum of code values
    std::array<std::uint32_t, 3> max{};       // largest code value present
};

// Sum of min(v, K_c) and count of v > K_c, for the per-channel thresholds K_c at which the
// Temperature+Brightness map saturates at 1 (needed for Contrast's image mean).
struct ClampMoments {
    std::array<std::uint32_t, 3> threshold{};
    std::array<std::uint64_t, 3> sumOfMin{};
    std::array<std::uint64_t, 3> countAbove{};
};

// Temperature, Brightness and Contrast constants, plus what Contrast's mean needs.
struct ToneConstants {
    std::array<double, 3> temperatureGain{{1.0, 1.0, 1.0}};  // BGR, exactly 1 at x = 0
    double brightnessGain = 1.0;
    double contrastGain = 0.0;  // x' of the spec
    double contrastMean = 0.0;  // t of the spec (image mean after Temperature + Brightness)
};

// Temperature and brightness gains from the channel means (contrast mean still unset).
ToneConstants toneConstants(const FilterParams& params, const BasicMoments& moments);

// Whether the contrast mean needs ClampMoments (some channel's T+B map clips at 1 for a
// value present in the image), and the thresholds to collect them at.
bool needsClampMoments(const FilterParams& params, const ToneConstants& tone,
                       const BasicMoments& moments, ClampMoments& thresholds);

// Fills tone.contrastMean. `clamp` may be null when needsClampMoments() returned false.
void finishContrastMean(const FilterParams& params, const BasicMoments& moments,
                        const ClampMoments* clamp, ToneConstants& tone);

// Temperature then Brightness then Contrast of one value in [0, 1] of channel c (BGR).
double toneCurve(const ToneConstants& tone, const FilterParams& params, int channel, double x);

// Highlight then Shadow, exactly, given 1 - y (which the highlight curve is a function of;
// passing it in keeps full precision for y near 1).
double highlightShadowExact(double highlight, double shadow, double oneMinusY);

// Saturation of one pixel (any channel order), in place, with the final clamp.
void saturateExact(double x, double& c0, double& c1, double& c2);

// The Highlight+Shadow curve table described above.
struct HsTable {
    static constexpr int kBinsPerOctaveLog2 = 8;  // 256 bins per octave of d
    double highlight = 0.0, shadow = 0.0;
    int floorOctave = 0;   // d < 2^-floorOctave reads node 0 (the value at d = 0)
    int nodesPerSide = 0;  // side 0: y = d < 0.5, side 1: y = 1 - d >= 0.5
    std::int32_t indexBase = 0;  // node = ((float bits of d) >> (23 - 8)) - indexBase, at least 0
    // Per node (2 * nodesPerSide of them): value, then slope = next value - value, NaN
    // where the bin is evaluated exactly. Interleaved so one 64-bit gather fetches both.
    std::vector<float> nodes;
    int exactBins = 0;          // how many bins are marked exact (for tests and the README)

    // Optional shortcut for 8-bit output: g at uniformSteps + 1 evenly spaced points and
    // the y range [uniformLow, uniformHigh] in which taking the nearest point is within the
    // tolerance it was built for (g is monotone, so the error is at most the step to a
    // neighbour). One table read per value instead of two, and no index arithmetic.
    int uniformSteps = 0;  // 0: not built
    float uniformLow = 1.0f, uniformHigh = 0.0f;
    std::vector<float> uniformCodes;  // 255 * g: 8-bit output code units, saves a multiply

    // Built with the uniform table: g as a line on each of 32 equal segments of [0, 1], in
    // 8-bit code units, p(y) = base_k + slope_k t with t = 32 y - k on segment k (y = 1:
    // t = 1 on the last). Two register permutes per value instead of a gather.
    // [linearLow, linearHigh): the longest run of segments proven within the linear tolerance
    // (including y = 1 when linearHigh is 1); power laws with exponents below 1 (shadow > 0
    // near 0, highlight < 0 near 1) spoil the end segments of most curves.
    static constexpr int kLinearSegments = 32;
    float linearLow = 1.0f, linearHigh = 0.0f;  // empty when low > high
    std::array<float, kLinearSegments> linearBase{}, linearSlope{};
    double linearWorstError = 0.0;      // proven bound over the range, code units
    double linearCodes(double y) const;  // p(y) with the float constants, in double

    // g(y) for a y given as (d, side), exactly.
    double exact(double d, bool highSide) const;
    // g(y) through the table (exact in marked bins). d is rounded to float first, as in
    // the SIMD kernels.
    double lookup(double y) const;
    float lookupEncoded(float signedD) const;  // d with the sign bit set for the high side
};

// Builds the table. `tolerance` is the largest allowed interpolation error;
// `maxSlope` is an upper bound of |g'| (see curveSlopeBound) and sizes the table's reach
// towards 0 and 1. Runs the two sides on two threads when `parallel`.
void buildHsTable(HsTable& table, double highlight, double shadow, double tolerance,
                  double maxSlope, bool parallel);

// Adds the uniform nearest-point table (within `tolerance`) and the piecewise-linear curve
// (within `linearTolerance`) to `table`, whose highlight and shadow are set. `steps`: a
// power of two, a multiple of kLinearSegments.
void buildUniformCurve(HsTable& table, int steps, double tolerance, double linearTolerance);

// The table for these arguments, built or taken from a small process-wide cache: it depends
// on the arguments only, and an editor re-renders with the same curve while other sliders
// move. uniformSteps 0: no uniform table.
std::shared_ptr<const HsTable> highlightShadowTable(double highlight, double shadow, double tolerance,
                                                    int uniformSteps, double uniformTolerance, bool parallel);

// Upper bound of |g'(y)| over [0, 1] for the Highlight+Shadow curve.
double curveSlopeBound(double highlight, double shadow);

enum class Kernel {
    Copy,            // output = input (identity parameters or amount 0)
    PortableLut,     // saturation 0: per-channel table, scalar
    PortableDouble,  // everything per pixel in double, scalar
    Avx2Lut,
    Avx2Float,       // TBC, saturation and blend in float, 8 pixels at a time
    Avx2Double,      // TBC and saturation in double (4 lanes), the rest as Avx2Float
    Avx512Float,     // Avx2Float with 16 pixels per step (8-bit only; 16-bit rows use Avx2Float)
};
const char* kernelName(Kernel kernel);
bool cpuHasAvx2();
bool cpuHasAvx512();  // F, BW, VL and VBMI: what kernels_avx512.cpp uses

struct Plan {
    int maxCode = 255;    // of the image being rendered: 255 or 65535
    FilterParams params;  // clamped to [-1, 1]
    float weightScale = 0.0f;  // amount / 65535: mask code -> blend weight
    bool fullAmount = false;   // amount == 1: mask code 65535 means F exactly
    ToneConstants tone;
    Kernel kernel = Kernel::Copy;

    // Tone tables (TBC), per BGR channel, indexed by code value; values in [0, 1].
    std::array<std::vector<double>, 3> toneD;
    std::array<std::vector<float>, 3> toneF;
    // Avx2Float may compute TBC arithmetically instead of reading toneF: the map is
    // clamp01(contrastScale * clamp(toneScale_c * code, 0, toneCap) + contrastOffset).
    bool toneArithmetic = false;
    std::array<float, 3> toneScale{};
    float toneCap = 1.0f, contrastScale = 1.0f, contrastOffset = 0.0f;

    double saturation = 0.0;
    float saturationKConst = 0.0f;  // x >= 0: 1 / (1 - x + eps) - 1
    double saturationKConstD = 0.0;

    bool hsIdentity = true;  // highlight == shadow == 0: g(y) = y to within 1e-9
    std::shared_ptr<const HsTable> hs = std::make_shared<HsTable>();  // empty when hsIdentity

    // Kernel::*Lut: the whole chain per channel, in output code units (0..maxCode).
    std::array<std::vector<float>, 3> lut;
};

// Chooses the kernel: the fastest one whose error bound for these parameters stays within
// the depth's budget (error model in render_plan.cpp and README.md).
Kernel chooseKernel(int maxCode, const FilterParams& clampedParams, bool avx2);

// Builds the tables `plan.kernel` reads (maxCode, params, tone and kernel must be set).
void buildTables(Plan& plan, bool parallel);

}  // namespace hz::renderer
