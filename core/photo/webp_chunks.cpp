#include "core/photo/webp_chunks.h"

#include <webp/mux.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "core/image_io.h"

namespace hz::photo {
namespace {

struct MuxDeleter {
    void operator()(WebPMux* mux) const { WebPMuxDelete(mux); }
};
using MuxPtr = std::unique_ptr<WebPMux, MuxDeleter>;

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot be opened for reading");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

MuxPtr openMux(const std::string& bytes, const std::string& name) {
    WebPData data{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    MuxPtr mux(WebPMuxCreate(&data, /*copy_data=*/1));
    if (!mux) throw Error(name + ": not a readable WebP container");
    return mux;
}

std::string chunk(WebPMux* mux, const char* fourcc) {
    WebPData data{};
    if (WebPMuxGetChunk(mux, fourcc, &data) != WEBP_MUX_OK) return {};
    return std::string(reinterpret_cast<const char*>(data.bytes), data.size);
}

void setChunk(WebPMux* mux, const char* fourcc, const std::string& bytes, const std::string& name) {
    WebPMuxDeleteChunk(mux, fourcc);  // absent is fine
    if (bytes.empty()) return;
    WebPData data{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    if (WebPMuxSetChunk(mux, fourcc, &data, /*copy_data=*/1) != WEBP_MUX_OK)
        throw Error(name + ": could not add the " + std::string(fourcc) + " chunk");
}

}  // namespace

WebpChunks readWebpChunks(const std::string& path) {
    const std::string bytes = readAll(path);
    MuxPtr mux = openMux(bytes, path);
    WebpChunks chunks;
    chunks.icc = chunk(mux.get(), "ICCP");
    chunks.exif = chunk(mux.get(), "EXIF");
    chunks.xmp = chunk(mux.get(), "XMP ");
    // Some writers keep the JPEG APP1 prefix inside the EXIF chunk.
    if (chunks.exif.rfind(std::string("Exif\0\0", 6), 0) == 0) chunks.exif.erase(0, 6);
    return chunks;
}

void writeWebpChunks(const std::string& path, const WebpChunks& chunks, const std::string& displayName) {
    const std::string bytes = readAll(path);
    MuxPtr mux = openMux(bytes, displayName);
    setChunk(mux.get(), "ICCP", chunks.icc, displayName);
    setChunk(mux.get(), "EXIF", chunks.exif, displayName);
    setChunk(mux.get(), "XMP ", chunks.xmp, displayName);
    WebPData assembled{};
    if (WebPMuxAssemble(mux.get(), &assembled) != WEBP_MUX_OK) throw Error(displayName + ": could not assemble the WebP file");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(assembled.bytes), std::streamsize(assembled.size));
    WebPDataClear(&assembled);
    out.flush();
    if (!out) throw Error(displayName + ": cannot be written");
}

}  // namespace hz::photo
