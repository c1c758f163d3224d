#include "image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

// The decoders' own libraries, for what OpenCV hides: the image size from the header alone
// (so that a tiny file declaring 32768x32768 is refused before anything is allocated) and
// libjpeg's warnings (OpenCV's decoder fills a cut or corrupt JPEG with grey and says nothing).
#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>
#include <webp/decode.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/photo/heif_io.h"
#include "core/photo/orientation.h"

namespace fs = std::filesystem;

namespace hz {
namespace {

// ---------------------------------------------------------------------------------------
// Limits

std::uint64_t defaultPixelLimit() {
    if (const char* text = std::getenv("HARMONIZER_MAX_MEGAPIXELS")) {
        char* end = nullptr;
        const double mp = std::strtod(text, &end);
        if (end != text && *end == '\0' && mp > 0 && mp <= 1e6) return std::uint64_t(mp * 1e6);
    }
    return kDefaultMaxImagePixels;
}

std::atomic<std::uint64_t>& pixelLimit() {
    static std::atomic<std::uint64_t> limit{defaultPixelLimit()};
    return limit;
}

std::string megapixels(std::uint64_t pixels) {
    char text[32];
    const double mp = double(pixels) / 1e6;
    std::snprintf(text, sizeof text, mp >= 10 ? "%.0f MP" : "%.2f MP", mp);
    return text;
}

std::string sizeText(cv::Size size) { return std::to_string(size.width) + "x" + std::to_string(size.height); }

// ---------------------------------------------------------------------------------------
// Temporaries in progress, so that a signal handler can delete them (see
// removePendingTemporaries). Fixed slots of plain chars: the handler may only unlink().

constexpr int kSlots = 16;
constexpr int kSlotBytes = 4096;
char g_pending[kSlots][kSlotBytes];
std::atomic<bool> g_slotUsed[kSlots];

int registerTemporary(const std::string& path) {
    if (path.size() >= std::size_t(kSlotBytes)) return -1;
    for (int i = 0; i < kSlots; ++i) {
        bool expected = false;
        if (g_slotUsed[i].compare_exchange_strong(expected, true)) {
            std::memcpy(g_pending[i], path.c_str(), path.size() + 1);
            return i;
        }
    }
    return -1;
}

void unregisterTemporary(int slot) {
    if (slot < 0) return;
    g_pending[slot][0] = '\0';
    g_slotUsed[slot].store(false);
}

// A hidden sibling of `target` whose name always fits NAME_MAX, created exclusively. The
// target's name is kept as far as it fits so that a stray temporary is recognisable.
struct Temporary {
    std::string path;
    int fd = -1;
    int slot = -1;
    ~Temporary() {
        if (fd >= 0) ::close(fd);
        if (!path.empty()) ::unlink(path.c_str());
        unregisterTemporary(slot);
    }
    void release() {  // after the rename: nothing left to delete
        unregisterTemporary(slot);
        slot = -1;
        path.clear();
    }
};

void openTemporary(const fs::path& target, Temporary& temp) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::string name = target.filename().string();
    for (int attempt = 0; attempt < 100; ++attempt) {
        const std::string suffix = ".hz" + std::to_string(::getpid() % 100000) + "-" +
                                   std::to_string(counter++ % 1000) + "-" + std::to_string(rd() % 10000) + ".tmp";
        const std::size_t room = 255 - 1 - suffix.size();
        const std::string tmpName = "." + name.substr(0, std::min(name.size(), room)) + suffix;
        const std::string candidate = (folder / tmpName).string();
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            temp.slot = registerTemporary(candidate);
            temp.path = candidate;
            temp.fd = fd;
            return;
        }
        if (errno != EEXIST)
            throw Error(target.string() + ": cannot create a temporary file in " + folder.string() + " (" +
                        std::strerror(errno) + ")");
    }
    throw Error(target.string() + ": cannot create a temporary file in " + folder.string());
}

void requireWritableFolder(const fs::path& target) {
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    if (!fs::exists(folder, ec)) throw Error(target.string() + ": folder " + folder.string() + " does not exist");
    if (!fs::is_directory(folder, ec)) throw Error(target.string() + ": " + folder.string() + " is not a folder");
    if (::access(folder.c_str(), W_OK) != 0)
        throw Error(target.string() + ": folder " + folder.string() + " is not writable");
    if (fs::is_directory(target, ec)) throw Error(target.string() + ": is a directory");
    if (fs::exists(target, ec) && !fs::is_regular_file(target, ec))
        throw Error(target.string() + ": exists and is not a regular file");
    if (target.filename().string().size() > 255) throw Error(target.string() + ": file name is too long");
}

