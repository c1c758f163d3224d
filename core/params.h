#pragma once
// The one description of the six white-box filters: the parameter struct and the spec
// table (key, label, range, default, restore order). The renderer, the LibTorch filters,
// the CLI flags, the sliders and the saved sidecar all read this table.
#include <array>
#include <cstddef>
#include <optional>
#include <string>

namespace hz {

// Restore order (spec section 2): the order in which the filters are applied.
enum class Filter : int { Temperature = 0, Brightness, Contrast, Saturation, Highlight, Shadow };
inline constexpr int kFilterCount = 6;

struct FilterParams {
    double temperature = 0.0;
    double brightness = 0.0;
    double contrast = 0.0;
    double saturation = 0.0;
    double highlight = 0.0;
    double shadow = 0.0;

    double get(Filter f) const;
    void set(Filter f, double value);
    // Values in restore order.
    std::array<double, kFilterCount> toArray() const;
    static FilterParams fromArray(const std::array<double, kFilterCount>& values);
    // Every value clamped to its spec range (the network's raw outputs go through this).
    FilterParams clamped() const;
    bool isIdentity() const;
    bool operator==(const FilterParams& other) const;
    bool operator!=(const FilterParams& other) const { return !(*this == other); }
};

struct FilterSpec {
    Filter filter;
    const char* key;          // CLI flag (--key), JSON key, sidecar key
    const char* label;        // slider label
    const char* description;  // --help text and tooltip
    double minValue;
    double maxValue;
    double defaultValue;
    double FilterParams::*field;
};

// In restore order; filterSpecs()[i].filter == Filter(i).
const std::array<FilterSpec, kFilterCount>& filterSpecs();
const FilterSpec& specOf(Filter f);
// nullptr when no filter has that key.
const FilterSpec* findSpec(const std::string& key);

// One JSON object keyed by the spec keys, values with 6 decimals, in restore order.
std::string paramsToJson(const FilterParams& params);
// Throws std::runtime_error naming the key on a missing key, a non-number or a value out of range.
FilterParams paramsFromJson(const std::string& json);

}  // namespace hz
