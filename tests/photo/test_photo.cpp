// Photographs keep their colours and metadata: EXIF/XMP/IPTC/ICC through the export
// (the editor's exportRendered, which the CLI's writeImageAtomic shares), orientation decided
// by content, the network fed sRGB, HEIC/AVIF decoding. Fixtures are made here.
#include <QTemporaryDir>
#include <QtTest>

#include <lcms2.h>

#include <fstream>

#include "core/image_io.h"
#include "core/model/predictor.h"
#include "core/photo/colour.h"
#include "core/photo/heif_io.h"
#include "core/session/export.h"
#include "tests/model/random_model.h"
#include "tests/photo/photo_fixtures.h"

using namespace hz;

namespace {

const cv::Size kStored(48, 64);  // stored frame of the orientation-6 fixtures
const cv::Size kShown(64, 48);   // the photo as seen

FilterParams someValues() {
    FilterParams p;
    p.temperature = 0.3;
    p.brightness = -0.2;
    p.contrast = 0.25;
    p.saturation = 0.2;
    return p;
}

bool lossless(const QString& format) { return format != "jpg"; }
bool holdsIptc(const QString& format) { return format == "jpg" || format == "tif" || format == "png"; }

// Number of pixels outside the mask whose value changed.
int backgroundChanges(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask16) {
    cv::Mat diff;
    cv::absdiff(a, b, diff);
    cv::Mat any;
    cv::transform(diff.reshape(3, int(diff.total())), any, cv::Matx13f(1, 1, 1));
    return cv::countNonZero((any.reshape(1, a.rows) != 0) & (mask16 == 0));
}

// The conversion every editor calls "convert to sRGB", done by Little CMS at full resolution.
cv::Mat convertedToSrgb(const cv::Mat& bgr, const std::string& icc) {
    cmsHPROFILE in = cmsOpenProfileFromMem(icc.data(), cmsUInt32Number(icc.size()));
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    const bool deep = bgr.depth() == CV_16U;
    cmsHTRANSFORM t = cmsCreateTransform(in, deep ? TYPE_BGR_16 : TYPE_BGR_8, srgb, deep ? TYPE_BGR_16 : TYPE_BGR_8,
                                         INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_BLACKPOINTCOMPENSATION);
    cv::Mat out(bgr.size(), bgr.type());
    for (int y = 0; y < bgr.rows; ++y) cmsDoTransform(t, bgr.ptr(y), out.ptr(y), cmsUInt32Number(bgr.cols));
    cmsDeleteTransform(t);
    cmsCloseProfile(in);
    cmsCloseProfile(srgb);
    return out;
}

double maxDifference(const FilterParams& a, const FilterParams& b) {
    double worst = 0;
    const auto x = a.toArray(), y = b.toArray();
    for (int i = 0; i < kFilterCount; ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
    return worst;
}

}  // namespace

class TestPhoto : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string path(const QString& name) const { return dir_.filePath(name).toStdString(); }

private Q_SLOTS:
    void exportKeepsMetadata_data() {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("output");
        for (const char* in : {"jpg", "png", "tif", "webp"})
            for (const char* out : {"jpg", "png", "tif", "webp"})
                QTest::newRow(qPrintable(QString("%1 -> %2").arg(in, out))) << QString(in) << QString(out);
    }
    void exportKeepsMetadata() {
        QFETCH(QString, input);
        QFETCH(QString, output);
        const std::string profile = test::adobeRgbProfile();
        // The TIFF is 16-bit: it must stay 16-bit where the output format can hold it.
        const int depth = input == "tif" ? CV_16U : CV_8U;
        const std::string in = path("in_" + input + "_for_" + output + "." + input);
        test::writePhoto(in, test::syntheticPhoto(kStored, depth), profile, 6);

        const LoadedImage loaded = loadImage(in);
        QCOMPARE(loaded.pixels.size(), kShown);
        QCOMPARE(loaded.metadata.orientation, 6);
        QVERIFY(loaded.metadata.icc == profile);
        const cv::Mat mask = normaliseMask(test::syntheticMask(kShown));

        ExportSettings settings;
        settings.path = path("out_" + input + "." + output);
        settings.metadata = loaded.metadata;
        QVERIFY(exportRendered(loaded.pixels, mask, someValues(), 1.0, settings));

        const test::ReadBack back = test::readBack(settings.path);
        QVERIFY2(back.icc == profile, "the ICC profile bytes differ");
        QCOMPARE(back.make, std::string(test::kMake));
        QCOMPARE(back.model, std::string(test::kModel));
        QCOMPARE(back.date, std::string(test::kDate));
        QCOMPARE(back.latitude, std::string(test::kLatitude));
        QCOMPARE(back.copyright, std::string(test::kCopyright));
        QCOMPARE(back.creatorTool, std::string(test::kCreatorTool));
        if (holdsIptc(input) && input != "png" && holdsIptc(output)) QCOMPARE(back.byline, std::string(test::kByline));
        QCOMPARE(back.orientation, 1L);
        QCOMPARE(back.pixelX, long(kShown.width));
        QCOMPARE(back.pixelY, long(kShown.height));

        const LoadedImage again = loadImage(settings.path);
        QCOMPARE(again.pixels.size(), kShown);  // not turned a second time
        QCOMPARE(again.metadata.orientation, 1);
        const bool keepsDepth = depth == CV_8U || output == "png" || output == "tif";
        QCOMPARE(again.pixels.depth(), keepsDepth ? depth : CV_8U);
        if (lossless(output) && keepsDepth) QCOMPARE(backgroundChanges(loaded.pixels, again.pixels, mask), 0);
    }