// Writes all of `bytes` to the temporary, makes it durable, gives it the permission bits of
// the file it replaces, checks its size, then renames it over `path` and syncs the folder.
// Any failure leaves `path` as it was.
void commitBytes(const std::string& path, const std::string& bytes) {
    Temporary temp;
    openTemporary(path, temp);
    const char* data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(temp.fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = n < 0 ? errno : ENOSPC;
            throw Error(path + ": cannot be written (" + std::strerror(err) + "); the previous file, if any, is kept");
        }
        data += n;
        left -= std::size_t(n);
    }
    struct stat existing{};
    if (::stat(path.c_str(), &existing) == 0) {
        ::fchmod(temp.fd, existing.st_mode & 07777);
        if (::geteuid() == 0) (void)::fchown(temp.fd, existing.st_uid, existing.st_gid);
    }
    if (::fsync(temp.fd) != 0)
        throw Error(path + ": cannot be written (" + std::strerror(errno) + "); the previous file, if any, is kept");
    struct stat written{};
    if (::fstat(temp.fd, &written) != 0 || std::uint64_t(written.st_size) != bytes.size())
        throw Error(path + ": the written file is incomplete; the previous file, if any, is kept");
    const int fd = temp.fd;
    temp.fd = -1;
    if (::close(fd) != 0)
        throw Error(path + ": cannot be written (" + std::strerror(errno) + "); the previous file, if any, is kept");
    if (::rename(temp.path.c_str(), path.c_str()) != 0)
        throw Error(path + ": cannot be written (" + std::strerror(errno) + ")");
    temp.release();
    const fs::path folder = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
    const int dirFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

// The photo's metadata (photo::writeMetadata) into the encoded `bytes`. The photo writers
// (Exiv2, libpng, libwebpmux) edit files, so the bytes make a round trip through a private
// file (mode 0600) in the system's temporary folder, never next to the output: the output
// itself is still only written by commitBytes, and a failure leaves nothing behind.
void addMetadata(std::string& bytes, const std::string& path, cv::Size size, const WriteOptions& options) {
    const photo::PhotoMetadata& m = options.metadata;
    const bool blocks = !options.stripMetadata && (!m.exif.empty() || !m.xmp.empty() || !m.iptc.empty());
    if (!blocks && m.icc.empty()) return;  // writeMetadata would change nothing
    std::error_code ec;
    fs::path folder = fs::temp_directory_path(ec);
    if (ec) folder = "/tmp";
    std::string name = (folder / "hz-metadata-XXXXXX").string();
    Temporary temp;
    temp.fd = ::mkstemp(name.data());
    if (temp.fd < 0)
        throw Error(path + ": cannot create a temporary file in " + folder.string() + " for the metadata (" +
                    std::strerror(errno) + ")");
    temp.path = name;
    temp.slot = registerTemporary(name);
    const char* data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(temp.fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw Error(path + ": cannot write a temporary file in " + folder.string() + " for the metadata (" +
                        std::strerror(n < 0 ? errno : ENOSPC) + "); the previous file, if any, is kept");
        data += n;
        left -= std::size_t(n);
    }
    const int fd = temp.fd;
    temp.fd = -1;
    if (::close(fd) != 0)
        throw Error(path + ": cannot write a temporary file in " + folder.string() + " for the metadata (" +
                    std::strerror(errno) + "); the previous file, if any, is kept");
    photo::writeMetadata(temp.path, m, size, {options.stripMetadata}, path);
    // Generous: the metadata blocks, plus room for a PNG that libpng wrote out again.
    const std::size_t limit =
        2 * bytes.size() + m.exif.size() + m.xmp.size() + m.iptc.size() + m.icc.size() + (std::size_t(64) << 20);
    bytes = readFileBounded(temp.path, limit);
    if (bytes.empty()) throw Error(path + ": writing the metadata left an empty image");
}  // ~Temporary deletes the private file

// ---------------------------------------------------------------------------------------
// Reading

enum class Format { Unknown, Jpeg, Png, Tiff, Webp, Bmp };

