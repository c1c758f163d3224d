#include "core/session/session_file.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/image_io.h"

namespace fs = std::filesystem;

namespace hz {
namespace {

QJsonObject paramsToObject(const FilterParams& params) {
    // paramsToJson already writes 6 decimals in restore order; reuse it so the sidecar and the
    // CLI's printed values can never disagree.
    return QJsonDocument::fromJson(QByteArray::fromStdString(paramsToJson(params))).object();
}

std::string storedPath(const std::string& path, const fs::path& folder) {
    if (path.empty()) return path;
    std::error_code ec;
    const fs::path absolute = fs::weakly_canonical(fs::absolute(path, ec), ec);
    const fs::path base = fs::weakly_canonical(fs::absolute(folder, ec), ec);
    const fs::path relative = absolute.lexically_relative(base);
    if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
    return absolute.generic_string();
}

std::string resolvedPath(const std::string& stored, const fs::path& folder) {
    if (stored.empty()) return stored;
    const fs::path p(stored);
    return (p.is_absolute() ? p : (folder / p)).lexically_normal().string();
}

fs::path folderOf(const std::string& sidecarPath) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(sidecarPath, ec);
    return absolute.parent_path();
}

// Reads the same way paramsFromJson does, but names the sidecar and the section in the error.
FilterParams paramsFromObject(const QJsonValue& value, const std::string& where) {
    if (!value.isObject()) throw Error(where + " is missing or not an object");
    try {
        return paramsFromJson(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact).toStdString());
    } catch (const std::exception& e) {
        throw Error(where + ": " + e.what());
    }
}

}  // namespace

double roundToSidecarPrecision(double value) {
    // Exactly what printing with %.6f and parsing back gives: the CLI reads the printed text.
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.6f", value);
    const double parsed = std::strtod(buffer, nullptr);
    return parsed == 0.0 ? 0.0 : parsed;  // no "-0.000000" surprises
}

FilterParams roundToSidecarPrecision(const FilterParams& params) {
    FilterParams rounded;
    for (const auto& spec : filterSpecs()) rounded.*(spec.field) = roundToSidecarPrecision(params.*(spec.field));
    return rounded;
}

