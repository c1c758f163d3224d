#include "core/photo/metadata.h"

#include <mutex>

#include "core/image_io.h"
#include "core/photo/exiv2_include.h"
#include "core/photo/png_chunks.h"
#include "core/photo/webp_chunks.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // Image::AutoPtr is a std::auto_ptr

namespace hz::photo {

void initialiseExiv2() {
    static std::once_flag once;
    std::call_once(once, [] {
        Exiv2::XmpParser::initialize();
        Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    });
}

namespace {

// Tags that describe the old file's pixel layout, not the photograph: copied into another
// file they would be wrong (strip offsets of a TIFF in a JPEG) or stale (the thumbnail shows
// the picture before harmonization and before rotation). The ICC profile, XMP and IPTC that
// a TIFF keeps in IFD0 travel in their own fields instead.
bool describesFileLayout(const Exiv2::Exifdatum& datum) {
    static const char* const kLayoutTags[] = {
        "Exif.Image.ImageWidth", "Exif.Image.ImageLength", "Exif.Image.BitsPerSample", "Exif.Image.Compression",
        "Exif.Image.PhotometricInterpretation", "Exif.Image.StripOffsets", "Exif.Image.SamplesPerPixel",
        "Exif.Image.RowsPerStrip", "Exif.Image.StripByteCounts", "Exif.Image.PlanarConfiguration",
        "Exif.Image.TileWidth", "Exif.Image.TileLength", "Exif.Image.TileOffsets", "Exif.Image.TileByteCounts",
        "Exif.Image.Predictor", "Exif.Image.SampleFormat", "Exif.Image.ExtraSamples", "Exif.Image.SubIFDs",
        "Exif.Image.NewSubfileType", "Exif.Image.InterColorProfile", "Exif.Image.XMLPacket", "Exif.Image.IPTCNAA",
        "Exif.Image.FillOrder", "Exif.Image.JPEGTables", "Exif.Image.YCbCrSubSampling", "Exif.Image.YCbCrPositioning",
        "Exif.Image.ImageResources"};
    const std::string key = datum.key();
    for (const char* tag : kLayoutTags)
        if (key == tag) return true;
    const std::string group = datum.groupName();
    return group.rfind("Thumbnail", 0) == 0 || group.rfind("SubImage", 0) == 0 ||
           (group.size() > 5 && group.rfind("Image", 0) == 0 && std::isdigit(static_cast<unsigned char>(group[5])));
}

std::string encodeExif(const Exiv2::ExifData& exif) {
    if (exif.empty()) return {};
    Exiv2::Blob blob;
    Exiv2::ExifParser::encode(blob, Exiv2::littleEndian, exif);
    return std::string(blob.begin(), blob.end());
}

// Reads the orientation, drops the layout tags; the EXIF bytes come back re-encoded.
void cleanAndStore(Exiv2::ExifData exif, const Exiv2::XmpData& xmp, PhotoMetadata& out,
                   std::vector<std::string>* warnings, const std::string& name) {
    long orientation = -1;  // -1: no tag
    const auto tag = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
    const auto xmpTag = xmp.findKey(Exiv2::XmpKey("Xmp.tiff.Orientation"));
    if (tag != exif.end() && tag->count() > 0) orientation = tag->toLong();
    else if (xmpTag != xmp.end() && xmpTag->count() > 0) orientation = xmpTag->toLong();
    if (orientation != -1) {
        out.hasOrientationTag = true;
        if (orientation < 1 || orientation > 8) {
            if (warnings) warnings->push_back(name + ": EXIF orientation " + std::to_string(orientation) +
                                              " is not valid, the image is shown as stored");
            orientation = 1;
        }
        out.orientation = int(orientation);
    }
    for (auto it = exif.begin(); it != exif.end();) it = describesFileLayout(*it) ? exif.erase(it) : std::next(it);
    out.exif = encodeExif(exif);
}

}  // namespace

PhotoMetadata readMetadata(const std::string& path, std::vector<std::string>* warnings) {
    initialiseExiv2();
    PhotoMetadata out;
    try {
        const int type = Exiv2::ImageFactory::getType(path);
        if (type == Exiv2::ImageType::webp) {
            const WebpChunks chunks = readWebpChunks(path);
            return metadataFromBlocks(chunks.exif, chunks.xmp, chunks.icc);
        }
        auto image = Exiv2::ImageFactory::open(path);
        if (image.get() == nullptr) return out;
        image->readMetadata();
        Exiv2::ExifData exif = image->exifData();
        const Exiv2::XmpData& xmp = image->xmpData();
        if (image->iccProfileDefined()) {
            const Exiv2::DataBuf* icc = image->iccProfile();
            out.icc.assign(reinterpret_cast<const char*>(icc->pData_), std::size_t(icc->size_));
        } else if (const auto tiffIcc = exif.findKey(Exiv2::ExifKey("Exif.Image.InterColorProfile"));
                   tiffIcc != exif.end() && tiffIcc->size() > 0) {
            Exiv2::DataBuf buf(long(tiffIcc->size()));
            tiffIcc->copy(buf.pData_, Exiv2::invalidByteOrder);
            out.icc.assign(reinterpret_cast<const char*>(buf.pData_), std::size_t(buf.size_));
        }
        cleanAndStore(exif, xmp, out, warnings, path);
        if (!xmp.empty()) {
            if (!image->xmpPacket().empty()) out.xmp = image->xmpPacket();
            else Exiv2::XmpParser::encode(out.xmp, xmp);
        }
        if (!image->iptcData().empty()) {
            const Exiv2::DataBuf iptc = Exiv2::IptcParser::encode(image->iptcData());
            out.iptc.assign(reinterpret_cast<const char*>(iptc.pData_), std::size_t(iptc.size_));
        }
    } catch (const Exiv2::AnyError& e) {
        // Unknown container (e.g. BMP) or damaged metadata: the pixels may still decode.
        if (warnings && e.code() != Exiv2::kerFileContainsUnknownImageType)
            warnings->push_back(path + ": metadata could not be read (" + e.what() + "); it will not be kept");
        return PhotoMetadata{};
    } catch (const Error& e) {
        if (warnings) warnings->push_back(std::string(e.what()) + "; its metadata will not be kept");
        return PhotoMetadata{};
    }
    return out;
}

bool decoderAppliesOrientation(const std::string& path) {
    initialiseExiv2();
    try {
        return Exiv2::ImageFactory::getType(path) == Exiv2::ImageType::tiff;
    } catch (const Exiv2::AnyError&) {
        return false;
    }
}

PhotoMetadata metadataFromBlocks(const std::string& exifBytes, const std::string& xmpPacket, const std::string& icc) {
    initialiseExiv2();
    PhotoMetadata out;
    out.icc = icc;
    Exiv2::ExifData exif;
    Exiv2::XmpData xmp;
    try {
        if (!exifBytes.empty())
            Exiv2::ExifParser::decode(exif, reinterpret_cast<const Exiv2::byte*>(exifBytes.data()),
                                      uint32_t(exifBytes.size()));
        if (!xmpPacket.empty() && Exiv2::XmpParser::decode(xmp, xmpPacket) == 0) out.xmp = xmpPacket;
    } catch (const Exiv2::AnyError&) {
        exif.clear();
    }
    cleanAndStore(exif, xmp, out, nullptr, {});
    return out;
}

namespace {

// Sets `key` to `value` only where the photo already has it (no invented tags).
template <typename Data, typename Key, typename Value>
void updateIfPresent(Data& data, const char* key, const Value& value) {
    const auto it = data.findKey(Key(key));
    if (it != data.end()) *it = value;
}

}  // namespace

namespace {

Exiv2::ExifData updatedExif(const PhotoMetadata& metadata, cv::Size size) {
    Exiv2::ExifData exif;
    if (metadata.exif.empty()) return exif;
    Exiv2::ExifParser::decode(exif, reinterpret_cast<const Exiv2::byte*>(metadata.exif.data()), uint32_t(metadata.exif.size()));
    updateIfPresent<Exiv2::ExifData, Exiv2::ExifKey>(exif, "Exif.Image.Orientation", uint16_t(1));
    updateIfPresent<Exiv2::ExifData, Exiv2::ExifKey>(exif, "Exif.Photo.PixelXDimension", uint32_t(size.width));
    updateIfPresent<Exiv2::ExifData, Exiv2::ExifKey>(exif, "Exif.Photo.PixelYDimension", uint32_t(size.height));
    return exif;
}

// False when the packet does not parse (it is then left out).
bool updatedXmp(const PhotoMetadata& metadata, cv::Size size, Exiv2::XmpData& xmp) {
    if (metadata.xmp.empty() || Exiv2::XmpParser::decode(xmp, metadata.xmp) != 0) return false;
    updateIfPresent<Exiv2::XmpData, Exiv2::XmpKey>(xmp, "Xmp.tiff.Orientation", std::string("1"));
    updateIfPresent<Exiv2::XmpData, Exiv2::XmpKey>(xmp, "Xmp.exif.PixelXDimension", std::to_string(size.width));
    updateIfPresent<Exiv2::XmpData, Exiv2::XmpKey>(xmp, "Xmp.exif.PixelYDimension", std::to_string(size.height));
    updateIfPresent<Exiv2::XmpData, Exiv2::XmpKey>(xmp, "Xmp.tiff.ImageWidth", std::to_string(size.width));
    updateIfPresent<Exiv2::XmpData, Exiv2::XmpKey>(xmp, "Xmp.tiff.ImageLength", std::to_string(size.height));
    return true;
}

}  // namespace

void writeMetadata(const std::string& path, const PhotoMetadata& metadata, cv::Size size,
                   const MetadataWriteOptions& options, const std::string& displayName) {
    const bool keepBlocks = !options.strip && (!metadata.exif.empty() || !metadata.xmp.empty() || !metadata.iptc.empty());
    if (!keepBlocks && metadata.icc.empty()) return;
    initialiseExiv2();
    const std::string name = displayName.empty() ? path : displayName;
    try {
        if (Exiv2::ImageFactory::getType(path) == Exiv2::ImageType::webp) {
            WebpChunks chunks;
            chunks.icc = metadata.icc;
            if (keepBlocks) {
                chunks.exif = encodeExif(updatedExif(metadata, size));
                Exiv2::XmpData xmp;
                if (updatedXmp(metadata, size, xmp)) Exiv2::XmpParser::encode(chunks.xmp, xmp);
            }
            writeWebpChunks(path, chunks, name);  // WebP has no IPTC
            return;
        }
        const bool png = Exiv2::ImageFactory::getType(path) == Exiv2::ImageType::png;
        auto image = Exiv2::ImageFactory::open(path);
        // Start from what the encoder wrote (a TIFF's own layout tags live in its EXIF).
        image->readMetadata();
        if (keepBlocks) {
            Exiv2::ExifData& target = image->exifData();
            if (!png)
                for (const auto& datum : updatedExif(metadata, size)) target[datum.key()].setValue(&datum.value());
            Exiv2::XmpData xmp;
            if (updatedXmp(metadata, size, xmp)) image->setXmpData(xmp);
            if (!metadata.iptc.empty()) {
                Exiv2::IptcData iptc;
                if (Exiv2::IptcParser::decode(iptc, reinterpret_cast<const Exiv2::byte*>(metadata.iptc.data()),
                                              uint32_t(metadata.iptc.size())) == 0)
                    image->setIptcData(iptc);
            }
        }
        if (png) {
            // XMP and IPTC (text chunks) by Exiv2, then iCCP and eXIf by libpng (png_chunks.h).
            if (keepBlocks) image->writeMetadata();
            rewritePngWithChunks(path, metadata.icc, keepBlocks ? encodeExif(updatedExif(metadata, size)) : std::string(), name);
            return;
        }
        if (!metadata.icc.empty()) {
            Exiv2::DataBuf icc(reinterpret_cast<const Exiv2::byte*>(metadata.icc.data()), long(metadata.icc.size()));
            image->setIccProfile(icc, /*bTestValid=*/true);
        }
        image->writeMetadata();
    } catch (const Exiv2::AnyError& e) {
        throw Error(name + ": could not write the photo's metadata (" + e.what() + ")");
    }
}

}  // namespace hz::photo
