#pragma once
// Photographs made by the tests themselves: synthesised pixels, an Adobe-RGB-like or Display
// P3 profile built with Little CMS, EXIF/XMP/IPTC written with Exiv2 (PNG's iCCP and eXIf
// chunks with libpng, HEIC/AVIF with libheif), and a reader that looks at outputs with Exiv2
// directly, independently of the code under test.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>
#include <exiv2/webpimage.hpp>
#pragma GCC diagnostic pop
#include <libheif/heif.h>
#include <png.h>
#include <webp/mux.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/photo/colour.h"

namespace hz::test {

inline const char* const kMake = "Harmonizer Test Camera Co.";
inline const char* const kModel = "HZ-1 Mark II";
inline const char* const kDate = "2024:05:17 14:03:21";
inline const char* const kLatitude = "48/1 51/1 2956/100";
inline const char* const kCopyright = "(c) 2024 Test Photographer";
inline const char* const kByline = "Test Photographer";
inline const char* const kCreatorTool = "hz photo fixture";

inline std::string adobeRgbProfile() {
    return photo::makeRgbProfile(photo::kAdobeRgbPrimaries, photo::ToneCurve::Gamma22, "Adobe RGB (1998) compatible");
}
inline std::string displayP3Profile() {
    return photo::makeRgbProfile(photo::kDisplayP3Primaries, photo::ToneCurve::Srgb, "Display P3 compatible");
}

// Smooth colour gradients with a few saturated patches (colours an sRGB file cannot hold
// when the numbers are Adobe RGB), BGR, 8- or 16-bit. Not symmetric, so turns show.
inline cv::Mat syntheticPhoto(cv::Size size, int depth = CV_8U) {
    cv::Mat f(size, CV_32FC3);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) {
            const float u = float(x) / float(size.width - 1), v = float(y) / float(size.height - 1);
            cv::Vec3f bgr(0.2f + 0.6f * v, 0.3f + 0.5f * u * v, 0.15f + 0.8f * u);
            if (x > size.width / 2 && x < size.width * 3 / 4 && y < size.height / 3) bgr = {0.1f, 0.85f, 0.05f};
            if (x < size.width / 5 && y > size.height / 2) bgr = {0.9f, 0.2f, 0.1f};
            f.at<cv::Vec3f>(y, x) = bgr;
        }
    cv::Mat out;
    f.convertTo(out, depth, depth == CV_16U ? 65535.0 : 255.0);
    return out;
}

// A foreground blob in the middle-left: asymmetric, so a turned mask misses it.
inline cv::Mat syntheticMask(cv::Size size) {
    cv::Mat mask(size, CV_8UC1, cv::Scalar(0));
    cv::ellipse(mask, cv::Point(size.width * 2 / 5, size.height / 2), cv::Size(size.width / 5, size.height / 4), 20, 0,
                360, cv::Scalar(255), cv::FILLED);
    return mask;
}

inline Exiv2::ExifData sampleExif(int orientation, cv::Size stored) {
    Exiv2::ExifData exif;
    exif["Exif.Image.Make"] = kMake;
    exif["Exif.Image.Model"] = kModel;
    exif["Exif.Image.Orientation"] = uint16_t(orientation);
    exif["Exif.Image.Copyright"] = kCopyright;
    exif["Exif.Photo.DateTimeOriginal"] = kDate;
    exif["Exif.Photo.PixelXDimension"] = uint32_t(stored.width);
    exif["Exif.Photo.PixelYDimension"] = uint32_t(stored.height);
    exif["Exif.GPSInfo.GPSVersionID"] = "2 3 0 0";
    exif["Exif.GPSInfo.GPSLatitudeRef"] = "N";
    Exiv2::URationalValue latitude;
    latitude.read(kLatitude);
    exif["Exif.GPSInfo.GPSLatitude"] = latitude;
    return exif;
}

inline std::string exifBytes(const Exiv2::ExifData& exif) {
    Exiv2::Blob blob;
    Exiv2::ExifParser::encode(blob, Exiv2::bigEndian, exif);
    return std::string(blob.begin(), blob.end());
}

inline std::string sampleXmp() {
    Exiv2::XmpParser::initialize();
    Exiv2::XmpData xmp;
    xmp["Xmp.xmp.CreatorTool"] = kCreatorTool;
    std::string packet;
    Exiv2::XmpParser::encode(packet, xmp);
    return packet;
}

