#include "core/photo/heif_io.h"

#include <libheif/heif.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>

#include "core/image_io.h"
#include "core/photo/colour.h"

namespace hz::photo {
namespace {

struct ContextDeleter {
    void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HandleDeleter {
    void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct ImageDeleter {
    void operator()(heif_image* i) const { heif_image_release(i); }
};

void check(const heif_error& error, const std::string& path, const char* what) {
    if (error.code != heif_error_Ok) throw Error(path + ": " + what + " (" + error.message + ")");
}

std::string metadataItem(const heif_image_handle* handle, const char* type, const char* contentType) {
    const int count = heif_image_handle_get_number_of_metadata_blocks(handle, type);
    if (count <= 0) return {};
    std::vector<heif_item_id> ids(static_cast<std::size_t>(count));
    heif_image_handle_get_list_of_metadata_block_IDs(handle, type, ids.data(), count);
    for (const heif_item_id id : ids) {
        if (contentType && std::string(heif_image_handle_get_metadata_content_type(handle, id)) != contentType) continue;
        std::string bytes(heif_image_handle_get_metadata_size(handle, id), '\0');
        if (heif_image_handle_get_metadata(handle, id, bytes.data()).code != heif_error_Ok) continue;
        return bytes;
    }
    return {};
}

// CICP colour (usual in AVIF) as an ICC profile, so that the exports carry it and the
// network sees sRGB; sRGB itself (and "unspecified") needs none.
std::string profileFromNclx(const heif_color_profile_nclx& nclx, std::vector<std::string>& warnings,
                            const std::string& path) {
    const bool srgbPrimaries = nclx.color_primaries == heif_color_primaries_ITU_R_BT_709_5 ||
                               nclx.color_primaries == heif_color_primaries_unspecified;
    ToneCurve curve = ToneCurve::Srgb;
    switch (nclx.transfer_characteristics) {
        case heif_transfer_characteristic_IEC_61966_2_1:
        case heif_transfer_characteristic_unspecified: curve = ToneCurve::Srgb; break;
        case heif_transfer_characteristic_ITU_R_BT_709_5:
        case heif_transfer_characteristic_ITU_R_BT_601_6:
        case heif_transfer_characteristic_ITU_R_BT_2020_2_10bit:
        case heif_transfer_characteristic_ITU_R_BT_2020_2_12bit: curve = ToneCurve::Bt709; break;
        case heif_transfer_characteristic_ITU_R_BT_470_6_System_M: curve = ToneCurve::Gamma22; break;
        case heif_transfer_characteristic_ITU_R_BT_470_6_System_B_G: curve = ToneCurve::Gamma28; break;
        case heif_transfer_characteristic_linear: curve = ToneCurve::Linear; break;
        default:
            warnings.push_back(path + ": HDR transfer curve (CICP " + std::to_string(int(nclx.transfer_characteristics)) +
                               ") is not supported; the image is treated as SDR sRGB");
            return {};
    }
    if (srgbPrimaries && curve == ToneCurve::Srgb) return {};
    Primaries primaries = kSrgbPrimaries;
    if (!srgbPrimaries)
        primaries = {nclx.color_primary_red_x,   nclx.color_primary_red_y,   nclx.color_primary_green_x,
                     nclx.color_primary_green_y, nclx.color_primary_blue_x,  nclx.color_primary_blue_y,
                     nclx.color_primary_white_x, nclx.color_primary_white_y};
    return makeRgbProfile(primaries, curve, "CICP " + std::to_string(int(nclx.color_primaries)) + "/" +
                                                std::to_string(int(nclx.transfer_characteristics)));
}

}  // namespace

bool isHeifFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char head[64] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const int got = int(in.gcount());
    if (got < 12) return false;
    const heif_filetype_result kind = heif_check_filetype(head, got);
    return kind == heif_filetype_yes_supported || kind == heif_filetype_yes_unsupported;
}

namespace {

using Handle = std::unique_ptr<heif_image_handle, HandleDeleter>;

// Reading the context parses the boxes only; nothing is decoded yet.
Handle primaryImage(heif_context* context, const std::string& path) {
    check(heif_context_read_from_file(context, path.c_str(), nullptr), path, "not a readable HEIF/AVIF image");
    heif_image_handle* rawHandle = nullptr;
    check(heif_context_get_primary_image_handle(context, &rawHandle), path, "has no primary image");
    return Handle(rawHandle);
}

cv::Size handleSize(const heif_image_handle* handle) {
    return {heif_image_handle_get_width(handle), heif_image_handle_get_height(handle)};
}

// The pixel limit of image_io, from the container's declared size, before decoding.
void checkPixelLimit(const std::string& path, cv::Size size) {
    const std::uint64_t pixels = std::uint64_t(std::max(size.width, 0)) * std::uint64_t(std::max(size.height, 0));
    if (pixels == 0) throw Error(path + ": image has no pixels");
    if (pixels > maxImagePixels())
        throw Error(path + ": image is " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                    ", over the limit of " + std::to_string(maxImagePixels() / 1000000) +
                    " MP (raise it with --max-megapixels or HARMONIZER_MAX_MEGAPIXELS)");
}

}  // namespace

cv::Size heifSize(const std::string& path) {
    std::unique_ptr<heif_context, ContextDeleter> context(heif_context_alloc());
    return handleSize(primaryImage(context.get(), path).get());
}

HeifPhoto decodeHeif(const std::string& path) {
    std::unique_ptr<heif_context, ContextDeleter> context(heif_context_alloc());
    const Handle handle = primaryImage(context.get(), path);
    checkPixelLimit(path, handleSize(handle.get()));

    const int bits = heif_image_handle_get_luma_bits_per_pixel(handle.get());
    const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
    const bool deep = bits > 8;
    const heif_chroma chroma = deep ? (alpha ? heif_chroma_interleaved_RRGGBBAA_LE : heif_chroma_interleaved_RRGGBB_LE)
                                    : (alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB);
    heif_image* rawImage = nullptr;
    // Default options apply the container's rotation and mirroring (irot/imir), which is
    // what HEIF readers must do; the EXIF orientation of a HEIF file is informative only.
    check(heif_decode_image(handle.get(), &rawImage, heif_colorspace_RGB, chroma, nullptr), path,
          "cannot be decoded (is the HEVC/AV1 decoder installed?)");
    std::unique_ptr<heif_image, ImageDeleter> image(rawImage);

    const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
    const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
    int stride = 0;
    const uint8_t* data = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
    if (!data || width <= 0 || height <= 0) throw Error(path + ": decoded HEIF/AVIF image has no pixels");
    const int channels = alpha ? 4 : 3;
    HeifPhoto photo;
    const cv::Mat view(height, width, CV_MAKETYPE(deep ? CV_16U : CV_8U, channels), const_cast<uint8_t*>(data),
                       std::size_t(stride));
    cv::Mat pixels;
    if (deep) {
        const int plane = heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved);
        const double maxValue = double((1 << (plane > 0 ? plane : bits)) - 1);
        view.convertTo(pixels, CV_16U, 65535.0 / maxValue);  // 10/12-bit -> the full 16-bit range
    } else {
        pixels = view.clone();
    }
    cv::cvtColor(pixels, photo.pixels, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);

