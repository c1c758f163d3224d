#include "core/model/model_file.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/image_io.h"
#include "core/params.h"

namespace hz {

namespace {

constexpr char kMagic[8] = {'H', 'Z', 'M', 'O', 'D', 'E', 'L', '\0'};
constexpr std::uint8_t kFloat32 = 1;
constexpr std::uint8_t kInt64 = 2;
constexpr int kMaxRank = 8;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");

bool hostIsLittleEndian() {
    const std::uint16_t probe = 1;
    std::uint8_t first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

std::uint64_t fnv1a64(const char* data, std::size_t size) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= std::uint8_t(data[i]);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

std::string shapeText(at::IntArrayRef shape) {
    std::ostringstream out;
    out << "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << "]";
    return out.str();
}

class Writer {
public:
    template <typename T>
    void put(T value) {
        // The format is little-endian; so is every platform we build for (checked on use).
        bytes.append(reinterpret_cast<const char*>(&value), sizeof(T));
    }
    void putBytes(const void* data, std::size_t size) { bytes.append(static_cast<const char*>(data), size); }
    std::string bytes;
};

// Bounds-checked cursor over the file's bytes: every read past the end is a clean error.
class Reader {
public:
    Reader(const std::string& bytes, std::size_t end, std::string path)
        : bytes_(bytes), end_(end), path_(std::move(path)) {}

    template <typename T>
    T get(const char* what) {
        T value;
        std::memcpy(&value, need(sizeof(T), what), sizeof(T));
        return value;
    }
    const char* need(std::size_t size, const char* what) {
        if (size > end_ - position_)
            throw Error("model file '" + path_ + "' is corrupt: " + what + " runs past the end of the data");
        const char* data = bytes_.data() + position_;
        position_ += size;
        return data;
    }
    std::size_t position() const { return position_; }
    void seek(std::size_t position) { position_ = position; }

private:
    const std::string& bytes_;
    std::size_t end_;
    std::size_t position_ = 0;
    std::string path_;
};

struct StoredTensor {
    std::uint8_t dtype = 0;
    std::vector<std::int64_t> shape;
    const char* data = nullptr;
    std::size_t byteCount = 0;
};

// Every parameter and buffer by its LibTorch name, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> namedState(HarmonizerNet& net) {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : net->named_parameters()) state.emplace_back(item.key(), item.value());
    for (const auto& item : net->named_buffers()) state.emplace_back(item.key(), item.value());
    return state;
}

std::string readWholeFile(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("model file '" + path + "' does not exist");
    if (std::filesystem::is_directory(path, ec)) throw Error("model file '" + path + "' is a folder, not a file");
    // A regular file of bounded size: /dev/zero or a FIFO would be read forever.
    if (!std::filesystem::is_regular_file(path, ec)) throw Error("model file '" + path + "' is not a regular file");
    constexpr std::size_t kMaxModelBytes = std::size_t(1) << 30;
    try {
        return readFileBounded(path, kMaxModelBytes);
    } catch (const Error& e) {
        throw Error("model file " + std::string(e.what()));
    }
}

ModelMetadata parseMetadata(const std::string& json, const std::string& path) {
    QJsonParseError parseError;
    const auto document = QJsonDocument::fromJson(QByteArray(json.data(), qsizetype(json.size())), &parseError);
    if (document.isNull() || !document.isObject())
        throw Error("model file '" + path + "' has unreadable metadata: " + parseError.errorString().toStdString());
    const auto object = document.object();
    ModelMetadata metadata;
    metadata.formatVersion = object.value("format_version").toInt(-1);
    metadata.inputSize = object.value("input_size").toInt(-1);
    for (const auto& key : object.value("filter_order").toArray()) metadata.filterOrder.push_back(key.toString().toStdString());
    metadata.modelVersion = object.value("model_version").toString().toStdString();
    metadata.trainingNotes = object.value("training_notes").toString().toStdString();
    metadata.outputGain = object.value("output_gain").toDouble(1.0);
    if (!isValidOutputGain(metadata.outputGain))
        throw Error("model file '" + path + "' has an invalid output gain " + std::to_string(metadata.outputGain) +
                    " (expected a number in (0, 4])");

    if (!isValidInputSize(metadata.inputSize))
        throw Error("model file '" + path + "' has an invalid input size " + std::to_string(metadata.inputSize) +
                    " (expected 32.." + std::to_string(kMaxInputSize) + ")");
    const auto expectedOrder = restoreOrderKeys();
    if (metadata.filterOrder != expectedOrder) {
        std::string found;
        for (const auto& key : metadata.filterOrder) found += (found.empty() ? "" : ",") + key;
        std::string expected;
        for (const auto& key : expectedOrder) expected += (expected.empty() ? "" : ",") + key;
        throw Error("model file '" + path + "' predicts filters in the order [" + found + "], but this program uses [" +
                    expected + "]");
    }
    return metadata;
}

}  // namespace