std::string sessionToJson(const SessionFile& session, const std::string& sidecarPath) {
    const fs::path folder = folderOf(sidecarPath);
    QJsonObject root;
    root.insert("format", kSessionFormatName);
    root.insert("formatVersion", session.compose ? std::max(2, session.formatVersion) : 1);
    root.insert("image", QString::fromStdString(storedPath(session.imagePath, folder)));
    root.insert("mask", QString::fromStdString(storedPath(session.maskPath, folder)));
    root.insert("values", paramsToObject(roundToSidecarPrecision(session.values)));
    root.insert("predicted", session.predicted ? QJsonValue(paramsToObject(roundToSidecarPrecision(*session.predicted)))
                                               : QJsonValue(QJsonValue::Null));
    root.insert("amount", roundToSidecarPrecision(session.amount));
    root.insert("modelVersion", QString::fromStdString(session.modelVersion));
    if (session.compose) {
        QJsonObject compose;
        compose.insert("background", QString::fromStdString(storedPath(session.compose->backgroundPath, folder)));
        QJsonArray layers;
        for (const SessionLayer& layer : session.compose->layers) {
            QJsonObject item;
            item.insert("image", QString::fromStdString(storedPath(layer.imagePath, folder)));
            item.insert("mask", QString::fromStdString(storedPath(layer.maskPath, folder)));
            item.insert("x", layer.x);
            item.insert("y", layer.y);
            item.insert("scale", layer.scale);
            layers.append(item);
        }
        compose.insert("layers", layers);
        compose.insert("active", session.compose->active);
        root.insert("compose", compose);
    }
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

SessionFile sessionFromJson(const std::string& json, const std::string& sidecarPath) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    if (doc.isNull() || !doc.isObject())
        throw Error(sidecarPath + ": not a session file (JSON error: " + error.errorString().toStdString() + ")");
    const QJsonObject root = doc.object();
    if (root.value("format").toString() != QLatin1String(kSessionFormatName))
        throw Error(sidecarPath + ": not a Harmonizer Studio session (\"format\" is not \"" + kSessionFormatName + "\")");
    const QJsonValue version = root.value("formatVersion");
    if (!version.isDouble() || version.toDouble() != std::floor(version.toDouble()) || version.toInt() < 1)
        throw Error(sidecarPath + ": \"formatVersion\" is missing or not a positive whole number");
    if (version.toInt() > kSessionFormatVersion)
        throw Error(sidecarPath + ": session format version " + std::to_string(version.toInt()) +
                    " is newer than this program understands (" + std::to_string(kSessionFormatVersion) + ")");

    const fs::path folder = folderOf(sidecarPath);
    SessionFile session;
    session.formatVersion = version.toInt();
    const QJsonValue image = root.value("image");
    if (!image.isString() || image.toString().isEmpty()) throw Error(sidecarPath + ": \"image\" is missing");
    session.imagePath = resolvedPath(image.toString().toStdString(), folder);
    const QJsonValue mask = root.value("mask");
    if (!mask.isUndefined() && !mask.isNull() && !mask.isString()) throw Error(sidecarPath + ": \"mask\" is not a path");
    session.maskPath = resolvedPath(mask.toString().toStdString(), folder);
    session.values = paramsFromObject(root.value("values"), sidecarPath + ": \"values\"");
    const QJsonValue predicted = root.value("predicted");
    if (!predicted.isUndefined() && !predicted.isNull())
        session.predicted = paramsFromObject(predicted, sidecarPath + ": \"predicted\"");
    const QJsonValue amount = root.value("amount");
    if (amount.isUndefined()) {
        session.amount = 1.0;
    } else if (!amount.isDouble() || amount.toDouble() < 0.0 || amount.toDouble() > 1.0) {
        throw Error(sidecarPath + ": \"amount\" must be a number in [0, 1]");
    } else {
        session.amount = amount.toDouble();
    }
    session.modelVersion = root.value("modelVersion").toString().toStdString();
    const QJsonValue compose = root.value("compose");
    if (!compose.isUndefined() && !compose.isNull()) {
        const std::string where = sidecarPath + ": \"compose\"";
        if (!compose.isObject()) throw Error(where + " is not an object");
        const QJsonObject object = compose.toObject();
        SessionCompose c;
        const QJsonValue background = object.value("background");
        if (!background.isString() || background.toString().isEmpty()) throw Error(where + ": \"background\" is missing");
        c.backgroundPath = resolvedPath(background.toString().toStdString(), folder);
        const QJsonValue layers = object.value("layers");
        if (!layers.isArray()) throw Error(where + ": \"layers\" is missing or not a list");
        for (const QJsonValue& value : layers.toArray()) {
            const QJsonObject item = value.toObject();
            SessionLayer layer;
            if (!item.value("image").isString() || item.value("image").toString().isEmpty())
                throw Error(where + ": a layer has no \"image\"");
            layer.imagePath = resolvedPath(item.value("image").toString().toStdString(), folder);
            layer.maskPath = resolvedPath(item.value("mask").toString().toStdString(), folder);
            for (const auto& [key, field] : {std::pair{"x", &layer.x}, std::pair{"y", &layer.y}, std::pair{"scale", &layer.scale}}) {
                const QJsonValue number = item.value(key);
                if (!number.isDouble() || !std::isfinite(number.toDouble()))
                    throw Error(where + ": a layer's \"" + key + "\" is not a number");
                *field = number.toDouble();
            }
            if (!(layer.scale > 0.0)) throw Error(where + ": a layer's \"scale\" must be above zero");
            c.layers.push_back(std::move(layer));
        }
        c.active = object.value("active").toInt(int(c.layers.size()) - 1);
        if (c.active < -1 || c.active >= int(c.layers.size())) c.active = int(c.layers.size()) - 1;
        session.compose = std::move(c);
    }
    return session;
}

void writeSession(const std::string& sidecarPath, const SessionFile& session) {
    std::vector<std::string> inputs = {session.imagePath, session.maskPath};
    if (session.compose) {
        inputs.push_back(session.compose->backgroundPath);
        for (const SessionLayer& layer : session.compose->layers) {
            inputs.push_back(layer.imagePath);
            inputs.push_back(layer.maskPath);
        }
    }
    writeFileAtomic(sidecarPath, sessionToJson(session, sidecarPath), inputs);
}

SessionFile readSession(const std::string& sidecarPath) {
    // A sidecar is a few kilobytes of JSON; anything far larger is not one (and is not read whole).
    constexpr std::size_t kMaxSessionBytes = std::size_t(4) << 20;
    requireReadableFile(sidecarPath, "a session file");
    return sessionFromJson(readFileBounded(sidecarPath, kMaxSessionBytes), sidecarPath);
}

}  // namespace hz