Format sniff(const std::string& bytes) {
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Format::Jpeg;
    if (n >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return Format::Png;
    if (n >= 4 && (std::memcmp(b, "II*\0", 4) == 0 || std::memcmp(b, "MM\0*", 4) == 0)) return Format::Tiff;
    if (n >= 12 && std::memcmp(b, "RIFF", 4) == 0 && std::memcmp(b + 8, "WEBP", 4) == 0) return Format::Webp;
    if (n >= 26 && b[0] == 'B' && b[1] == 'M') return Format::Bmp;
    return Format::Unknown;
}

// libjpeg reports through longjmp; a warning (corrupt data, premature end) is an error here.
struct JpegErrors {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpegFail(j_common_ptr info) {
    auto* errors = reinterpret_cast<JpegErrors*>(info->err);
    (*info->err->format_message)(info, errors->message);
    std::longjmp(errors->jump, 1);
}

void jpegMessage(j_common_ptr info, int level) {
    if (level < 0) jpegFail(info);  // warnings: the data is damaged
}

// Reads the header (`fully` false) or decodes every scan at 1/8 scale (`fully` true: the
// entropy-coded data is read completely, which is where damage shows, for a fraction of a
// full decode). Returns the size; throws naming `path`.
cv::Size checkJpeg(const std::string& path, const std::string& bytes, bool fully) {
    jpeg_decompress_struct info{};
    JpegErrors errors{};
    info.err = jpeg_std_error(&errors.mgr);
    errors.mgr.error_exit = jpegFail;
    errors.mgr.emit_message = jpegMessage;
    std::vector<unsigned char> row;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&info);
        throw Error(path + ": damaged JPEG (" + errors.message + ")");
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    const cv::Size size(int(info.image_width), int(info.image_height));
    if (fully) {
        info.scale_num = 1;
        info.scale_denom = 8;
        info.dct_method = JDCT_IFAST;
        info.do_fancy_upsampling = FALSE;
        jpeg_start_decompress(&info);
        row.resize(std::size_t(info.output_width) * std::size_t(info.output_components));
        JSAMPROW rows[1] = {row.data()};
        while (info.output_scanline < info.output_height) jpeg_read_scanlines(&info, rows, 1);
        jpeg_finish_decompress(&info);
    }
    jpeg_destroy_decompress(&info);
    return size;
}

cv::Size pngSize(const std::string& path, const std::string& bytes) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
        const std::string why = image.message;
        png_image_free(&image);
        throw Error(path + ": damaged PNG (" + why + ")");
    }
    const cv::Size size(int(std::min<png_uint_32>(image.width, 1u << 30)), int(std::min<png_uint_32>(image.height, 1u << 30)));
    png_image_free(&image);
    return size;
}

// libtiff reads through callbacks; these serve it the bytes already in memory.
struct TiffMemory {
    const std::string* bytes;
    toff_t position = 0;
};
tsize_t tiffRead(thandle_t h, tdata_t buffer, tsize_t size) {
    auto* m = static_cast<TiffMemory*>(h);
    const toff_t left = m->position < m->bytes->size() ? m->bytes->size() - m->position : 0;
    const toff_t n = std::min<toff_t>(left, toff_t(size));
    std::memcpy(buffer, m->bytes->data() + m->position, n);
    m->position += n;
    return tsize_t(n);
}
tsize_t tiffWrite(thandle_t, tdata_t, tsize_t) { return 0; }
toff_t tiffSeek(thandle_t h, toff_t offset, int whence) {
    auto* m = static_cast<TiffMemory*>(h);
    const toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->position : m->bytes->size();
    m->position = base + offset;
    return m->position;
}
int tiffClose(thandle_t) { return 0; }
toff_t tiffSize(thandle_t h) { return static_cast<TiffMemory*>(h)->bytes->size(); }
int tiffMap(thandle_t, tdata_t*, toff_t*) { return 0; }
void tiffUnmap(thandle_t, tdata_t, toff_t) {}
void tiffSilent(const char*, const char*, va_list) {}

cv::Size tiffSize(const std::string& path, const std::string& bytes) {
    // libtiff prints warnings about unknown tags to stderr by default: not ours to show.
    static std::once_flag silenced;
    std::call_once(silenced, [] {
        TIFFSetWarningHandler(tiffSilent);
        TIFFSetErrorHandler(tiffSilent);
    });
    TiffMemory memory{&bytes};
    TIFF* tiff = TIFFClientOpen(path.c_str(), "rm", &memory, tiffRead, tiffWrite, tiffSeek, tiffClose, tiffSize,
                                tiffMap, tiffUnmap);
    if (!tiff) throw Error(path + ": damaged TIFF (cannot read its header)");
    uint32_t width = 0, height = 0;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height);
    TIFFClose(tiff);
    if (width == 0 || height == 0) throw Error(path + ": damaged TIFF (no image size)");
    return {int(std::min<uint32_t>(width, 1u << 30)), int(std::min<uint32_t>(height, 1u << 30))};
}

