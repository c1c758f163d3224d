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
#include "core/model/hzm_container.h"
#include "core/params.h"

namespace hz {

namespace {

using hzm::fnv1a64;
using hzm::hostIsLittleEndian;
using hzm::kFloat32;
using hzm::kInt64;
using hzm::kMagic;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");

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

// Every parameter and buffer by its LibTorch name, in registration order.
void appendNamedState(torch::nn::Module& net, const std::string& prefix, std::vector<std::pair<std::string, torch::Tensor>>& state) {
    for (const auto& item : net.named_parameters()) state.emplace_back(prefix + item.key(), item.value());
    for (const auto& item : net.named_buffers()) state.emplace_back(prefix + item.key(), item.value());
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
    for (const auto& side : object.value("extra_input_sizes").toArray()) {
        metadata.extraInputSizes.push_back(side.toInt(-1));
        if (!isValidInputSize(metadata.extraInputSizes.back()))
            throw Error("model file '" + path + "' has an invalid extra input size (expected whole numbers 32.." +
                        std::to_string(kMaxInputSize) + ")");
    }
    if (object.contains("statistics_head")) {
        const auto head = object.value("statistics_head").toObject();
        metadata.statisticsHeadHidden = head.value("hidden").toInt(-1);
        metadata.statisticsHeadNotes = head.value("notes").toString().toStdString();
        if (metadata.statisticsHeadHidden < 1 || metadata.statisticsHeadHidden > 4096)
            throw Error("model file '" + path + "' has an invalid statistics head width " +
                        std::to_string(metadata.statisticsHeadHidden) + " (expected 1..4096)");
        try {
            metadata.statisticsFeatureSet = featureSetWithCount(head.value("features").toInt(kStatisticsFeatureCount));
        } catch (const Error& error) {
            throw Error("model file '" + path + "': " + error.what());
        }
    }
    const auto architecture = object.value("architecture").toString("harmonizer-efficientnet-b0").toStdString();
    try {
        metadata.architecture = parseArchitecture(architecture);
    } catch (const Error&) {
        throw Error("model file '" + path + "' has an unknown architecture '" + architecture +
                    "' (this program reads harmonizer-efficientnet-b0 and harmonizer-mobilenet-v2)");
    }
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

void checkInputSides(const std::vector<int>& sides, const std::string& context) {
    for (int side : sides)
        if (!isValidInputSize(side))
            throw Error(context + "network input size must be 32 to " + std::to_string(kMaxInputSize) + ", got " +
                        std::to_string(side));
}

std::vector<std::string> restoreOrderKeys() {
    std::vector<std::string> keys;
    for (const auto& spec : filterSpecs()) keys.emplace_back(spec.key);
    return keys;
}

void saveModel(const std::string& path, HarmonizerNet& net, const ModelMetadata& metadata, StatisticsHead* head) {
    if (!hostIsLittleEndian()) throw Error("cannot write model file '" + path + "': big-endian hosts are not supported");
    QJsonObject object;
    object["format_version"] = kModelFormatVersion;
    object["architecture"] = architectureName(net->backbone());
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
    if (!metadata.extraInputSizes.empty()) {
        QJsonArray sides;
        for (int side : metadata.extraInputSizes) {
            if (!isValidInputSize(side))
                throw Error("cannot write model file '" + path + "': invalid extra input size " + std::to_string(side));
            sides.append(side);
        }
        object["extra_input_sizes"] = sides;
    }
    object["parameter_count"] = double(net->parameterCount());
    if (head && !head->is_empty()) {
        QJsonObject headObject;
        headObject["hidden"] = (*head)->hiddenSize();
        headObject["features"] = featureCount((*head)->featureSet());
        headObject["notes"] = QString::fromStdString(metadata.statisticsHeadNotes);
        object["statistics_head"] = headObject;
    }
    const QByteArray json = QJsonDocument(object).toJson(QJsonDocument::Indented);
    writeHzmModule(path, json.toStdString(), *net, head && !head->is_empty() ? head->get() : nullptr, kStatisticsHeadPrefix);
}

void writeHzmModule(const std::string& path, const std::string& json, torch::nn::Module& net, torch::nn::Module* extra,
                    const std::string& extraPrefix) {
    if (!hostIsLittleEndian()) throw Error("cannot write model file '" + path + "': big-endian hosts are not supported");
    std::vector<std::pair<std::string, torch::Tensor>> state;
    appendNamedState(net, "", state);
    if (extra) appendNamedState(*extra, extraPrefix, state);
    Writer writer;
    writer.putBytes(kMagic, sizeof kMagic);
    writer.put<std::uint32_t>(kModelFormatVersion);
    writer.put<std::uint32_t>(0);
    const std::size_t totalLengthOffset = writer.bytes.size();
    writer.put<std::uint64_t>(0);  // patched below
    writer.put<std::uint64_t>(std::uint64_t(json.size()));
    writer.putBytes(json.data(), json.size());
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

ModelMetadata readModelMetadata(const std::string& path) {
    const HzmContents contents = readHzmFile(path);
    ModelMetadata metadata = parseMetadata(contents.metadataJson, path);
    metadata.formatVersion = int(contents.formatVersion);
    return metadata;
}

ModelMetadata loadModel(const std::string& path, HarmonizerNet& net, StatisticsHead* head) {
    // The container (signature, version, length, checksum, tensor table) is read by the
    // Qt-free hzm_container.cpp, which tools/gpu_check shares; the metadata's meaning is here.
    HzmContents contents = readHzmFile(path);
    ModelMetadata metadata = parseMetadata(contents.metadataJson, path);
    metadata.formatVersion = int(contents.formatVersion);
    // The head's tensors are split off first so that the network's table is checked exactly.
    HzmContents headContents;
    const std::string prefix = kStatisticsHeadPrefix;
    for (auto it = contents.tensors.begin(); it != contents.tensors.end();) {
        if (it->first.compare(0, prefix.size(), prefix) == 0) {
            headContents.tensors.emplace(it->first.substr(prefix.size()), it->second);
            it = contents.tensors.erase(it);
        } else {
            ++it;
        }
    }
    if (metadata.statisticsHeadHidden == 0 && !headContents.tensors.empty())
        throw Error("model file '" + path + "' has statistics head tensors but no \"statistics_head\" metadata");
    StatisticsHead loadedHead{nullptr};
    if (head && metadata.statisticsHeadHidden > 0) {
        loadedHead = StatisticsHead(metadata.statisticsHeadHidden, metadata.statisticsFeatureSet);
        loadedHead->eval();
        copyHzmTensors(headContents, *loadedHead, path);
    }
    // A file of the other architecture gets a fresh network of its own kind; `net` is only
    // replaced once every tensor has been checked and copied.
    HarmonizerNet destination = net->backbone() == metadata.architecture ? net : makeNetwork(metadata.architecture);
    if (!net->is_training()) destination->eval();
    copyHzmTensors(contents, *destination, path);
    net = destination;
    if (head) *head = loadedHead;
    return metadata;
}

}  // namespace hz