    void stripKeepsOnlyTheProfile() {
        const std::string profile = test::adobeRgbProfile();
        const std::string in = path("strip.jpg");
        test::writePhoto(in, test::syntheticPhoto(kStored), profile, 6);
        const LoadedImage loaded = loadImage(in);
        WriteOptions options;
        options.metadata = loaded.metadata;
        options.stripMetadata = true;
        const std::string out = path("stripped.jpg");
        writeImageAtomic(out, loaded.pixels, {in}, options);
        const test::ReadBack back = test::readBack(out);
        QVERIFY(back.make.empty());
        QVERIFY(back.latitude.empty());
        QVERIFY(back.creatorTool.empty());
        QVERIFY(back.byline.empty());
        QVERIFY(back.icc == profile);
        QCOMPARE(loadImage(out).pixels.size(), kShown);
    }

    // libpng refuses, when writing, profiles it only has doubts about: a rendering intent
    // outside the defined four, or the widespread old HP "sRGB IEC61966-2.1" that it lists
    // as a "known incorrect sRGB profile". Photos carry such profiles, and their export
    // must keep them byte for byte rather than fail.
    void dubiousProfileStillExportsToPng() {
        std::string profile = test::adobeRgbProfile();
        QVERIFY(profile.size() > 68);
        profile[64] = 0, profile[65] = 0, profile[66] = 0, profile[67] = 4;  // rendering intent 4
        const std::string in = path("dubious.jpg");
        test::writePhoto(in, test::syntheticPhoto(kStored), profile, 1);
        const LoadedImage loaded = loadImage(in);
        QVERIFY(loaded.metadata.icc == profile);
        WriteOptions options;
        options.metadata = loaded.metadata;
        const std::string out = path("dubious_out.png");
        writeImageAtomic(out, loaded.pixels, {in}, options);
        QVERIFY2(test::readBack(out).icc == profile, "the ICC profile bytes differ");
        QCOMPARE(cv::norm(loadImage(out).pixels, loaded.pixels, cv::NORM_INF), 0.0);
    }

    void untaggedOutputStaysUntagged() {
        const std::string in = path("plain.png");
        cv::imwrite(in, test::syntheticPhoto(kShown));
        const LoadedImage loaded = loadImage(in);
        QVERIFY(loaded.metadata.empty());
        WriteOptions options;
        options.metadata = loaded.metadata;
        writeImageAtomic(path("plain_out.png"), loaded.pixels, {in}, options);
        QVERIFY(test::readBack(path("plain_out.png")).icc.empty());
    }