cv::Size webpSize(const std::string& path, const std::string& bytes) {
    int width = 0, height = 0;
    if (!WebPGetInfo(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &width, &height))
        throw Error(path + ": damaged WebP (cannot read its header)");
    return {width, height};
}

cv::Size bmpSize(const std::string& bytes) {
    // BITMAPINFOHEADER: width and height are little-endian int32 at offsets 18 and 22
    // (height negative for top-down images).
    auto le32 = [&](std::size_t at) {
        const auto* b = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
        return std::int32_t(std::uint32_t(b[0]) | std::uint32_t(b[1]) << 8 | std::uint32_t(b[2]) << 16 |
                            std::uint32_t(b[3]) << 24);
    };
    const std::int64_t w = le32(18), h = le32(22);
    return {int(std::min<std::int64_t>(std::abs(w), 1 << 30)), int(std::min<std::int64_t>(std::abs(h), 1 << 30))};
}

void checkPixelLimit(const std::string& path, cv::Size size) {
    const std::uint64_t pixels = std::uint64_t(size.width) * std::uint64_t(size.height);
    if (size.width <= 0 || size.height <= 0) throw Error(path + ": image has no pixels (" + sizeText(size) + ")");
    if (pixels > maxImagePixels())
        throw Error(path + ": image is " + sizeText(size) + " (" + megapixels(pixels) + "), over the limit of " +
                    megapixels(maxImagePixels()) + " (raise it with --max-megapixels or HARMONIZER_MAX_MEGAPIXELS)");
}

// The most bytes an image file may have before it is read: generous for uncompressed
// 16-bit TIFF at the pixel limit.
std::uint64_t maxImageFileBytes() { return maxImagePixels() * 8 + (64u << 20); }

cv::Size headerSize(const std::string& path, const std::string& bytes, Format format) {
    switch (format) {
        case Format::Jpeg: return checkJpeg(path, bytes, false);
        case Format::Png: return pngSize(path, bytes);
        case Format::Tiff: return tiffSize(path, bytes);
        case Format::Webp: return webpSize(path, bytes);
        case Format::Bmp: return bmpSize(bytes);
        case Format::Unknown: break;
    }
    throw Error(path + ": not a readable image (unsupported format: not JPEG, PNG, TIFF, WebP, BMP, HEIF or AVIF)");
}

// PNG through libpng itself: OpenCV's decoder lets libpng print "libpng error: ..." lines
// that name no file. Same result as OpenCV's IMREAD_UNCHANGED: 8/16-bit, gray (1 channel),
// BGR (3) or BGRA (4, also for gray+alpha and transparency chunks); no gamma applied.
// Warnings are common in good files and ignored; errors, benign ones included (missing or
// extra image data), fail naming the file, except libpng's known-incorrect sRGB profile check.
struct PngReader {
    std::jmp_buf jump;
    std::string message;
    const std::string* bytes = nullptr;
    std::size_t position = 0;
};

void pngFail(png_structp png, png_const_charp message) {
    auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
    reader->message = message ? message : "unknown error";
    std::longjmp(reader->jump, 1);
}
void pngWarn(png_structp, png_const_charp) {}
void pngRead(png_structp png, png_bytep out, png_size_t length) {
    auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
    if (reader->position + length > reader->bytes->size()) png_error(png, "file ends early (truncated)");
    std::memcpy(out, reader->bytes->data() + reader->position, length);
    reader->position += length;
}

