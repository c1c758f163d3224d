#include "params.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace hz {

const std::array<FilterSpec, kFilterCount>& filterSpecs() {
    static const std::array<FilterSpec, kFilterCount> specs{{
        {Filter::Temperature, "temperature", "Temperature",
         "white balance: > 0 warmer (blue mean up), < 0 cooler (red mean up)", -1.0, 1.0, 0.0,
         &FilterParams::temperature},
        {Filter::Brightness, "brightness", "Brightness", "exposure-like gain of all channels", -1.0,
         1.0, 0.0, &FilterParams::brightness},
        {Filter::Contrast, "contrast", "Contrast", "spread around the image mean", -1.0, 1.0, 0.0,
         &FilterParams::contrast},
        {Filter::Saturation, "saturation", "Saturation", "colourfulness in HSL", -1.0, 1.0, 0.0,
         &FilterParams::saturation},
        {Filter::Highlight, "highlight", "Highlight", "> 0 brightens the highlights", -1.0, 1.0,
         0.0, &FilterParams::highlight},
        {Filter::Shadow, "shadow", "Shadow", "> 0 lifts the shadows", -1.0, 1.0, 0.0,
         &FilterParams::shadow},
    }};
    return specs;
}

const FilterSpec& specOf(Filter f) { return filterSpecs()[static_cast<std::size_t>(f)]; }

const FilterSpec* findSpec(const std::string& key) {
    for (const auto& spec : filterSpecs())
        if (key == spec.key) return &spec;
    return nullptr;
}

double FilterParams::get(Filter f) const { return this->*(specOf(f).field); }
void FilterParams::set(Filter f, double value) { this->*(specOf(f).field) = value; }

std::array<double, kFilterCount> FilterParams::toArray() const {
    std::array<double, kFilterCount> values{};
    for (int i = 0; i < kFilterCount; ++i) values[i] = get(Filter(i));
    return values;
}

FilterParams FilterParams::fromArray(const std::array<double, kFilterCount>& values) {
    FilterParams p;
    for (int i = 0; i < kFilterCount; ++i) p.set(Filter(i), values[i]);
    return p;
}

FilterParams FilterParams::clamped() const {
    FilterParams p = *this;
    for (const auto& spec : filterSpecs())
        p.*(spec.field) = std::clamp(p.*(spec.field), spec.minValue, spec.maxValue);
    return p;
}

bool FilterParams::isIdentity() const {
    for (const auto& spec : filterSpecs())
        if (this->*(spec.field) != 0.0) return false;
    return true;
}

bool FilterParams::operator==(const FilterParams& other) const {
    return toArray() == other.toArray();
}

std::string paramsToJson(const FilterParams& params) {
    // Written by hand to keep restore order and a fixed number of decimals.
    std::string out = "{";
    for (int i = 0; i < kFilterCount; ++i) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%s\"%s\": %.6f", i ? ", " : "", filterSpecs()[i].key,
                      params.get(Filter(i)));
        out += buffer;
    }
    return out + "}";
}

FilterParams paramsFromJson(const std::string& json) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    if (doc.isNull() || !doc.isObject())
        throw std::runtime_error("not a JSON object: " + error.errorString().toStdString());
    const QJsonObject object = doc.object();
    FilterParams params;
    for (const auto& spec : filterSpecs()) {
        const QJsonValue value = object.value(QString::fromLatin1(spec.key));
        if (value.isUndefined()) throw std::runtime_error(std::string("missing key \"") + spec.key + "\"");
        if (!value.isDouble()) throw std::runtime_error(std::string("\"") + spec.key + "\" is not a number");
        const double v = value.toDouble();
        if (v < spec.minValue || v > spec.maxValue)
            throw std::runtime_error(std::string("\"") + spec.key + "\" = " + std::to_string(v) +
                                     " is outside [-1, 1]");
        params.*(spec.field) = v;
    }
    return params;
}

}  // namespace hz
