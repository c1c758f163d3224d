// `harmonizer-cli harmonize`: predict the six filter values and render them at full
// resolution, for one image or for a folder of image/mask pairs (the model is loaded once).
//
// The values are rounded to the 6 decimals that `predict --json` and --params-out print
// before rendering, so `harmonize` writes exactly what `apply` writes when given the
// printed values. (They are passed through the printed JSON text itself, so the rounding
// and the decimal-to-binary conversion are the ones `apply` sees.)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/cli/cli_common.h"
#include "app/cli/interrupt.h"
#include "app/cli/subject_mask.h"
#include "core/image_io.h"
#include "core/model/predictor.h"
#include "core/render/renderer.h"

namespace fs = std::filesystem;

namespace hz::cli {
namespace {

constexpr const char* kCommand = "harmonizer-cli harmonize";

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

bool isImageFile(const fs::path& path) {
    static const char* const kExtensions[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp",
                                                 ".heic", ".heif", ".avif", ".jfif"};
    const std::string ext = lowercase(path.extension().string());
    return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

// The values exactly as printed with 6 decimals and read back (see the file comment).
FilterParams asPrinted(const FilterParams& params) { return paramsFromJson(paramsToJson(params)); }

struct Job {
    std::string imagePath, maskPath, outputPath, paramsPath;  // maskPath empty: --auto-mask
    std::vector<std::string> inputs() const {
        return maskPath.empty() ? std::vector<std::string>{imagePath} : std::vector<std::string>{imagePath, maskPath};
    }
};

// The cheap checks of the destination and the inputs' headers, before anything is loaded.
void checkJob(const Job& job) {
    if (!isSupportedOutputExtension(job.outputPath))
        throw Error(job.outputPath + ": unsupported output format (use .png, .jpg, .tif or .webp)");
    checkOutputs({job.outputPath, job.paramsPath}, job.inputs());
    checkOutputImageSize(job.outputPath, job.maskPath.empty() ? probeImage(job.imagePath).size
                                                              : checkImageAndMaskHeaders(job.imagePath, job.maskPath));
}

// One image: load, predict, render, write. Throws hz::Error naming the file at fault.
// `protectedInputs`: every input of a batch (no output may replace any of them).
// `subject`: --auto-mask, the foreground is the subject network's (job.maskPath is empty).
void harmonizeOne(Predictor& predictor, const Job& job, const WriteOptions& writeOptions,
                  const std::vector<std::string>& protectedInputs = {},
                  const subject::SubjectPredictor* subject = nullptr) {
    checkJob(job);

    const LoadedImage image = loadImage(job.imagePath);
    if (image.pixels.depth() == CV_16U && !extensionSupports16Bit(job.outputPath))
        throw Error(job.outputPath + ": the input is 16-bit; write .png or .tif to keep its depth");
    std::vector<std::string> warnings = image.warnings;
    cv::Mat mask;
    if (subject) {
        mask = selectSubjectOf(*subject, image, job.imagePath);
        if (maskIsEmpty(mask)) throw Error(job.imagePath + ": Select Subject found no subject: nothing to harmonize");
    } else {
        mask = loadMask(job.maskPath, image, warnings);
    }
    for (const auto& warning : warnings) std::fprintf(stderr, "%s: warning: %s\n", kCommand, warning.c_str());
    if (maskIsEmpty(mask)) throw Error(job.maskPath + ": mask is empty: nothing to harmonize");

    const FilterParams params = asPrinted(predictor.predict(image.pixels, mask, image.metadata.icc));
    cv::Mat result;
    render(image.pixels, mask, params, result);
    std::vector<std::string> inputs = protectedInputs;
    for (const auto& input : job.inputs()) inputs.push_back(input);
    WriteOptions options = writeOptions;
    options.metadata = image.metadata;
    writeImageAtomic(job.outputPath, result, inputs, options);
    if (!job.paramsPath.empty()) {
        std::vector<std::string> notOver = job.inputs();
        notOver.push_back(job.outputPath);
        writeFileAtomic(job.paramsPath, paramsToJson(params) + "\n", notOver);
    }
}

std::vector<fs::path> imagesIn(const std::string& folder, const char* option) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) throw Error(folder + ": " + option + " is not a folder");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.is_regular_file() && isImageFile(entry.path())) files.push_back(entry.path());
    if (ec) throw Error(folder + ": cannot list the folder: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

int runBatch(Predictor& predictor, const ArgParser& parser, const WriteOptions& writeOptions,
             const subject::SubjectPredictor* subject) {
    const std::string imageDir = parser.value("image-dir");
    const std::string maskDir = subject ? std::string() : parser.value("mask-dir");
    const std::string outDir = parser.value("out-dir");
    const auto format = parser.optional("format");
    if (format && *format != "png" && *format != "jpg" && *format != "tif")
        throw UsageError("--format must be png, jpg or tif, got '" + *format + "'");

    const auto images = imagesIn(imageDir, "--image-dir");
    if (images.empty()) throw Error(imageDir + ": no images found (.png .jpg .jpeg .tif .tiff .webp .bmp .heic .heif .avif .jfif)");
    // Masks are matched by name stem, so "a.jpg" pairs with "a.png"; two masks with one stem are ambiguous.
    std::map<std::string, std::vector<fs::path>> masksByStem;
    if (!subject)
        for (const auto& mask : imagesIn(maskDir, "--mask-dir")) masksByStem[mask.stem().string()].push_back(mask);
    // Every output path first: before anything is written, refuse two images that would write
    // one file (a.jpg and a.png with --format png) and any output that is any input of the
    // batch (--out-dir equal to --image-dir).
    std::vector<std::string> allInputs;
    for (const auto& image : images) allInputs.push_back(image.string());
    for (const auto& [stem, masks] : masksByStem)
        for (const auto& mask : masks) allInputs.push_back(mask.string());
    std::vector<std::string> outputs;
    std::map<std::string, std::string> producer;  // output file name -> the image that writes it
    for (const auto& image : images) {
        // Formats that cannot be written (HEIC, AVIF, BMP, JFIF) become JPEG unless --format says otherwise.
        std::string extension = format ? "." + *format : image.extension().string();
        if (!isSupportedOutputExtension("out" + extension)) extension = ".jpg";
        const std::string name = image.stem().string() + extension;
        const auto [it, inserted] = producer.emplace(name, image.filename().string());
        if (!inserted)
            throw Error((fs::path(outDir) / name).string() + ": both " + it->second + " and " +
                        image.filename().string() + " would be written there; rename one or drop --format");
        outputs.push_back((fs::path(outDir) / name).string());
    }
    std::error_code ec;
    fs::create_directories(outDir, ec);
    if (ec) throw Error(outDir + ": cannot create the output folder: " + ec.message());
    checkOutputs(outputs, allInputs);

    const StopFlag stop;
    const bool terminal = stderrIsTerminal();
    int failed = 0;
    std::size_t done = 0;
    for (std::size_t i = 0; i < images.size() && !stop.requested(); ++i) {
        const auto& image = images[i];
        const std::string name = image.filename().string();
        if (terminal) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s ...", i + 1, images.size(), name.c_str());
        else std::fprintf(stderr, "[%zu/%zu] %s\n", i + 1, images.size(), name.c_str());
        std::fflush(stderr);
        try {
            Job job;
            job.imagePath = image.string();
            job.outputPath = outputs[i];
            if (!subject) {
                const auto masks = masksByStem.find(image.stem().string());
                if (masks == masksByStem.end())
                    throw Error("no mask named " + image.stem().string() + ".* in " + maskDir);
                if (masks->second.size() > 1)
                    throw Error("more than one mask named " + image.stem().string() + ".* in " + maskDir);
                job.maskPath = masks->second.front().string();
            }
            harmonizeOne(predictor, job, writeOptions, allInputs, subject);
        } catch (const std::exception& e) {
            ++failed;
            if (terminal) std::fprintf(stderr, "\n");
            std::fprintf(stderr, "%s: error: %s: %s\n", kCommand, name.c_str(), e.what());
        }
        ++done;
    }
    if (terminal) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "%s: %zu of %zu images harmonized into %s", kCommand, done - std::size_t(failed),
                 images.size(), outDir.c_str());
    if (failed) std::fprintf(stderr, "; %d failed", failed);
    if (stop.requested()) std::fprintf(stderr, "; interrupted, %zu not started", images.size() - done);
    std::fprintf(stderr, "\n");
    if (stop.requested()) return 130;
    return failed ? 1 : 0;
}

int runHarmonize(const std::vector<std::string>& args) {
    ArgParser parser("harmonize",
                     "--image IN --mask MASK|--auto-mask -o OUT [--params-out FILE.json]\n"
                     "       harmonizer-cli harmonize --image-dir DIR --mask-dir DIR|--auto-mask --out-dir DIR [--format png|jpg|tif]\n"
                     "       [--model FILE] [--device auto|cpu|cuda] [--quality Q] [--subject-model FILE]",
                     "Predicts the six filter values for the foreground of IN (where MASK > 0) and renders them at full\n"
                     "resolution. OUT keeps IN's size and bit depth; outside the mask it equals IN bit for bit.\n"
                     "The values are rounded to the 6 decimals that `predict --json` prints, so the result equals\n"
                     "`apply` with those values. With --image-dir, images are paired with masks by file name stem\n"
                     "(the mask may have another extension); a bad pair is reported and skipped, and the exit status\n"
                     "is 1 if any pair failed. OUT keeps IN's EXIF, XMP, IPTC and ICC profile (orientation reset to\n"
                     "normal); the network sees IN's colours converted to sRGB. With --auto-mask there is no mask\n"
                     "file: the foreground is the subject that Select Subject finds (as `harmonizer-cli mask`).");
    parser.addOption("image", "IN", "composite image (8-bit JPEG/PNG/TIFF/WebP/HEIC/AVIF, 16-bit PNG/TIFF)");
    parser.addOption("mask", "MASK", "foreground mask, same size as IN (1/3/4 channels, 8/16-bit, soft)");
    parser.addOption("output", "OUT", "output image (.png .jpg .tif .webp); 16-bit input needs .png or .tif");
    parser.addOption("params-out", "FILE", "also write the values as JSON (the same as predict --json)");
    parser.addOption("image-dir", "DIR", "batch: folder of composites");
    parser.addOption("mask-dir", "DIR", "batch: folder of masks, matched to the composites by name stem");
    parser.addOption("out-dir", "DIR", "batch: output folder (created if missing); names = image stem + extension");
    parser.addOption("format", "EXT", "batch: png, jpg or tif instead of each input's own extension");
    parser.addFlag("auto-mask", "no mask file: the foreground is the subject network's (instead of --mask or --mask-dir)");
    addSubjectModelOption(parser);
    parser.addPredictorOptions(/*withThreads=*/true, kStillImageViews);
    parser.addOption("quality", "Q", "JPEG quality 1..100, default 95");
    parser.addStripMetadataFlag();
    if (!parser.parse(args)) return 0;

    const bool batch = parser.has("image-dir") || parser.has("mask-dir") || parser.has("out-dir");
    const bool autoMask = parser.has("auto-mask");
    if (autoMask && (parser.has("mask") || parser.has("mask-dir")))
        throw UsageError(std::string("--auto-mask replaces --") + (parser.has("mask") ? "mask" : "mask-dir") +
                         "; give one or the other");
    if (!autoMask && parser.has("subject-model"))
        throw UsageError("--subject-model is for --auto-mask");
    if (batch) {
        for (const char* single : {"image", "mask", "output", "params-out"})
            if (parser.has(single))
                throw UsageError(std::string("--") + single + " is for one image; it cannot be combined with --image-dir");
        for (const char* required : {"image-dir", "mask-dir", "out-dir"})
            if (!parser.has(required) && !(autoMask && std::string(required) == "mask-dir"))
                throw UsageError(std::string("missing required option --") + required +
                                 " (a batch needs --image-dir, --mask-dir or --auto-mask, and --out-dir)");
    } else if (parser.has("format")) {
        throw UsageError("--format is for --image-dir batches; for one image the extension of -o decides");
    } else if (!autoMask && !parser.has("mask")) {
        throw UsageError("missing required option --mask (or --auto-mask)");
    }
    const PredictorOptions options = parser.predictorOptions(kStillImageViews);
    WriteOptions writeOptions;
    writeOptions.jpegQuality = parser.integer("quality", 95, 1, 100);
    writeOptions.stripMetadata = parser.has("strip-metadata");

    if (batch) {
        Predictor predictor(options);
        const auto subject = autoMask ? makeSubjectPredictor(parser, options.threads) : nullptr;
        return runBatch(predictor, parser, writeOptions, subject.get());
    }
    Job job;
    job.imagePath = parser.value("image");
    job.maskPath = autoMask ? std::string() : parser.value("mask");
    job.outputPath = parser.value("output");
    job.paramsPath = parser.optional("params-out").value_or("");
    checkJob(job);  // before loading the models
    Predictor predictor(options);
    const auto subject = autoMask ? makeSubjectPredictor(parser, options.threads) : nullptr;
    harmonizeOne(predictor, job, writeOptions, {}, subject.get());
    return 0;
}

Registrar registrar{{"harmonize", "predict and render in one step (one image or a folder)", runHarmonize}};

}  // namespace
}  // namespace hz::cli