// PNG written with libpng: the iCCP and eXIf chunks of the PNG specification, XMP as iTXt.
inline void writePngWithChunks(const std::string& path, const cv::Mat& bgr, const std::string& icc,
                               const std::string& exif, const std::string& xmp) {
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot write " + path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(file);
        throw std::runtime_error("libpng failed on " + path);
    }
    png_init_io(png, file);
    const int bits = bgr.depth() == CV_16U ? 16 : 8;
    png_set_IHDR(png, info, png_uint_32(bgr.cols), png_uint_32(bgr.rows), bits, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (!icc.empty())
        png_set_iCCP(png, info, "icc", PNG_COMPRESSION_TYPE_BASE, reinterpret_cast<png_const_bytep>(icc.data()),
                     png_uint_32(icc.size()));
    std::string exifCopy = exif;
    if (!exif.empty()) png_set_eXIf_1(png, info, png_uint_32(exifCopy.size()), reinterpret_cast<png_bytep>(exifCopy.data()));
    std::string xmpCopy = xmp;
    png_text text{};
    if (!xmp.empty()) {
        text.compression = PNG_ITXT_COMPRESSION_NONE;
        text.key = const_cast<char*>("XML:com.adobe.xmp");
        text.text = xmpCopy.data();
        text.itxt_length = xmpCopy.size();
        png_set_text(png, info, &text, 1);
    }
    png_write_info(png, info);
    if (bits == 16) png_set_swap(png);  // our samples are little-endian in memory
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    for (int y = 0; y < rgb.rows; ++y) png_write_row(png, rgb.ptr(y));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
}

// HEIC (x265) or AVIF (aom) written with libheif, with an ICC profile, EXIF and XMP.
inline void writeHeif(const std::string& path, const cv::Mat& bgr, bool avif, const std::string& icc,
                      const std::string& exif, const std::string& xmp) {
    heif_context* context = heif_context_alloc();
    heif_encoder* encoder = nullptr;
    auto check = [&](heif_error e) {
        if (e.code != heif_error_Ok) throw std::runtime_error(path + ": libheif: " + e.message);
    };
    check(heif_context_get_encoder_for_format(context, avif ? heif_compression_AV1 : heif_compression_HEVC, &encoder));
    heif_encoder_set_lossy_quality(encoder, 92);
    if (avif) heif_encoder_set_parameter(encoder, "speed", "8");
    heif_image* image = nullptr;
    check(heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &image));
    check(heif_image_add_plane(image, heif_channel_interleaved, bgr.cols, bgr.rows, 8));
    int stride = 0;
    uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    for (int y = 0; y < rgb.rows; ++y) std::memcpy(plane + std::size_t(y) * std::size_t(stride), rgb.ptr(y), std::size_t(rgb.cols) * 3);
    if (!icc.empty()) check(heif_image_set_raw_color_profile(image, "prof", icc.data(), icc.size()));
    heif_image_handle* handle = nullptr;
    check(heif_context_encode_image(context, image, encoder, nullptr, &handle));
    if (!exif.empty()) check(heif_context_add_exif_metadata(context, handle, exif.data(), int(exif.size())));
    if (!xmp.empty()) check(heif_context_add_XMP_metadata(context, handle, xmp.data(), int(xmp.size())));
    check(heif_context_write_to_file(context, path.c_str()));
    heif_image_handle_release(handle);
    heif_image_release(image);
    heif_encoder_release(encoder);
    heif_context_free(context);
}

// WebP with ICCP, EXIF and XMP chunks through libwebpmux (Exiv2 0.27 names the ICC chunk wrongly).
inline void writeWebpWithChunks(const std::string& path, const cv::Mat& bgr, const std::string& icc,
                                const std::string& exif, const std::string& xmp) {
    std::vector<uchar> bytes;
    if (!cv::imencode(".webp", bgr, bytes, {cv::IMWRITE_WEBP_QUALITY, 101})) throw std::runtime_error("cannot encode " + path);
    WebPData image{bytes.data(), bytes.size()};
    WebPMux* mux = WebPMuxCreate(&image, 1);
    const auto set = [&](const char* fourcc, const std::string& data) {
        if (data.empty()) return;
        WebPData chunk{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
        WebPMuxSetChunk(mux, fourcc, &chunk, 1);
    };
    set("ICCP", icc);
    set("EXIF", exif);
    set("XMP ", xmp);
    WebPData out{};
    WebPMuxAssemble(mux, &out);
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot write " + path);
    std::fwrite(out.bytes, 1, out.size, file);
    std::fclose(file);
    WebPDataClear(&out);
    WebPMuxDelete(mux);
}

// A photo in `path`'s format (by its extension, or `format` when given: "jpg" "png" "tif"
// "webp" "heic" "avif"), stored pixels `stored`, with `icc`, full EXIF (orientation
// `orientation`), XMP, and IPTC where the format has it.
inline void writePhoto(const std::string& path, const cv::Mat& stored, const std::string& icc, int orientation,
                       std::string format = {}) {
    if (format.empty()) format = path.substr(path.rfind('.') + 1);
    const Exiv2::ExifData exif = sampleExif(orientation, stored.size());
    if (format == "png") return writePngWithChunks(path, stored, icc, exifBytes(exif), sampleXmp());
    if (format == "heic" || format == "avif") return writeHeif(path, stored, format == "avif", icc, exifBytes(exif), sampleXmp());
    if (format == "webp") return writeWebpWithChunks(path, stored, icc, exifBytes(exif), sampleXmp());
    std::vector<uchar> bytes;
    const std::vector<int> params = format == "webp" ? std::vector<int>{cv::IMWRITE_WEBP_QUALITY, 101}
                                                      : std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 95};
    if (!cv::imencode("." + format, stored, bytes, params)) throw std::runtime_error("cannot encode " + path);
    auto image = Exiv2::ImageFactory::open(bytes.data(), long(bytes.size()));
    image->readMetadata();
    for (const auto& d : exif) image->exifData()[d.key()].setValue(&d.value());
    Exiv2::XmpParser::decode(image->xmpData(), sampleXmp());
    if (format != "webp") image->iptcData()["Iptc.Application2.Byline"] = kByline;
    if (!icc.empty()) {
        Exiv2::DataBuf buf(reinterpret_cast<const Exiv2::byte*>(icc.data()), long(icc.size()));
        image->setIccProfile(buf);
    }
    image->writeMetadata();
    Exiv2::BasicIo& io = image->io();
    io.open();
    Exiv2::DataBuf all = io.read(long(io.size()));
    io.close();
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot write " + path);
    std::fwrite(all.pData_, 1, std::size_t(all.size_), file);
    std::fclose(file);
}