    // The same file under any name turns the same way; PNG's eXIf orientation counts too.
    void orientationByContent_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("name");
        QTest::newRow("JPEG as .jpg") << "jpg" << "rot.jpg";
        QTest::newRow("JPEG as .jfif") << "jpg" << "rot.jfif";
        QTest::newRow("JPEG as .png") << "jpg" << "rot_jpeg.png";
        QTest::newRow("PNG as .png") << "png" << "rot_png.png";
        QTest::newRow("PNG as .jpg") << "png" << "rot_png.jpg";
        QTest::newRow("WebP as .webp") << "webp" << "rot.webp";
    }
    void orientationByContent() {
        QFETCH(QString, format);
        QFETCH(QString, name);
        const std::string file = path(name);
        test::writePhoto(file, test::syntheticPhoto(kStored), {}, 6, format.toStdString());
        const cv::Mat stored = cv::imread(file, cv::IMREAD_UNCHANGED);  // UNCHANGED ignores orientation
        QCOMPARE(stored.size(), kStored);
        cv::Mat expected;
        cv::rotate(stored, expected, cv::ROTATE_90_CLOCKWISE);
        const LoadedImage loaded = loadImage(file);
        QCOMPARE(loaded.metadata.orientation, 6);
        QCOMPARE(loaded.pixels.size(), kShown);
        QCOMPARE(cv::norm(loaded.pixels, expected, cv::NORM_INF), 0.0);
    }

    void maskOrientation_data() {
        QTest::addColumn<int>("imageOrientation");
        QTest::addColumn<QString>("maskKind");  // displayed | stored | tagged
        QTest::addColumn<QString>("warning");   // expected fragment, empty: none
        QTest::newRow("upright image") << 1 << "displayed" << "";
        QTest::newRow("turned image, mask as shown") << 6 << "displayed" << "carries no orientation";
        QTest::newRow("turned image, mask of the stored pixels") << 6 << "stored" << "stored size";
        QTest::newRow("turned image, mask with its own orientation") << 6 << "tagged" << "";
    }
    void maskOrientation() {
        QFETCH(int, imageOrientation);
        QFETCH(QString, maskKind);
        QFETCH(QString, warning);
        const cv::Size stored = imageOrientation == 6 ? kStored : kShown;
        const std::string imageFile = path(QString("mo_%1_%2.png").arg(imageOrientation).arg(maskKind));
        test::writePhoto(imageFile, test::syntheticPhoto(stored), {}, imageOrientation);
        const LoadedImage image = loadImage(imageFile);
        QCOMPARE(image.pixels.size(), kShown);

        const cv::Mat shownMask = test::syntheticMask(kShown);
        cv::Mat storedMask;
        cv::rotate(shownMask, storedMask, cv::ROTATE_90_COUNTERCLOCKWISE);  // undoes orientation 6
        const std::string maskFile = path(QString("mo_mask_%1_%2.png").arg(imageOrientation).arg(maskKind));
        if (maskKind == "displayed") cv::imwrite(maskFile, shownMask);
        if (maskKind == "stored") cv::imwrite(maskFile, storedMask);
        if (maskKind == "tagged") {
            cv::Mat bgr;
            cv::cvtColor(storedMask, bgr, cv::COLOR_GRAY2BGR);
            test::writePngWithChunks(maskFile, bgr, {}, test::exifBytes(test::sampleExif(6, kStored)), {});
        }
        std::vector<std::string> warnings;
        const cv::Mat mask = loadMask(maskFile, image, warnings);
        QCOMPARE(cv::norm(mask, normaliseMask(shownMask), cv::NORM_INF), 0.0);
        if (warning.isEmpty()) {
            QVERIFY2(warnings.empty(), warnings.empty() ? "" : warnings.front().c_str());
        } else {
            QCOMPARE(int(warnings.size()), 1);
            QVERIFY2(QString::fromStdString(warnings.front()).contains(warning), warnings.front().c_str());
        }
    }

    // A square photo turned 180 degrees: the size cannot tell the mask's frame, so it is said.
    void squareTurnedImageWarns() {
        const std::string imageFile = path("square.jpg");
        test::writePhoto(imageFile, test::syntheticPhoto({48, 48}), {}, 3);
        const LoadedImage image = loadImage(imageFile);
        const std::string maskFile = path("square_mask.png");
        cv::imwrite(maskFile, test::syntheticMask({48, 48}));
        std::vector<std::string> warnings;
        loadMask(maskFile, image, warnings);
        QCOMPARE(int(warnings.size()), 1);
        QVERIFY(QString::fromStdString(warnings.front()).contains("misaligned"));
    }

    // What the network sees: a wide-gamut photo predicts what its sRGB conversion predicts.
    void networkSeesSrgb_data() {
        QTest::addColumn<QString>("space");
        QTest::addColumn<int>("depth");
        QTest::newRow("Adobe RGB 8-bit") << "adobe" << int(CV_8U);
        QTest::newRow("Adobe RGB 16-bit") << "adobe" << int(CV_16U);
        QTest::newRow("Display P3 8-bit") << "p3" << int(CV_8U);
    }
    void networkSeesSrgb() {
        QFETCH(QString, space);
        QFETCH(int, depth);
        const std::string icc = space == "adobe" ? test::adobeRgbProfile() : test::displayP3Profile();
        const cv::Size size(320, 240);
        const cv::Mat photo = test::syntheticPhoto(size, depth);
        const cv::Mat mask = normaliseMask(test::syntheticMask(size));
        const cv::Mat srgb = convertedToSrgb(photo, icc);
        Predictor predictor(predictorOptions());
        const FilterParams tagged = predictor.predict(photo, mask, icc);
        const FilterParams reference = predictor.predict(srgb, mask);
        const FilterParams untagged = predictor.predict(photo, mask);
        // Stated tolerance (core/photo/README.md): 0.01 per value. The conversion runs on the
        // resized samples, and the reference file is quantised to 8/16 bits.
        const double error = maxDifference(tagged, reference);
        QVERIFY2(error < 0.01, qPrintable(QString("tagged vs sRGB conversion: %1").arg(error)));
        // And the test can tell: reading the numbers as sRGB predicts something else.
        QVERIFY2(maxDifference(untagged, reference) > 3 * error,
                 qPrintable(QString("untagged %1, tagged %2").arg(maxDifference(untagged, reference)).arg(error)));
    }

    // Untagged and sRGB-tagged photos: the predictor's behaviour is unchanged, bit for bit.
    void srgbProfileChangesNothing() {
        const std::string srgbIcc = photo::makeRgbProfile(photo::kSrgbPrimaries, photo::ToneCurve::Srgb, "sRGB built");
        QVERIFY(photo::SrgbConversion::fromIcc(srgbIcc) == nullptr);
        QVERIFY(photo::SrgbConversion::fromIcc(test::adobeRgbProfile()) != nullptr);
        const cv::Mat photo = test::syntheticPhoto({200, 150});
        const cv::Mat mask = normaliseMask(test::syntheticMask({200, 150}));
        Predictor predictor(predictorOptions());
        const FilterParams plain = predictor.predict(photo, mask);
        QCOMPARE(maxDifference(predictor.predict(photo, mask, srgbIcc), plain), 0.0);
        QCOMPARE(maxDifference(predictor.predict(photo, mask, std::string()), plain), 0.0);
    }

    void heifOpensAndExports_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("output");
        QTest::newRow("HEIC -> jpg") << "heic" << "jpg";
        QTest::newRow("HEIC -> png") << "heic" << "png";
        QTest::newRow("AVIF -> tif") << "avif" << "tif";
        QTest::newRow("AVIF -> webp") << "avif" << "webp";
    }
    void heifOpensAndExports() {
        QFETCH(QString, format);
        QFETCH(QString, output);
        const std::string icc = test::displayP3Profile();
        const std::string in = path("phone_" + output + "." + format);
        const cv::Mat pixels = test::syntheticPhoto(kShown);
        test::writeHeif(in, pixels, format == "avif", icc, test::exifBytes(test::sampleExif(1, kShown)), test::sampleXmp());
        QVERIFY(photo::isHeifFile(in));
        const LoadedImage loaded = loadImage(in);
        QCOMPARE(loaded.pixels.size(), kShown);
        QCOMPARE(loaded.pixels.type(), CV_8UC3);
        QVERIFY2(cv::norm(loaded.pixels, pixels, cv::NORM_L1) / double(pixels.total() * 3) < 6.0, "decoded pixels are off");
        QVERIFY(loaded.metadata.icc == icc);

        ExportSettings settings;
        settings.path = path("phone_out_" + format + "." + output);
        settings.metadata = loaded.metadata;
        QVERIFY(exportRendered(loaded.pixels, normaliseMask(test::syntheticMask(kShown)), someValues(), 1.0, settings));
        const test::ReadBack back = test::readBack(settings.path);
        QVERIFY(back.icc == icc);
        QCOMPARE(back.make, std::string(test::kMake));
        QCOMPARE(back.date, std::string(test::kDate));
        QCOMPARE(back.latitude, std::string(test::kLatitude));
        QCOMPARE(back.creatorTool, std::string(test::kCreatorTool));
    }

    void notHeifIsNotHeif() {
        const std::string file = path("not_heif.png");
        cv::imwrite(file, test::syntheticPhoto(kShown));
        QVERIFY(!photo::isHeifFile(file));
        const std::string broken = path("broken.heic");
        {
            const char header[] = "\0\0\0\x18" "ftypheic" "\0\0\0\0" "mif1heic" "garbage";
            std::ofstream(broken, std::ios::binary).write(header, sizeof header - 1);
        }
        QVERIFY_THROWS_EXCEPTION(Error, loadImage(broken));
    }

    void initTestCase() {
        QVERIFY(dir_.isValid());
        modelPath_ = path("random.hzm");
        test::writeRandomModel(modelPath_, 7, 0.5);
    }

private:
    PredictorOptions predictorOptions() const {
        PredictorOptions o;
        o.modelPath = modelPath_;
        o.device = DeviceChoice::Cpu;
        o.threads = 1;
        return o;
    }
    std::string modelPath_;
};

QTEST_GUILESS_MAIN(TestPhoto)
#include "test_photo.moc"
