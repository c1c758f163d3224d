#include "core/model/safetensors.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/image_io.h"

namespace hz {
namespace {

struct DtypeInfo {
    const char* name;
    torch::ScalarType type;
    std::size_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4}, {"F64", torch::kFloat64, 8}, {"I64", torch::kInt64, 8},
    {"I32", torch::kInt32, 4},   {"U8", torch::kUInt8, 1},
};

const DtypeInfo* findDtype(const std::string& name) {
    for (const auto& info : kDtypes)
        if (name == info.name) return &info;
    return nullptr;
}

struct Entry {
    std::string name;
    const DtypeInfo* dtype = nullptr;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

}  // namespace

SafeTensors readSafeTensors(const std::string& path, std::uint64_t maxBytes) {
    const std::string what = "weights file '" + path + "'";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(what + " does not exist or is not a regular file");
    const auto fileSize = std::uint64_t(std::filesystem::file_size(path, ec));
    if (ec) throw Error(what + " cannot be read");
    if (fileSize > maxBytes) throw Error(what + " is larger than " + std::to_string(maxBytes >> 20) + " MiB");
    if (fileSize < 8) throw Error(what + " is too short for a safetensors file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(what + " cannot be opened for reading");
    std::string bytes(std::size_t(fileSize), '\0');
    if (!in.read(bytes.data(), std::streamsize(fileSize))) throw Error(what + " could not be read");

    std::uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | std::uint8_t(bytes[std::size_t(i)]);
    if (headerLength < 2 || headerLength > fileSize - 8)
        throw Error(what + " is not a safetensors file (header length " + std::to_string(headerLength) + " does not fit the file)");
    QJsonParseError parseError{};
    const auto document = QJsonDocument::fromJson(QByteArray(bytes.data() + 8, qsizetype(headerLength)), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        throw Error(what + " has an unreadable header (" + parseError.errorString().toStdString() + ")");
    const std::uint64_t dataStart = 8 + headerLength, dataLength = fileSize - dataStart;

    SafeTensors result;
    std::vector<Entry> entries;
    const QJsonObject header = document.object();
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string name = it.key().toStdString();
        if (name == "__metadata__") {
            const QJsonObject meta = it.value().toObject();
            for (auto m = meta.begin(); m != meta.end(); ++m) result.metadata[m.key().toStdString()] = m.value().toString().toStdString();
            continue;
        }
        const QJsonObject object = it.value().toObject();
        Entry entry;
        entry.name = name;
        entry.dtype = findDtype(object.value("dtype").toString().toStdString());
        if (!entry.dtype)
            throw Error(what + ": tensor '" + name + "' has unsupported dtype '" + object.value("dtype").toString().toStdString() + "'");
        std::uint64_t elements = 1;
        const QJsonArray shape = object.value("shape").toArray();
        if (shape.size() > 8) throw Error(what + ": tensor '" + name + "' has rank " + std::to_string(shape.size()));
        for (const auto& dim : shape) {
            const double value = dim.toDouble(-1);
            if (!dim.isDouble() || value < 0 || value > double(std::int64_t(1) << 32) || value != double(std::int64_t(value)))
                throw Error(what + ": tensor '" + name + "' has an invalid shape");
            entry.shape.push_back(std::int64_t(value));
            elements *= std::uint64_t(value);
            if (elements > dataLength) throw Error(what + ": tensor '" + name + "' is larger than the file");
        }
        const QJsonArray offsets = object.value("data_offsets").toArray();
        if (offsets.size() != 2 || !offsets[0].isDouble() || !offsets[1].isDouble())
            throw Error(what + ": tensor '" + name + "' has no valid data_offsets");
        const double begin = offsets[0].toDouble(), end = offsets[1].toDouble();
        if (begin < 0 || end < begin || end > double(dataLength))
            throw Error(what + ": tensor '" + name + "' lies outside the file's data");
        entry.begin = std::uint64_t(begin);
        entry.end = std::uint64_t(end);
        if (entry.end - entry.begin != elements * entry.dtype->bytes)
            throw Error(what + ": tensor '" + name + "' has " + std::to_string(entry.end - entry.begin) +
                        " bytes of data for its shape's " + std::to_string(elements * entry.dtype->bytes));
        entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < entries.size(); ++i)
        if (entries[i].begin < entries[i - 1].end)
            throw Error(what + ": tensors '" + entries[i - 1].name + "' and '" + entries[i].name + "' overlap");
    for (const auto& entry : entries) {
        auto tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype->type));
        // The data need not be aligned for its element type: copy into fresh storage.
        if (entry.end > entry.begin) std::memcpy(tensor.data_ptr(), bytes.data() + dataStart + entry.begin, entry.end - entry.begin);
        result.tensors.emplace(entry.name, std::move(tensor));
    }
    return result;
}

}  // namespace hz