cv::Mat decodePng(const std::string& path, const std::string& bytes) {
    PngReader reader;
    reader.bytes = &bytes;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, pngFail, pngWarn);
    if (!png) throw Error(path + ": out of memory reading the PNG");
    png_infop info = png_create_info_struct(png);
    cv::Mat image;
    std::vector<png_bytep> rows;
    if (setjmp(reader.jump)) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw Error(path + ": damaged PNG (" + reader.message + ")");
    }
    if (!info) png_error(png, "out of memory");
    png_set_read_fn(png, &reader, pngRead);
    png_set_benign_errors(png, 0);
    // libpng 1.6 reports the ICC profiles it knows to be slightly wrong copies of sRGB (common
    // in files from older Photoshop and HP software) as a benign error, which the line above
    // would make fatal: the pixels are fine, so that one check is skipped.
    png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    png_read_info(png, info);
    const int colorType = png_get_color_type(png, info);
    const int bitDepth = png_get_bit_depth(png, info);
    const bool hasTrns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (colorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (colorType == PNG_COLOR_TYPE_GRAY && bitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (hasTrns) png_set_tRNS_to_alpha(png);
    const bool gray = (colorType & PNG_COLOR_MASK_COLOR) == 0 && colorType != PNG_COLOR_TYPE_PALETTE;
    const bool alpha = (colorType & PNG_COLOR_MASK_ALPHA) != 0 || hasTrns;
    if (gray && alpha) png_set_gray_to_rgb(png);
    png_set_bgr(png);
    if (bitDepth == 16) png_set_swap(png);  // PNG stores 16 bits big-endian
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const int channels = png_get_channels(png, info);
    const int depth = png_get_bit_depth(png, info) == 16 ? CV_16U : CV_8U;
    image.create(int(png_get_image_height(png, info)), int(png_get_image_width(png, info)), CV_MAKETYPE(depth, channels));
    if (png_get_rowbytes(png, info) != image.step[0]) png_error(png, "unexpected row layout");
    rows.resize(std::size_t(image.rows));
    for (int y = 0; y < image.rows; ++y) rows[std::size_t(y)] = image.ptr<png_byte>(y);
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return image;
}

// Decodes `bytes` (already checked), unchanged: alpha and 16 bits kept, no orientation
// applied (decodeOriented turns the pixels by the orientation Exiv2 reads, in any format).
cv::Mat decode(const std::string& path, const std::string& bytes, Format format) {
    if (format == Format::Png) return decodePng(path, bytes);
    const cv::Mat buffer(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat raw;
    try {
        raw = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception&) {
        raw.release();
    }
    if (raw.empty()) throw Error(path + ": not a readable image (corrupt or unsupported format)");
    return raw;
}

// The file's bytes, after checking it is a regular file of a plausible size.
std::string readImageBytes(const std::string& path, const std::string& kind) {
    requireReadableFile(path, kind);
    std::error_code ec;
    const std::uint64_t bytes = fs::file_size(path, ec);
    if (bytes > maxImageFileBytes())
        throw Error(path + ": file is " + std::to_string(bytes >> 20) + " MiB, too large for an image under the " +
                    megapixels(maxImagePixels()) + " limit");
    return readFileBounded(path, std::size_t(bytes) + 1);
}

struct Checked {
    std::string bytes;
    Format format;
    cv::Size size;
};

Checked readChecked(const std::string& path, const std::string& kind) {
    Checked c;
    c.bytes = readImageBytes(path, kind);
    c.format = sniff(c.bytes);
    c.size = headerSize(path, c.bytes, c.format);
    checkPixelLimit(path, c.size);
    if (c.format == Format::Jpeg) checkJpeg(path, c.bytes, true);
    return c;
}

}  // namespace

std::uint64_t maxImagePixels() { return pixelLimit().load(); }
void setMaxImagePixels(std::uint64_t pixels) { pixelLimit().store(std::max<std::uint64_t>(pixels, 1)); }

std::string lowerExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

void requireReadableFile(const std::string& path, const std::string& kind) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path + ": no such file");
    if (fs::is_directory(path, ec)) throw Error(path + ": is a directory, not " + kind);
    // A FIFO would block the reader forever and a device (/dev/zero) never ends.
    if (!fs::is_regular_file(path, ec)) throw Error(path + ": is not a regular file, not " + kind);
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw Error(path + ": cannot be opened for reading");
    if (fs::file_size(path, ec) == 0) throw Error(path + ": file is empty");
}

std::string readFileBounded(const std::string& path, std::size_t maxBytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw Error(path + ": cannot be opened for reading (" + std::strerror(errno) + ")");
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path + ": is not a regular file");
    }
    std::string bytes;
    if (std::uint64_t(st.st_size) > maxBytes) {
        ::close(fd);
        throw Error(path + ": file is too large (" + std::to_string(st.st_size) + " bytes, at most " +
                    std::to_string(maxBytes) + ")");
    }
    bytes.resize(std::size_t(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += std::size_t(n);
    }
    ::close(fd);
    if (got != bytes.size()) throw Error(path + ": could not be read completely");
    return bytes;
}