bool isValidOutputGain(double gain) { return std::isfinite(gain) && gain > 0.0 && gain <= 4.0; }
bool isValidInputSize(int side) { return side >= 32 && side <= kMaxInputSize; }

std::vector<std::string> restoreOrderKeys() {
    std::vector<std::string> keys;
    for (const auto& spec : filterSpecs()) keys.emplace_back(spec.key);
    return keys;
}

void saveModel(const std::string& path, HarmonizerNet& net, const ModelMetadata& metadata) {
    if (!hostIsLittleEndian()) throw Error("cannot write model file '" + path + "': big-endian hosts are not supported");
    QJsonObject object;
    object["format_version"] = kModelFormatVersion;
    object["architecture"] = "harmonizer-efficientnet-b0";
    object["input_size"] = metadata.inputSize;
    QJsonArray order;
    for (const auto& key : metadata.filterOrder.empty() ? restoreOrderKeys() : metadata.filterOrder)
        order.append(QString::fromStdString(key));
    object["filter_order"] = order;
    object["model_version"] = QString::fromStdString(metadata.modelVersion);
    object["training_notes"] = QString::fromStdString(metadata.trainingNotes);
    if (!isValidOutputGain(metadata.outputGain))
        throw Error("cannot write model file '" + path + "': invalid output gain " + std::to_string(metadata.outputGain));
    object["output_gain"] = metadata.outputGain;
    object["parameter_count"] = double(net->parameterCount());
    const QByteArray json = QJsonDocument(object).toJson(QJsonDocument::Indented);

    const auto state = namedState(net);
    Writer writer;
    writer.putBytes(kMagic, sizeof kMagic);
    writer.put<std::uint32_t>(kModelFormatVersion);
    writer.put<std::uint32_t>(0);
    const std::size_t totalLengthOffset = writer.bytes.size();
    writer.put<std::uint64_t>(0);  // patched below
    writer.put<std::uint64_t>(std::uint64_t(json.size()));
    writer.putBytes(json.constData(), std::size_t(json.size()));
    writer.put<std::uint32_t>(std::uint32_t(state.size()));
    for (const auto& [name, value] : state) {
        const auto tensor = value.detach().to(torch::kCPU).contiguous();
        std::uint8_t dtype = 0;
        if (tensor.scalar_type() == torch::kFloat32) dtype = kFloat32;
        else if (tensor.scalar_type() == torch::kInt64) dtype = kInt64;
        else throw Error("cannot write model file '" + path + "': tensor '" + name + "' has an unsupported type");
        writer.put<std::uint16_t>(std::uint16_t(name.size()));
        writer.putBytes(name.data(), name.size());
        writer.put<std::uint8_t>(dtype);
        writer.put<std::uint8_t>(std::uint8_t(tensor.dim()));
        for (const auto size : tensor.sizes()) writer.put<std::int64_t>(size);
        writer.putBytes(tensor.data_ptr(), tensor.nbytes());
    }
    const std::uint64_t totalLength = writer.bytes.size() + sizeof(std::uint64_t);
    std::memcpy(&writer.bytes[totalLengthOffset], &totalLength, sizeof totalLength);
    writer.put<std::uint64_t>(fnv1a64(writer.bytes.data(), writer.bytes.size()));
    writeFileAtomic(path, writer.bytes);
}

