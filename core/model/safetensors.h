#pragma once
// Reader of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets:
// [begin, end]}, "__metadata__": {string: string}}`, then the raw little-endian tensor data,
// offsets relative to the end of the header. Used to start training from published weights.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

namespace hz {

struct SafeTensors {
    std::map<std::string, torch::Tensor> tensors;       // float32 / float64 / int64 / int32 / uint8, CPU, contiguous
    std::map<std::string, std::string> metadata;        // "__metadata__"
};

// Everything is checked before a tensor is made: the header's length and JSON, each entry's
// dtype, shape and offsets (inside the data, exactly shape x element size bytes, no overlap).
// Throws hz::Error naming the file and the problem. Files over `maxBytes` are refused unread.
SafeTensors readSafeTensors(const std::string& path, std::uint64_t maxBytes = std::uint64_t(4) << 30);

}  // namespace hz