ImageInfo probeImage(const std::string& path) {
    ImageInfo info;
    requireReadableFile(path, "an image");
    if (photo::isHeifFile(path)) {
        info.size = photo::heifSize(path);
        checkPixelLimit(path, info.size);
        return info;
    }
    const std::string bytes = readImageBytes(path, "an image");
    info.size = headerSize(path, bytes, sniff(bytes));
    checkPixelLimit(path, info.size);
    return info;
}

cv::Size checkImageAndMaskHeaders(const std::string& imagePath, const std::string& maskPath) {
    const cv::Size image = probeImage(imagePath).size;
    const cv::Size mask = probeImage(maskPath).size;
    // EXIF orientation may turn the image a quarter: the decoded sizes are compared later.
    if (mask != image && mask != cv::Size(image.height, image.width))
        throw Error(maskPath + ": mask is " + sizeText(mask) + " but the image is " + sizeText(image));
    return image;
}

// Decoders and orientation are chosen by the file's content, never its name: the decoder
// from the signature (HEIF/AVIF through libheif, which main's sniffing does not know),
// IMREAD_UNCHANGED leaves the orientation alone, and the orientation comes from the metadata
// Exiv2 finds in any format. `maskFor` (masks only, may be empty): the image's size, checked
// against the header before decoding (a quarter turn is let through, see loadMask).
static cv::Mat decodeOriented(const std::string& path, const std::string& kind, cv::Size maskFor,
                              photo::PhotoMetadata& metadata, std::vector<std::string>& warnings) {
    // Before isHeifFile opens it: a FIFO or a device must not block or run forever.
    requireReadableFile(path, kind);
    if (photo::isHeifFile(path)) {
        photo::HeifPhoto heif = photo::decodeHeif(path);  // checks the pixel limit from the header
        metadata = std::move(heif.metadata);
        warnings.insert(warnings.end(), heif.warnings.begin(), heif.warnings.end());
        return heif.pixels;
    }
    const Checked checked = readChecked(path, kind);
    if (!maskFor.empty() && checked.size != maskFor && checked.size != cv::Size(maskFor.height, maskFor.width))
        throw Error(path + ": mask is " + sizeText(checked.size) + " but the image is " + sizeText(maskFor));
    cv::Mat raw = decode(path, checked.bytes, checked.format);
    metadata = photo::readMetadata(path, &warnings);
    if (!photo::decoderAppliesOrientation(path)) photo::applyOrientation(raw, metadata.orientation);
    return raw;
}

LoadedImage loadImage(const std::string& path) {
    LoadedImage result;
    cv::Mat raw = decodeOriented(path, "an image", {}, result.metadata, result.warnings);
    if (raw.empty()) throw Error(path + ": not a readable image (corrupt or unsupported format)");
    if (raw.channels() == 4) result.warnings.push_back(path + ": alpha channel dropped (only the colour is used)");

    if (raw.depth() != CV_8U && raw.depth() != CV_16U) {
        if (raw.depth() == CV_32F || raw.depth() == CV_64F) {
            raw.convertTo(raw, CV_16U, 65535.0);
            result.warnings.push_back(path + ": floating-point image converted to 16-bit");
        } else {
            throw Error(path + ": unsupported pixel depth (only 8- and 16-bit images)");
        }
    }
    switch (raw.channels()) {
        case 1:
            cv::cvtColor(raw, result.pixels, cv::COLOR_GRAY2BGR);
            result.wasGrayscale = true;
            break;
        case 3: result.pixels = raw; break;
        case 4:
            cv::cvtColor(raw, result.pixels, cv::COLOR_BGRA2BGR);
            break;
        default: throw Error(path + ": unsupported number of channels (" + std::to_string(raw.channels()) + ")");
    }
    return result;
}