    std::string icc;
    if (const std::size_t size = heif_image_handle_get_raw_color_profile_size(handle.get()); size > 0) {
        icc.assign(size, '\0');
        if (heif_image_handle_get_raw_color_profile(handle.get(), icc.data()).code != heif_error_Ok) icc.clear();
    }
    if (icc.empty()) {
        heif_color_profile_nclx* nclx = nullptr;
        if (heif_image_handle_get_nclx_color_profile(handle.get(), &nclx).code == heif_error_Ok && nclx) {
            icc = profileFromNclx(*nclx, photo.warnings, path);
            heif_nclx_color_profile_free(nclx);
        }
    }
    std::string exif = metadataItem(handle.get(), "Exif", nullptr);
    // An EXIF item starts with the 4-byte offset of its TIFF header.
    if (exif.size() >= 4) {
        const uint32_t offset = (uint32_t(uint8_t(exif[0])) << 24) | (uint32_t(uint8_t(exif[1])) << 16) |
                                (uint32_t(uint8_t(exif[2])) << 8) | uint32_t(uint8_t(exif[3]));
        exif = offset <= exif.size() - 4 ? exif.substr(4 + offset) : std::string();
    } else {
        exif.clear();
    }
    const std::string xmp = metadataItem(handle.get(), "mime", "application/rdf+xml");
    photo.metadata = metadataFromBlocks(exif, xmp, icc);
    return photo;
}

}  // namespace hz::photo