ModelMetadata loadModel(const std::string& path, HarmonizerNet& net) {
    if (!hostIsLittleEndian()) throw Error("cannot read model file '" + path + "': big-endian hosts are not supported");
    const std::string bytes = readWholeFile(path);
    const std::string notModel = "'" + path + "' is not a Harmonizer model file";
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        throw Error(notModel + " (it does not start with the .hzm signature)");
    constexpr std::size_t kFixedHeader = sizeof kMagic + 4 + 4 + 8 + 8;
    if (bytes.size() < kFixedHeader + 8)
        throw Error("model file '" + path + "' is truncated (" + std::to_string(bytes.size()) + " bytes)");

    Reader header(bytes, bytes.size(), path);
    header.seek(sizeof kMagic);
    const auto version = header.get<std::uint32_t>("the format version");
    if (version != std::uint32_t(kModelFormatVersion))
        throw Error("model file '" + path + "' has format version " + std::to_string(version) +
                    "; this program reads version " + std::to_string(kModelFormatVersion));
    header.get<std::uint32_t>("the reserved field");
    const auto totalLength = header.get<std::uint64_t>("the file length");
    if (totalLength != bytes.size())
        throw Error("model file '" + path + "' is " + (bytes.size() < totalLength ? "truncated" : "longer than recorded") +
                    ": it has " + std::to_string(bytes.size()) + " bytes, its header says " +
                    std::to_string(totalLength));
    const std::size_t payloadEnd = bytes.size() - sizeof(std::uint64_t);
    std::uint64_t storedChecksum = 0;
    std::memcpy(&storedChecksum, bytes.data() + payloadEnd, sizeof storedChecksum);
    if (fnv1a64(bytes.data(), payloadEnd) != storedChecksum)
        throw Error("model file '" + path + "' is corrupt (checksum mismatch)");

    Reader reader(bytes, payloadEnd, path);
    reader.seek(header.position());
    const auto metadataLength = reader.get<std::uint64_t>("the metadata length");
    if (metadataLength > payloadEnd) throw Error("model file '" + path + "' is corrupt: the metadata runs past the end of the data");
    const char* metadataBytes = reader.need(std::size_t(metadataLength), "the metadata");
    ModelMetadata metadata = parseMetadata(std::string(metadataBytes, std::size_t(metadataLength)), path);
    metadata.formatVersion = int(version);

    std::map<std::string, StoredTensor> stored;
    const auto count = reader.get<std::uint32_t>("the tensor count");
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto nameLength = reader.get<std::uint16_t>("a tensor name");
        const std::string name(reader.need(nameLength, "a tensor name"), nameLength);
        StoredTensor tensor;
        tensor.dtype = reader.get<std::uint8_t>("a tensor type");
        const auto rank = reader.get<std::uint8_t>("a tensor rank");
        if (tensor.dtype != kFloat32 && tensor.dtype != kInt64)
            throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has unknown type code " +
                        std::to_string(tensor.dtype));
        if (rank > kMaxRank) throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has rank " + std::to_string(rank));
        std::uint64_t elements = 1;
        for (int d = 0; d < rank; ++d) {
            const auto size = reader.get<std::int64_t>("a tensor shape");
            if (size < 0 || size > (std::int64_t(1) << 32))
                throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has a dimension of " + std::to_string(size));
            tensor.shape.push_back(size);
            elements *= std::uint64_t(size);
        }
        if (elements > bytes.size()) throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' is larger than the file");
        tensor.byteCount = std::size_t(elements) * (tensor.dtype == kFloat32 ? 4 : 8);
        tensor.data = reader.need(tensor.byteCount, "tensor data");
        if (!stored.emplace(name, std::move(tensor)).second)
            throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' appears twice");
    }
    if (reader.position() != payloadEnd)
        throw Error("model file '" + path + "' is corrupt: unexpected bytes after the last tensor");

    // Validate everything against the network before changing any of it.
    const auto state = namedState(net);
    for (const auto& [name, target] : state) {
        const auto it = stored.find(name);
        if (it == stored.end())
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' is missing");
        const auto expectedType = target.scalar_type() == torch::kInt64 ? kInt64 : kFloat32;
        if (it->second.dtype != expectedType)
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' has the wrong type");
        if (at::IntArrayRef(it->second.shape) != target.sizes())
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' has shape " +
                        shapeText(it->second.shape) + ", expected " + shapeText(target.sizes()));
    }
    if (stored.size() != state.size()) {
        for (const auto& [name, tensor] : stored) {
            bool known = false;
            for (const auto& entry : state) known = known || entry.first == name;
            if (!known)
                throw Error("model file '" + path + "' does not match this network: unexpected tensor '" + name +
                            "' (a different architecture?)");
        }
    }

    torch::NoGradGuard noGrad;
    for (auto& [name, target] : state) {
        const auto& source = stored.at(name);
        const auto type = source.dtype == kInt64 ? torch::kInt64 : torch::kFloat32;
        // The file's bytes need not be aligned for the element type: copy them into fresh storage.
        auto value = torch::empty(source.shape, torch::TensorOptions().dtype(type));
        std::memcpy(value.data_ptr(), source.data, source.byteCount);
        target.copy_(value);
    }
    return metadata;
}

}  // namespace hz