namespace {

// A colour "mask" whose channels disagree a lot and that has many distinct levels is most
// likely a photo given by mistake.
bool looksLikePhoto(const cv::Mat& mask) {
    if (mask.channels() < 3) return false;
    std::vector<cv::Mat> planes;
    cv::split(mask, planes);
    cv::Mat diff;
    cv::absdiff(planes[0], planes[1], diff);
    const double scale = mask.depth() == CV_16U ? 257.0 : mask.depth() == CV_8U ? 1.0 : 1.0 / 255.0;
    const double meanDiff = cv::mean(diff)[0] / scale;
    return meanDiff > 8.0;
}

cv::Mat luminance(const cv::Mat& colour3) {
    cv::Mat gray;
    cv::cvtColor(colour3, gray, cv::COLOR_BGR2GRAY);
    return gray;
}

}  // namespace

cv::Mat normaliseMask(const cv::Mat& mask, std::vector<std::string>* warnings) {
    if (mask.empty()) throw Error("mask is empty");
    cv::Mat single;
    if (mask.channels() == 1) {
        single = mask;
    } else if (mask.channels() == 4) {
        // An RGBA mask whose colour is constant carries its shape in alpha; otherwise its luminance.
        std::vector<cv::Mat> planes;
        cv::split(mask, planes);
        bool constant = true;
        for (int c = 0; c < 3 && constant; ++c) {
            double lo = 0, hi = 0;
            cv::minMaxLoc(planes[c], &lo, &hi);
            constant = lo == hi;
        }
        if (constant) {
            single = planes[3];
        } else {
            cv::Mat bgr;
            cv::merge(std::vector<cv::Mat>{planes[0], planes[1], planes[2]}, bgr);
            if (warnings && looksLikePhoto(bgr)) warnings->push_back("the mask looks like a colour photo; its luminance is used");
            single = luminance(bgr);
        }
    } else if (mask.channels() == 3) {
        if (warnings && looksLikePhoto(mask)) warnings->push_back("the mask looks like a colour photo; its luminance is used");
        single = luminance(mask);
    } else {
        throw Error("mask has an unsupported number of channels (" + std::to_string(mask.channels()) + ")");
    }
    cv::Mat out;
    switch (single.depth()) {
        case CV_8U: single.convertTo(out, CV_16U, 257.0); break;
        case CV_16U: out = single.clone(); break;
        case CV_32F:
        case CV_64F: single.convertTo(out, CV_16U, 65535.0); break;
        default: throw Error("mask has an unsupported pixel depth");
    }
    return out;
}

cv::Mat normaliseMask(const cv::Mat& mask) { return normaliseMask(mask, nullptr); }

