#include "core/photo/png_chunks.h"

#include <png.h>

#include <cstdio>
#include <filesystem>

#include "core/image_io.h"

namespace hz::photo {
namespace {

// libpng's message for the error that stopped it; filled before the longjmp.
struct PngMessage {
    char text[200] = {};
};

void recordErrorAndJump(png_structp png, png_const_charp message) {
    if (auto* record = static_cast<PngMessage*>(png_get_error_ptr(png)))
        std::snprintf(record->text, sizeof record->text, "%s", message ? message : "unknown error");
    png_longjmp(png, 1);
}
// libpng's warnings (an old profile, a text chunk it trims) say nothing the user can act on.
void ignoreWarning(png_structp, png_const_charp) {}

// libpng reports errors by longjmp; this stays free of C++ objects with destructors.
bool rewrite(const char* in, const char* out, const std::string& icc, const std::string& exif, PngMessage& error) {
    FILE* source = std::fopen(in, "rb");
    if (!source) return false;
    FILE* target = std::fopen(out, "wb");
    if (!target) {
        std::fclose(source);
        return false;
    }
    png_structp reader = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, recordErrorAndJump, ignoreWarning);
    png_infop readInfo = reader ? png_create_info_struct(reader) : nullptr;
    png_structp writer = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, recordErrorAndJump, ignoreWarning);
    png_infop writeInfo = writer ? png_create_info_struct(writer) : nullptr;
    if (writer) {
        // The profile is the photo's own and is kept byte for byte. When writing, libpng
        // would otherwise refuse profiles it merely doubts (a rendering intent outside the
        // four defined ones; the old HP sRGB profile it lists as "known incorrect", found in
        // countless photos), which reading only warns about.
        png_set_benign_errors(writer, 1);
        png_set_option(writer, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    }
    bool ok = false;
    if (reader && readInfo && writer && writeInfo && setjmp(png_jmpbuf(reader)) == 0 && setjmp(png_jmpbuf(writer)) == 0) {
        png_init_io(reader, source);
        png_read_png(reader, readInfo, PNG_TRANSFORM_IDENTITY, nullptr);
        png_uint_32 width = 0, height = 0;
        int depth = 0, colour = 0, interlace = 0, compression = 0, filter = 0;
        png_get_IHDR(reader, readInfo, &width, &height, &depth, &colour, &interlace, &compression, &filter);
        png_init_io(writer, target);
        png_set_IHDR(writer, writeInfo, width, height, depth, colour, interlace, compression, filter);
        png_textp text = nullptr;
        int textCount = 0;
        if (png_get_text(reader, readInfo, &text, &textCount) > 0) png_set_text(writer, writeInfo, text, textCount);
        if (!icc.empty())
            png_set_iCCP(writer, writeInfo, "ICC profile", PNG_COMPRESSION_TYPE_BASE,
                         reinterpret_cast<png_const_bytep>(icc.data()), png_uint_32(icc.size()));
        if (!exif.empty())
            png_set_eXIf_1(writer, writeInfo, png_uint_32(exif.size()),
                           reinterpret_cast<png_bytep>(const_cast<char*>(exif.data())));
        if (!icc.empty() && !png_get_valid(writer, writeInfo, PNG_INFO_iCCP)) {
            std::snprintf(error.text, sizeof error.text, "libpng rejected the colour profile");
            png_longjmp(writer, 1);
        }
        png_set_rows(writer, writeInfo, png_get_rows(reader, readInfo));
        png_write_png(writer, writeInfo, PNG_TRANSFORM_IDENTITY, nullptr);
        ok = true;
    }
    if (writer) png_destroy_write_struct(&writer, writeInfo ? &writeInfo : nullptr);
    if (reader) png_destroy_read_struct(&reader, readInfo ? &readInfo : nullptr, nullptr);
    std::fclose(source);
    ok = (std::fclose(target) == 0) && ok;
    return ok;
}

}  // namespace

void rewritePngWithChunks(const std::string& path, const std::string& icc, const std::string& exif,
                          const std::string& displayName) {
    if (icc.empty() && exif.empty()) return;
    const std::string rewritten = path + ".chunks";
    std::error_code ec;
    PngMessage error;
    if (!rewrite(path.c_str(), rewritten.c_str(), icc, exif, error)) {
        std::filesystem::remove(rewritten, ec);
        throw Error(displayName + ": could not add the colour profile and EXIF to the PNG" +
                    (error.text[0] ? std::string(" (libpng: ") + error.text + ")" : std::string()));
    }
    std::filesystem::rename(rewritten, path, ec);
    if (ec) {
        std::filesystem::remove(rewritten, ec);
        throw Error(displayName + ": could not add the colour profile and EXIF to the PNG");
    }
}

}  // namespace hz::photo
