#include "core/render/render_plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

#include <opencv2/core/utility.hpp>

namespace hz::renderer {
namespace {

double clampUnit(double v) { return std::min(1.0, std::max(0.0, v)); }

std::uint32_t floatBits(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

float bitsFloat(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Largest slope of t -> (t + 1e-9)^e over t in [0, 1] (the shape of both pow curves).
double powCurveSlopeBound(double exponent) {
    if (exponent == 0.0) return 0.0;
    if (exponent < 1.0) return exponent * std::pow(kPowEps, exponent - 1.0);
    return exponent * std::pow(1.0 + kPowEps, exponent - 1.0);
}

// Per-channel "does the Temperature+Brightness map clip at 1 below this code value" data.
struct ClipPoint {
    bool contributes = false;  // false: the channel is 0 after T+B (gain <= 0)
    double slope = 0.0;        // brightness * temperature gain, per unit of x
    double clipCode = 0.0;     // code value (in the histogram's units) where it reaches its cap
};

ClipPoint clipPoint(const ToneConstants& tone, int channel, int maxCode) {
    ClipPoint point;
    const double gain = tone.temperatureGain[channel];
    const double alpha = tone.brightnessGain;
    if (!(gain > 0.0) || !(alpha > 0.0)) return point;
    // clamp(alpha * clamp(gain * x)) = alpha * gain * min(x, cap / (alpha * gain)),
    // cap = min(alpha, 1): the map is linear up to the cap, constant above.
    point.contributes = true;
    point.slope = alpha * gain;
    point.clipCode = maxCode * (std::min(alpha, 1.0) / point.slope);
    return point;
}

}  // namespace

ToneConstants toneConstants(const FilterParams& params, const BasicMoments& moments) {
    ToneConstants tone;
    const double n = double(moments.pixelCount);
    const double x = params.temperature;
    if (x != 0.0) {
        // Spec order is R, G, B; the image is B, G, R.
        const double scale = double(moments.maxCode) * n;
        const double mR = double(moments.sum[2]) / scale;
        const double mG = double(moments.sum[1]) / scale;
        const double mB = double(moments.sum[0]) / scale;
        const double gray = (mR + mG + mB) / 3.0;
        const double aR = 1.0 - gray / (mR + kEps);
        const double aG = 1.0 - gray / (mG + kEps);
        const double aB = 1.0 - gray / (mB + kEps);
        const double magnitude = std::abs(x);
        const double sR = mR + (x < 0 ? magnitude : 0.0);
        const double sG = mG + 0.5 * magnitude;
        const double sB = mB + (x > 0 ? magnitude : 0.0);
        const double grayShifted = (sR + sG + sB) / 3.0;
        tone.temperatureGain[2] = grayShifted / (sR + kEps) + aR;
        tone.temperatureGain[1] = grayShifted / (sG + kEps) + aG;
        tone.temperatureGain[0] = grayShifted / (sB + kEps) + aB;
    }
    const double b = params.brightness;
    tone.brightnessGain = b >= 0 ? 1.0 / (1.0 - b + kEps) : 1.0 + b;
    const double c = params.contrast;
    tone.contrastGain = c > 0 ? 255.0 / (256.0 - std::floor(255.0 * c)) - 1.0 : c;
    return tone;
}

bool needsClampMoments(const FilterParams& params, const ToneConstants& tone,
                       const BasicMoments& moments, ClampMoments& thresholds) {
    thresholds = ClampMoments{};
    if (params.contrast == 0.0) return false;
    bool needed = false;
    for (int c = 0; c < 3; ++c) {
        const ClipPoint point = clipPoint(tone, c, moments.maxCode);
        thresholds.threshold[c] = std::uint32_t(moments.maxCode);  // min(v, max) = v: no clip
        if (point.contributes && point.clipCode < double(moments.max[c])) {
            thresholds.threshold[c] = std::uint32_t(std::floor(point.clipCode));
            needed = true;
        }
    }
    return needed;
}

void finishContrastMean(const FilterParams& params, const BasicMoments& moments,
                        const ClampMoments* clamp, ToneConstants& tone) {
    tone.contrastMean = 0.0;
    if (params.contrast == 0.0) return;
    double total = 0.0;
    for (int c = 0; c < 3; ++c) {
        const ClipPoint point = clipPoint(tone, c, moments.maxCode);
        if (!point.contributes) continue;
        // Sum over pixels of min(v, clipCode), in code units.
        double clippedSum = double(moments.sum[c]);
        if (point.clipCode < double(moments.max[c])) {
            const std::uint64_t k = clamp->threshold[c];
            const std::uint64_t above = clamp->countAbove[c];
            // sum(min(v, K)) - K * #(v > K) = sum over v <= K; values above K count clipCode.
            clippedSum = double(clamp->sumOfMin[c] - k * above) + point.clipCode * double(above);
        }
        total += point.slope * (clippedSum / double(moments.maxCode));
    }
    tone.contrastMean = total / (3.0 * double(moments.pixelCount));
}

double toneCurve(const ToneConstants& tone, const FilterParams& params, int channel, double x) {
    double v = clampUnit(x * tone.temperatureGain[channel]);
    v = clampUnit(v * tone.brightnessGain);
    if (params.contrast != 0.0) v = clampUnit(v + (v - tone.contrastMean) * tone.contrastGain);
    return v;
}

double highlightShadowExact(double highlight, double shadow, double oneMinusY) {
    const double z = clampUnit(1.0 - std::pow(oneMinusY + kPowEps, 1.0 + highlight));
    return clampUnit(std::pow(z + kPowEps, 1.0 - shadow));
}

void saturateExact(double x, double& c0, double& c1, double& c2) {
    const double cmax = std::max(c0, std::max(c1, c2));
    const double cmin = std::min(c0, std::min(c1, c2));
    const double lightness = (cmax + cmin) / 2.0;
    if (x >= 0) {
        const double spread = cmax - cmin;
        const double s = lightness < 0.5 ? spread / (cmax + cmin + kEps)
                                         : spread / (2.0 - cmax - cmin + kEps);
        const double a = x + s > 1.0 ? s : 1.0 - x;
        const double k = 1.0 / (a + kEps) - 1.0;
        c0 = clampUnit(c0 + (c0 - lightness) * k);
        c1 = clampUnit(c1 + (c1 - lightness) * k);
        c2 = clampUnit(c2 + (c2 - lightness) * k);
    } else {
        c0 = clampUnit(lightness + (c0 - lightness) * (1.0 + x));
        c1 = clampUnit(lightness + (c1 - lightness) * (1.0 + x));
        c2 = clampUnit(lightness + (c2 - lightness) * (1.0 + x));
    }
}

double curveSlopeBound(double highlight, double shadow) {
    // g = S(H(y)), so |g'| <= max|S'| * max|H'|; H(y) = 1 - (1 - y + 1e-9)^(1 + h) has the
    // slopes of t -> (t + 1e-9)^(1 + h).
    return powCurveSlopeBound(1.0 + highlight) * powCurveSlopeBound(1.0 - shadow);
}

double HsTable::exact(double d, bool highSide) const {
    return highlightShadowExact(highlight, shadow, highSide ? d : 1.0 - d);
}

float HsTable::lookupEncoded(float signedD) const {
    constexpr int shift = 23 - kBinsPerOctaveLog2;
    const std::uint32_t bits = floatBits(signedD);
    const bool high = (bits >> 31) != 0;
    const std::uint32_t magnitude = bits & 0x7fffffffu;
    const std::int32_t node = std::max<std::int32_t>(0, std::int32_t(magnitude >> shift) - indexBase);
    const float frac = bitsFloat(((magnitude << kBinsPerOctaveLog2) & 0x007fffffu) | 0x3f800000u) - 1.0f;
    const std::size_t index = std::size_t(node) + (high ? std::size_t(nodesPerSide) : 0);
    const float result = nodes[2 * index] + frac * nodes[2 * index + 1];
    if (std::isnan(result)) return float(exact(double(bitsFloat(magnitude)), high));
    return result;
}

double HsTable::lookup(double y) const {
    const bool high = !(y < 0.5);
    const float d = float(high ? 1.0 - y : y);
    return lookupEncoded(high ? -d : d);
}

void buildHsTable(HsTable& table, double highlight, double shadow, double tolerance,
                  double maxSlope, bool parallel) {
    constexpr int m = HsTable::kBinsPerOctaveLog2;
    table.highlight = highlight;
    table.shadow = shadow;
    // Below 2^-floorOctave the table answers g(0): choose it so that this costs at most a
    // quarter of the tolerance (2^-24 at least, 2^-100 at most: still a normal float).
    const double needed = std::log2(std::max(1.0, 4.0 * maxSlope / tolerance));
    table.floorOctave = std::clamp(int(std::ceil(needed)), 24, 100);
    table.nodesPerSide = (table.floorOctave - 1) * (1 << m) + 2;
    // Node 1 is d = 2^-floorOctave, whose float bits >> (23 - m) are (127 - floor) << m.
    table.indexBase = ((127 - table.floorOctave) << m) - 1;
    const int n = table.nodesPerSide;
    table.nodes.assign(std::size_t(4 * n), 0.0f);

    auto nodePosition = [&](int node) -> double {
        if (node == 0) return 0.0;
        return double(bitsFloat(std::uint32_t(node + table.indexBase) << (23 - m)));
    };
    std::array<int, 2> exactBins{};
    auto buildSide = [&](int side) {
        const bool high = side == 1;
        std::vector<double> exactValues(static_cast<std::size_t>(n));
        for (int j = 0; j < n; ++j) exactValues[std::size_t(j)] = table.exact(nodePosition(j), high);
        float* sideNodes = table.nodes.data() + 2 * std::size_t(side) * std::size_t(n);
        auto values = [&](int j) -> float& { return sideNodes[2 * j]; };
        auto slopes = [&](int j) -> float& { return sideNodes[2 * j + 1]; };
        int marked = 0;
        for (int j = 0; j < n; ++j) {
            values(j) = float(exactValues[std::size_t(j)]);
            if (j == 0) {
                // The bin below 2^-floorOctave is constant: check its far end.
                slopes(j) = 0.0f;
                if (std::abs(exactValues[1] - exactValues[0]) > tolerance) {
                    slopes(j) = std::numeric_limits<float>::quiet_NaN();
                    ++marked;
                }
                continue;
            }
            if (j == n - 1) {  // d = 0.5: the end of the range, only ever read with frac = 0
                slopes(j) = 0.0f;
                continue;
            }
            const double step = exactValues[std::size_t(j + 1)] - exactValues[std::size_t(j)];
            slopes(j) = float(step);
            const double middle = 0.5 * (nodePosition(j) + nodePosition(j + 1));
            const double interpolated = exactValues[std::size_t(j)] + 0.5 * step;
            if (std::abs(table.exact(middle, high) - interpolated) > 0.75 * tolerance) {
                slopes(j) = std::numeric_limits<float>::quiet_NaN();
                ++marked;
            }
        }
        exactBins[std::size_t(side)] = marked;
    };
    if (parallel) {
        cv::parallel_for_(cv::Range(0, 2), [&](const cv::Range& range) {
            for (int side = range.start; side < range.end; ++side) buildSide(side);
        }, 2);
    } else {
        buildSide(0);
        buildSide(1);
    }
    table.exactBins = exactBins[0] + exactBins[1];
}

namespace {

// The longest run of consecutive indices in [0, count) where ok(i) holds, as {first, last};
// {1, 0} (last < first) when there is none.
template <typename Ok>
std::pair<int, int> longestRun(int count, Ok&& ok) {
    int bestLow = 1, bestHigh = 0, runStart = -1;
    for (int k = 0; k <= count; ++k) {
        const bool good = k < count && ok(k);
        if (good && runStart < 0) runStart = k;
        if (!good && runStart >= 0) {
            if (k - 1 - runStart > bestHigh - bestLow) {
                bestLow = runStart;
                bestHigh = k - 1;
            }
            runStart = -1;
        }
    }
    return {bestLow, bestHigh};
}

// Each segment's line is the chord shifted to centre the deviations at the uniform table's
// nodes and half-way points (spacing h = 1 / (2 steps)). Its error is then bounded from
// those exact values: between two of them, a and b, g (monotone) lies between g(a) and g(b)
// and the line between p(a) and p(b), so
// |p - g| <= max(max(p(a), p(b)) - min(g(a), g(b)), max(g(a), g(b)) - min(p(a), p(b))).
void buildLinearCurve(HsTable& table, int steps, const std::vector<double>& node, const std::vector<double>& half,
                      double tolerance) {
    constexpr int kSegments = HsTable::kLinearSegments;
    const int points = 2 * steps / kSegments;  // intervals of h per segment
    // Codes at j / (2 steps): nodes at even j, half-way points at odd j.
    auto sampled = [&](int j) { return 255.0 * (j % 2 == 0 ? node[std::size_t(j / 2)] : half[std::size_t(j / 2)]); };
    // Float constants evaluated in float (t = 32 y - k is exact) stay far below this.
    constexpr double kFloatSlack = 1e-3;
    std::array<double, kSegments> bound{};
    for (int k = 0; k < kSegments; ++k) {
        const int first = points * k;
        const double g0 = sampled(first), g1 = sampled(first + points);
        double low = 0.0, high = 0.0;  // deviations of g from the chord
        for (int j = 0; j <= points; ++j) {
            const double deviation = sampled(first + j) - (g0 + (g1 - g0) * j / points);
            low = std::min(low, deviation);
            high = std::max(high, deviation);
        }
        table.linearBase[std::size_t(k)] = float(g0 + 0.5 * (low + high));
        table.linearSlope[std::size_t(k)] = float(g1 - g0);
        const double base = table.linearBase[std::size_t(k)], slope = table.linearSlope[std::size_t(k)];
        double worst = 0.0;
        for (int j = 0; j < points; ++j) {
            const double pa = base + slope * j / points, pb = base + slope * (j + 1) / points;
            const double ga = sampled(first + j), gb = sampled(first + j + 1);
            worst = std::max({worst, std::max(pa, pb) - std::min(ga, gb), std::max(ga, gb) - std::min(pa, pb)});
        }
        bound[std::size_t(k)] = worst + kFloatSlack;
    }
    const auto [bestLow, bestHigh] =
        longestRun(kSegments, [&](int k) { return bound[std::size_t(k)] <= 255.0 * tolerance; });
    table.linearWorstError = 0.0;
    if (bestHigh < bestLow) {
        table.linearLow = 1.0f;
        table.linearHigh = 0.0f;
        return;
    }
    table.linearLow = float(double(bestLow) / kSegments);
    table.linearHigh = float(double(bestHigh + 1) / kSegments);
    for (int k = bestLow; k <= bestHigh; ++k) table.linearWorstError = std::max(table.linearWorstError, bound[std::size_t(k)]);
}

}  // namespace

void buildUniformCurve(HsTable& table, int steps, double tolerance, double linearTolerance) {
    table.uniformSteps = steps;
    table.uniformCodes.resize(std::size_t(steps) + 1);
    // g at the nodes k / steps and at the half-way points (k + 1/2) / steps (exact: steps is
    // a power of two). Node k answers for y within half a step of it, and g is monotone, so
    // its error is at most the larger difference to the two half-way values.
    auto g = [&](double y) { return y < 0.5 ? table.exact(y, false) : table.exact(1.0 - y, true); };
    std::vector<double> node(static_cast<std::size_t>(steps) + 1), half(static_cast<std::size_t>(steps));
    for (int k = 0; k <= steps; ++k) {
        node[std::size_t(k)] = g(double(k) / steps);
        table.uniformCodes[std::size_t(k)] = float(255.0 * node[std::size_t(k)]);
        if (k < steps) half[std::size_t(k)] = g((k + 0.5) / steps);
    }
    auto accurate = [&](int k) {
        const double below = k > 0 ? std::abs(node[std::size_t(k)] - half[std::size_t(k - 1)]) : 0.0;
        const double above = k < steps ? std::abs(half[std::size_t(k)] - node[std::size_t(k)]) : 0.0;
        return std::max(below, above) <= tolerance;
    };
    // The longest run of accurate nodes (the curve is steep only near 0 and 1, if at all).
    const auto [bestLow, bestHigh] = longestRun(steps + 1, accurate);
    table.uniformLow = float(double(bestLow) / steps);
    table.uniformHigh = float(double(bestHigh) / steps);
    buildLinearCurve(table, steps, node, half, linearTolerance);
}

double HsTable::linearCodes(double y) const {
    const double u = y * kLinearSegments;
    const int k = std::clamp(int(u), 0, kLinearSegments - 1);
    return double(linearBase[std::size_t(k)]) + (u - k) * double(linearSlope[std::size_t(k)]);
}

// The piecewise-linear curve's error allowance (0.15 level): with the float kernel's budget
// (errorBudget, 0.26 level) and rounding (0.5) the output stays within 0.91 level of the
// exact chain, inside the 1 level the renderer promises. The nearest-point table keeps its
// tighter 4e-4.
constexpr double kLinearCurveTolerance = 6e-4;

std::shared_ptr<const HsTable> highlightShadowTable(double highlight, double shadow, double tolerance,
                                                    int uniformSteps, double uniformTolerance, bool parallel) {
    struct Entry {
        std::array<double, 5> key;
        std::shared_ptr<const HsTable> table;
    };
    static std::mutex mutex;
    static std::vector<Entry> recent;  // most recent first
    constexpr std::size_t kCapacity = 4;
    const std::array<double, 5> key{highlight, shadow, tolerance, double(uniformSteps), uniformTolerance};
    {
        const std::lock_guard<std::mutex> lock(mutex);
        for (std::size_t i = 0; i < recent.size(); ++i)
            if (recent[i].key == key) {
                std::rotate(recent.begin(), recent.begin() + std::ptrdiff_t(i), recent.begin() + std::ptrdiff_t(i) + 1);
                return recent.front().table;
            }
    }
    auto table = std::make_shared<HsTable>();
    buildHsTable(*table, highlight, shadow, tolerance, curveSlopeBound(highlight, shadow), parallel);
    if (uniformSteps > 0) buildUniformCurve(*table, uniformSteps, uniformTolerance, kLinearCurveTolerance);
    const std::lock_guard<std::mutex> lock(mutex);
    recent.insert(recent.begin(), Entry{key, table});
    if (recent.size() > kCapacity) recent.pop_back();
    return table;
}

const char* kernelName(Kernel kernel) {
    switch (kernel) {
        case Kernel::Copy: return "copy";
        case Kernel::PortableLut: return "portable-lut";
        case Kernel::PortableDouble: return "portable-double";
        case Kernel::Avx2Lut: return "avx2-lut";
        case Kernel::Avx2Float: return "avx2-float";
        case Kernel::Avx2Double: return "avx2-double";
        case Kernel::Avx512Float: return "avx512-float";
    }
    return "?";
}

bool cpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
#else
    return false;
#endif
}

bool cpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool has = cpuHasAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
    return has;
#else
    return false;
#endif
}

namespace {

// Error model (see README): a kernel that perturbs the Highlight+Shadow input by at most
// delta changes the output by at most slopeBound * delta. The budget is what the depth can
// afford on top of rounding (0.5 level) and the table's interpolation error.
double errorBudget(int maxCode) { return maxCode == 255 ? 1e-3 : 4e-6; }

// Saturation at x = 0 moves a channel by |C - L| * (1 - 1/(1 + eps)) <= 5e-7: what the
// per-channel table path ignores.
constexpr double kLutDelta = 5e-7;
// Float TBC values and float saturation arithmetic: a few float ulps at 1.
constexpr double kFloatDelta = 4e-7;

double saturationConditioning(double x) {
    // x < 0 is a contraction towards L. For x >= 0 the gain k is at most 1/(1 - x + eps),
    // and the a = s branch divides by s: a generous multiple of the largest gain.
    return x < 0 ? 1.0 : 4.0 * (1.0 + 1.0 / (1.0 - x + kEps));
}

}  // namespace

Kernel chooseKernel(int maxCode, const FilterParams& p, bool avx2) {
    if (p.isIdentity()) return Kernel::Copy;
    const double slope = curveSlopeBound(p.highlight, p.shadow);
    const double budget = errorBudget(maxCode);
    if (p.saturation == 0.0 && slope * kLutDelta <= budget)
        return avx2 ? Kernel::Avx2Lut : Kernel::PortableLut;
    if (!avx2) return Kernel::PortableDouble;
    if (slope * kFloatDelta * saturationConditioning(p.saturation) <= budget) return Kernel::Avx2Float;
    return Kernel::Avx2Double;
}

void buildTables(Plan& plan, bool parallel) {
    const int levels = plan.maxCode + 1;
    const FilterParams& p = plan.params;
    const bool isLut = plan.kernel == Kernel::PortableLut || plan.kernel == Kernel::Avx2Lut;
    const bool needFloatTone = plan.kernel == Kernel::Avx2Float || plan.kernel == Kernel::Avx512Float;
    for (int c = 0; c < 3; ++c) {
        auto& tableD = plan.toneD[std::size_t(c)];
        tableD.resize(std::size_t(levels));
        for (int v = 0; v < levels; ++v)
            tableD[std::size_t(v)] = toneCurve(plan.tone, p, c, double(v) / double(plan.maxCode));
        if (needFloatTone) plan.toneF[std::size_t(c)].assign(tableD.begin(), tableD.end());
    }
    if (needFloatTone) {
        // T, B and C are linear up to their clamps: clamp(a * v) then clamp(alpha * u) is
        // clamp(a * alpha * v, 0, min(alpha, 1)) for alpha >= 0, and Contrast is an affine map
        // (1 + x') u - x' t. Computing that costs fewer cycles than three table gathers, but
        // rounds the scale, cap, gain and offset to float: at most (4 |1 + x'| + |x' t| + 1)
        // float ulps at 1 against one for the table. Used only where the kernel's error
        // model affords the difference.
        const ToneConstants& t = plan.tone;
        for (int c = 0; c < 3; ++c)
            plan.toneScale[std::size_t(c)] = float(t.temperatureGain[std::size_t(c)] * t.brightnessGain / double(plan.maxCode));
        plan.toneCap = float(std::min(1.0, t.brightnessGain));
        plan.contrastScale = float(1.0 + t.contrastGain);
        plan.contrastOffset = float(-t.contrastMean * t.contrastGain);
        const double ulp = std::ldexp(1.0, -24);
        const double arithmeticError =
            ulp * (4.0 * std::abs(1.0 + t.contrastGain) + std::abs(t.contrastMean * t.contrastGain) + 1.0);
        plan.toneArithmetic = curveSlopeBound(p.highlight, p.shadow) * saturationConditioning(p.saturation) *
                                  (kFloatDelta + arithmeticError) <= errorBudget(plan.maxCode);
    }
    plan.saturation = p.saturation;
    plan.saturationKConstD = p.saturation >= 0 ? 1.0 / (1.0 - p.saturation + kEps) - 1.0 : 0.0;
    plan.saturationKConst = float(plan.saturationKConstD);
    plan.hsIdentity = p.highlight == 0.0 && p.shadow == 0.0;
    const bool exactLut = isLut && plan.maxCode == 255;
    if (!plan.hsIdentity && !exactLut) {
        const double tolerance = plan.maxCode == 255 ? 2e-5 : 2e-6;
        // 8-bit output affords a nearest-point shortcut where the curve is gentle (4e-4 is
        // 0.1 level); 8192 steps keep that table in L1 (32 KiB).
        const bool simd = plan.kernel == Kernel::Avx2Float || plan.kernel == Kernel::Avx2Double ||
                          plan.kernel == Kernel::Avx512Float;
        const bool uniform = simd && plan.maxCode == 255;
        plan.hs = highlightShadowTable(p.highlight, p.shadow, tolerance, uniform ? 8192 : 0, uniform ? 4e-4 : 0.0,
                                       parallel);
    }
    if (isLut) {
        for (int c = 0; c < 3; ++c) {
            auto& lut = plan.lut[std::size_t(c)];
            const auto& tone = plan.toneD[std::size_t(c)];
            lut.resize(std::size_t(levels));
            for (int v = 0; v < levels; ++v) {
                const double y = tone[std::size_t(v)];
                double f = y;
                if (!plan.hsIdentity) f = exactLut ? highlightShadowExact(p.highlight, p.shadow, 1.0 - y)
                                                   : plan.hs->lookup(y);
                lut[std::size_t(v)] = float(f * plan.maxCode);
            }
        }
    }
}

}  // namespace hz::renderer