// The mask turned by its own EXIF orientation, normalised; `imageSize` as in decodeOriented.
static cv::Mat loadMaskOriented(const std::string& path, cv::Size imageSize, photo::PhotoMetadata& metadata,
                                std::vector<std::string>* warnings) {
    std::vector<std::string> decodeWarnings;
    const cv::Mat raw = decodeOriented(path, "a mask image", imageSize, metadata, decodeWarnings);
    if (raw.empty()) throw Error(path + ": not a readable mask image (corrupt or unsupported format)");
    if (warnings) warnings->insert(warnings->end(), decodeWarnings.begin(), decodeWarnings.end());
    cv::Mat mask;
    std::vector<std::string> found;
    try {
        mask = normaliseMask(raw, &found);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    if (warnings)
        for (const auto& w : found) warnings->push_back(path + ": " + w);
    return mask;
}

cv::Mat loadMask(const std::string& path, cv::Size expectedSize, std::vector<std::string>* warnings) {
    photo::PhotoMetadata metadata;
    cv::Mat mask = loadMaskOriented(path, expectedSize, metadata, warnings);
    if (!expectedSize.empty() && mask.size() != expectedSize)
        throw Error(path + ": mask is " + sizeText(mask.size()) + " but the image is " + sizeText(expectedSize));
    return mask;
}

cv::Mat loadMask(const std::string& path, cv::Size imageSize, int imageOrientation, std::vector<std::string>& warnings) {
    photo::PhotoMetadata metadata;
    cv::Mat mask = loadMaskOriented(path, imageSize, metadata, &warnings);
    const int turn = imageOrientation;
    if (turn != 1 && !metadata.hasOrientationTag) {
        const cv::Size shown = imageSize;
        const cv::Size stored = photo::orientedSize(shown, turn);  // the turns 5..8 are their own size inverse
        if (mask.size() == stored && mask.size() != shown) {
            photo::applyOrientation(mask, turn);
            warnings.push_back(path + ": the mask has the image's stored size and no orientation; it was turned by the "
                               "image's EXIF orientation " + std::to_string(turn) + " like the image");
        } else {
            warnings.push_back(path + ": the image was turned by its EXIF orientation " + std::to_string(turn) +
                               " and the mask carries no orientation; the mask is taken as drawn on the turned "
                               "image (if it was made from the stored pixels, it is misaligned)");
        }
    }
    if (mask.size() != imageSize)
        throw Error(path + ": mask is " + sizeText(mask.size()) + " but the image is " + sizeText(imageSize));
    return mask;
}

cv::Mat loadMask(const std::string& path, cv::Size expectedSize) { return loadMask(path, expectedSize, nullptr); }

bool maskIsEmpty(const cv::Mat& mask16) { return cv::countNonZero(mask16) == 0; }

bool extensionSupports16Bit(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".png" || ext == ".tif" || ext == ".tiff";
}

bool isSupportedOutputExtension(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

void checkOutputImageSize(const std::string& path, cv::Size size) {
    const std::string ext = lowerExtension(path);
    int limit = 0;
    const char* format = "";
    if (ext == ".webp") limit = 16383, format = "WebP";
    if (ext == ".jpg" || ext == ".jpeg") limit = 65535, format = "JPEG";
    if (limit && (size.width > limit || size.height > limit))
        throw Error(path + ": " + format + " holds at most " + std::to_string(limit) + "x" + std::to_string(limit) +
                    " pixels, the image is " + sizeText(size) + " (write .png or .tif)");
}

void refuseToOverwriteInputs(const std::string& output, const std::vector<std::string>& inputs) {
    std::error_code ec;
    const fs::path out = fs::weakly_canonical(output, ec);
    for (const auto& input : inputs) {
        if (input.empty()) continue;
        std::error_code ec2;
        if (fs::weakly_canonical(input, ec2) == out)
            throw Error(output + ": refusing to overwrite an input file");
        // The same file under another name (a hard link) is an input all the same.
        struct stat a{}, b{};
        if (::stat(output.c_str(), &a) == 0 && ::stat(input.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            throw Error(output + ": refusing to overwrite an input file (it is " + input + ")");
    }
}

void checkOutputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs) {
    std::vector<fs::path> seen;
    for (const auto& output : outputs) {
        if (output.empty()) continue;
        refuseToOverwriteInputs(output, inputs);
        std::error_code ec;
        const fs::path canonical = fs::weakly_canonical(output, ec);
        if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
            throw Error(output + ": given as two outputs; each output needs its own file");
        seen.push_back(canonical);
        requireWritableFolder(output);
    }
}

void writeImageAtomic(const std::string& path, const cv::Mat& image, const std::vector<std::string>& inputs,
                      const WriteOptions& options) {
    if (!isSupportedOutputExtension(path))
        throw Error(path + ": unsupported output format (use .png, .jpg, .tif or .webp)");
    if (image.depth() == CV_16U && !extensionSupports16Bit(path))
        throw Error(path + ": a 16-bit image can only be written as PNG or TIFF");
    checkOutputImageSize(path, image.size());
    refuseToOverwriteInputs(path, inputs);
    requireWritableFolder(path);
    std::vector<int> params;
    std::string ext = lowerExtension(path);
    if (ext == ".jpeg") ext = ".jpg";
    if (ext == ".tiff") ext = ".tif";
    if (ext == ".jpg") params = {cv::IMWRITE_JPEG_QUALITY, options.jpegQuality};
    if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 101};  // > 100: lossless
    // Encode to memory first: some of OpenCV's encoders (WebP) do not check their own
    // writes, so a full disk would otherwise leave a truncated file that looks written.
    std::vector<uchar> encoded;
    bool ok = false;
    try {
        ok = cv::imencode(ext, image, encoded, params);
    } catch (const cv::Exception&) {
        ok = false;
    }
    if (!ok || encoded.empty()) throw Error(path + ": could not encode the image");
    std::string bytes(encoded.begin(), encoded.end());
    encoded = {};
    addMetadata(bytes, path, image.size(), options);
    commitBytes(path, bytes);
}

void writeFileAtomic(const std::string& path, const std::string& bytes, const std::vector<std::string>& inputs) {
    refuseToOverwriteInputs(path, inputs);
    requireWritableFolder(path);
    commitBytes(path, bytes);
}

void removePendingTemporaries() noexcept {
    for (int i = 0; i < kSlots; ++i)
        if (g_slotUsed[i].load() && g_pending[i][0] != '\0') ::unlink(g_pending[i]);
}

}  // namespace hz