// The iCCP profile as libpng (and so most viewers) reads it; libpng drops an iCCP chunk
// whose profile name is invalid.
inline std::string pngIccByLibpng(const std::string& path) {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return {};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    std::string* icc = new std::string;  // survives the longjmp
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, file);
        png_read_info(png, info);
        png_charp name = nullptr;
        int compression = 0;
        png_bytep profile = nullptr;
        png_uint_32 length = 0;
        if (png_get_iCCP(png, info, &name, &compression, &profile, &length) == PNG_INFO_iCCP)
            icc->assign(reinterpret_cast<const char*>(profile), length);
    }
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(file);
    std::string result = *icc;
    delete icc;
    return result;
}

// What an output carries, read with Exiv2 (ICC of PNG and WebP with their own libraries).
struct ReadBack {
    std::string icc, make, model, date, latitude, copyright, creatorTool, byline;
    long orientation = 0;  // 0: no tag
    long pixelX = 0, pixelY = 0;
};

inline std::string exifText(const Exiv2::ExifData& exif, const char* key) {
    const auto it = exif.findKey(Exiv2::ExifKey(key));
    return it == exif.end() ? std::string() : it->toString();
}

inline ReadBack readBack(const std::string& path) {
    Exiv2::XmpParser::initialize();
    ReadBack out;
    auto image = Exiv2::ImageFactory::open(path);
    image->readMetadata();
    if (image->iccProfileDefined())
        out.icc.assign(reinterpret_cast<const char*>(image->iccProfile()->pData_), std::size_t(image->iccProfile()->size_));
    if (image->imageType() == Exiv2::ImageType::png) out.icc = pngIccByLibpng(path);
    if (image->imageType() == Exiv2::ImageType::webp) {  // the ICCP chunk, read by WebP's library
        std::vector<char> bytes;
        if (FILE* file = std::fopen(path.c_str(), "rb")) {
            char buffer[65536];
            for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) bytes.insert(bytes.end(), buffer, buffer + n);
            std::fclose(file);
        }
        WebPData data{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
        WebPMux* mux = WebPMuxCreate(&data, 0);
        WebPData icc{};
        out.icc.clear();
        if (mux && WebPMuxGetChunk(mux, "ICCP", &icc) == WEBP_MUX_OK) out.icc.assign(reinterpret_cast<const char*>(icc.bytes), icc.size);
        if (mux) WebPMuxDelete(mux);
    }
    const Exiv2::ExifData& exif = image->exifData();
    out.make = exifText(exif, "Exif.Image.Make");
    out.model = exifText(exif, "Exif.Image.Model");
    out.date = exifText(exif, "Exif.Photo.DateTimeOriginal");
    out.latitude = exifText(exif, "Exif.GPSInfo.GPSLatitude");
    out.copyright = exifText(exif, "Exif.Image.Copyright");
    if (const auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation")); it != exif.end()) out.orientation = it->toLong();
    if (const auto it = exif.findKey(Exiv2::ExifKey("Exif.Photo.PixelXDimension")); it != exif.end()) out.pixelX = it->toLong();
    if (const auto it = exif.findKey(Exiv2::ExifKey("Exif.Photo.PixelYDimension")); it != exif.end()) out.pixelY = it->toLong();
    if (const auto it = image->xmpData().findKey(Exiv2::XmpKey("Xmp.xmp.CreatorTool")); it != image->xmpData().end())
        out.creatorTool = it->toString();
    if (const auto it = image->iptcData().findKey(Exiv2::IptcKey("Iptc.Application2.Byline")); it != image->iptcData().end())
        out.byline = it->toString();
    return out;
}

}  // namespace hz::test
