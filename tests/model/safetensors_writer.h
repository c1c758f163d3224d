#pragma once
// A small, independent writer of the safetensors layout for tests (8-byte little-endian header
// length, JSON header, raw data), so that the reader is checked against the format itself
// and not against its own code.
#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace hz::test {

inline std::string safetensorsDtype(const torch::Tensor& t) {
    if (t.scalar_type() == torch::kFloat32) return "F32";
    if (t.scalar_type() == torch::kInt64) return "I64";
    if (t.scalar_type() == torch::kFloat64) return "F64";
    throw std::runtime_error("test writer: unsupported dtype");
}

// `headerPatch(json)` may rewrite the header text (to make damaged files).
inline std::string safetensorsBytes(const std::map<std::string, torch::Tensor>& tensors,
                                    const std::map<std::string, std::string>& metadata = {}) {
    std::ostringstream header;
    std::string data;
    header << "{";
    bool first = true;
    if (!metadata.empty()) {
        header << "\"__metadata__\":{";
        bool firstMeta = true;
        for (const auto& [key, value] : metadata) {
            header << (firstMeta ? "" : ",") << "\"" << key << "\":\"" << value << "\"";
            firstMeta = false;
        }
        header << "}";
        first = false;
    }
    for (const auto& [name, tensorIn] : tensors) {
        const auto tensor = tensorIn.contiguous();
        const std::size_t begin = data.size();
        data.append(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());
        header << (first ? "" : ",") << "\"" << name << "\":{\"dtype\":\"" << safetensorsDtype(tensor) << "\",\"shape\":[";
        for (std::int64_t d = 0; d < tensor.dim(); ++d) header << (d ? "," : "") << tensor.size(d);
        header << "],\"data_offsets\":[" << begin << "," << data.size() << "]}";
        first = false;
    }
    header << "}";
    std::string json = header.str();
    while (json.size() % 8) json += ' ';  // the format pads the header with spaces
    std::string bytes(8, '\0');
    std::uint64_t length = json.size();
    for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((length >> (8 * i)) & 0xff);
    return bytes + json + data;
}

inline void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace hz::test
