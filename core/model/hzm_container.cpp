#include "core/model/hzm_container.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/model/model_file.h"  // kModelFormatVersion (the header is Qt-free)

namespace hz {

bool hzm::hostIsLittleEndian() {
    const std::uint16_t probe = 1;
    std::uint8_t first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

std::uint64_t hzm::fnv1a64(const char* data, std::size_t size) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= std::uint8_t(data[i]);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

namespace {

using hzm::fnv1a64;
using hzm::hostIsLittleEndian;
using hzm::kFloat32;
using hzm::kInt64;
using hzm::kMagic;
constexpr int kMaxRank = 8;

std::string shapeText(at::IntArrayRef shape) {
    std::ostringstream out;
    out << "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
    out << "]";
    return out.str();
}

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

std::string readWholeFile(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("model file '" + path + "' does not exist");
    if (std::filesystem::is_directory(path, ec)) throw Error("model file '" + path + "' is a folder, not a file");
    // A regular file of bounded size: /dev/zero or a FIFO would be read forever.
    if (!std::filesystem::is_regular_file(path, ec)) throw Error("model file '" + path + "' is not a regular file");
    constexpr std::uintmax_t kMaxModelBytes = std::uintmax_t(1) << 30;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw Error("model file '" + path + "' cannot be read");
    if (size > kMaxModelBytes) throw Error("model file '" + path + "' is larger than 1 GiB: not a Harmonizer model");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("model file '" + path + "' cannot be opened for reading");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw Error("model file '" + path + "' could not be read");
    return buffer.str();
}

}  // namespace

HzmContents readHzmFile(const std::string& path) {
    if (!hostIsLittleEndian()) throw Error("cannot read model file '" + path + "': big-endian hosts are not supported");
    const std::string bytes = readWholeFile(path);
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        throw Error("'" + path + "' is not a Harmonizer model file (it does not start with the .hzm signature)");
    constexpr std::size_t kFixedHeader = sizeof kMagic + 4 + 4 + 8 + 8;
    if (bytes.size() < kFixedHeader + 8)
        throw Error("model file '" + path + "' is truncated (" + std::to_string(bytes.size()) + " bytes)");

    Reader header(bytes, bytes.size(), path);
    header.seek(sizeof kMagic);
    HzmContents contents;
    contents.formatVersion = header.get<std::uint32_t>("the format version");
    if (contents.formatVersion != std::uint32_t(kModelFormatVersion))
        throw Error("model file '" + path + "' has format version " + std::to_string(contents.formatVersion) +
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
    contents.metadataJson.assign(reader.need(std::size_t(metadataLength), "the metadata"), std::size_t(metadataLength));

    const auto count = reader.get<std::uint32_t>("the tensor count");
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto nameLength = reader.get<std::uint16_t>("a tensor name");
        const std::string name(reader.need(nameLength, "a tensor name"), nameLength);
        const auto dtype = reader.get<std::uint8_t>("a tensor type");
        const auto rank = reader.get<std::uint8_t>("a tensor rank");
        if (dtype != kFloat32 && dtype != kInt64)
            throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has unknown type code " +
                        std::to_string(dtype));
        if (rank > kMaxRank) throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has rank " + std::to_string(rank));
        std::vector<std::int64_t> shape;
        std::uint64_t elements = 1;
        for (int d = 0; d < rank; ++d) {
            const auto size = reader.get<std::int64_t>("a tensor shape");
            if (size < 0 || size > (std::int64_t(1) << 32))
                throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' has a dimension of " + std::to_string(size));
            shape.push_back(size);
            elements *= std::uint64_t(size);
        }
        if (elements > bytes.size()) throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' is larger than the file");
        const std::size_t byteCount = std::size_t(elements) * (dtype == kFloat32 ? 4 : 8);
        const char* data = reader.need(byteCount, "tensor data");
        // The file's bytes need not be aligned for the element type: copy them into fresh storage.
        auto value = torch::empty(shape, torch::TensorOptions().dtype(dtype == kInt64 ? torch::kInt64 : torch::kFloat32));
        std::memcpy(value.data_ptr(), data, byteCount);
        if (!contents.tensors.emplace(name, std::move(value)).second)
            throw Error("model file '" + path + "' is corrupt: tensor '" + name + "' appears twice");
    }
    if (reader.position() != payloadEnd)
        throw Error("model file '" + path + "' is corrupt: unexpected bytes after the last tensor");
    return contents;
}

void copyHzmTensors(const HzmContents& contents, torch::nn::Module& net, const std::string& path) {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : net.named_parameters()) state.emplace_back(item.key(), item.value());
    for (const auto& item : net.named_buffers()) state.emplace_back(item.key(), item.value());

    // Validate everything against the network before changing any of it.
    for (const auto& [name, target] : state) {
        const auto it = contents.tensors.find(name);
        if (it == contents.tensors.end())
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' is missing");
        const auto expectedType = target.scalar_type() == torch::kInt64 ? torch::kInt64 : torch::kFloat32;
        if (it->second.scalar_type() != expectedType)
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' has the wrong type");
        if (it->second.sizes() != target.sizes())
            throw Error("model file '" + path + "' does not match this network: tensor '" + name + "' has shape " +
                        shapeText(it->second.sizes()) + ", expected " + shapeText(target.sizes()));
    }
    if (contents.tensors.size() != state.size()) {
        for (const auto& [name, tensor] : contents.tensors) {
            bool known = false;
            for (const auto& entry : state) known = known || entry.first == name;
            if (!known)
                throw Error("model file '" + path + "' does not match this network: unexpected tensor '" + name +
                            "' (a different architecture?)");
        }
    }

    torch::NoGradGuard noGrad;
    for (auto& [name, target] : state) target.copy_(contents.tensors.at(name));
}

}  // namespace hz
