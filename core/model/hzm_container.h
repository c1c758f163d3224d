#pragma once
// The container layer of the .hzm weights file (layout: model_file.h): signature, format
// version, recorded length, checksum, the metadata text and the tensor table, plus copying
// the tensors into a module. It does not interpret the metadata JSON (model_file.cpp does,
// with Qt): this part needs LibTorch only, so that tools built where Qt and OpenCV are
// missing (tools/gpu_check on a GPU machine) read the shipped weights with the same checks.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

namespace hz {

// The layout's constants and helpers, shared by this reader and the writer (model_file.cpp).
namespace hzm {
inline constexpr char kMagic[8] = {'H', 'Z', 'M', 'O', 'D', 'E', 'L', '\0'};
inline constexpr std::uint8_t kFloat32 = 1;  // tensor type codes
inline constexpr std::uint8_t kInt64 = 2;
bool hostIsLittleEndian();
// FNV-1a 64 of the bytes: the file's trailing checksum.
std::uint64_t fnv1a64(const char* data, std::size_t size);
}  // namespace hzm

struct HzmContents {
    std::uint32_t formatVersion = 0;
    std::string metadataJson;                    // UTF-8 JSON text, not parsed here
    std::map<std::string, torch::Tensor> tensors;  // CPU float32 / int64, by LibTorch name
};

// Reads and checks the container (signature, version, length, checksum, bounds of every
// field, duplicate names, trailing bytes). Throws hz::Error naming `path`.
HzmContents readHzmFile(const std::string& path);

// Copies `contents.tensors` into every parameter and buffer of `net` by name, after checking
// that each is present with the right type and shape and that the file has no other tensor.
// On any error (hz::Error naming `path`) `net` is unchanged.
void copyHzmTensors(const HzmContents& contents, torch::nn::Module& net, const std::string& path);

}  // namespace hz
