// `harmonizer-cli eval`: MSE / PSNR / fMSE on an iHarmony4-layout dataset (spec section 7).
#ifdef HZ_HAVE_TRAINING
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/training/evaluator.h"

namespace hz::cli {
namespace {

// Before any work: the CSV must not replace the list file or any existing file of the
// dataset (its images), and --save-dir must not be an existing folder inside the dataset
// (results are named like the composites).
void checkEvalOutputs(const training::EvalOptions& options, const std::string& csv) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dataset = fs::weakly_canonical(options.dataset, ec);
    auto inside = [&](const std::string& path) {
        const fs::path p = fs::weakly_canonical(path, ec);
        const auto mismatch = std::mismatch(dataset.begin(), dataset.end(), p.begin(), p.end());
        return mismatch.first == dataset.end();
    };
    if (!csv.empty()) {
        checkOutputs({csv}, {options.listFile, options.modelPath, options.dataset});
        if (fs::exists(csv, ec) && inside(csv))
            throw Error(csv + ": refusing to overwrite a file of the dataset " + options.dataset);
    }
    if (!options.saveDir.empty() && fs::is_directory(options.saveDir, ec) && inside(options.saveDir))
        throw Error(options.saveDir + ": --save-dir is an existing folder inside the dataset; choose a folder outside it");
}

int runEval(const std::vector<std::string>& args) {
    ArgParser parser("eval", "--dataset DIR [options]",
                     "Measures harmonization quality on the iHarmony4 layout: <Subset>/composite_images/<name>_<k>_<j>.jpg,\n"
                     "<Subset>/masks/<name>_<k>.png, <Subset>/real_images/<name>.jpg and <Subset>_test.txt. DIR is a subset\n"
                     "or a folder of subsets. Per image on the 0-255 scale: MSE (all pixels), fMSE (foreground, mask\n"
                     "binarised at 0.5), PSNR = 10 log10(255^2 / MSE) (capped at 100 for a perfect image); then the\n"
                     "averages over images, for the unharmonized composite, our result and optionally the Lab baseline\n"
                     "and the filters' ceiling (--oracle).\n"
                     "--size 256 resizes composite, mask and real photo to 256x256 (bilinear) before everything.");
    parser.addOption("dataset", "DIR", "iHarmony4-layout folder");
    parser.addOption("list", "FILE", "composites to evaluate, one path per line (default <Subset>_test.txt, else all)");
    parser.addOption("size", "N|full", "evaluation size: 256 (default) or full (native resolution)");
    parser.addOption("model", "FILE", "model file (default: the installed model)");
    parser.addFlag("no-model", "only the composite (and --baseline) figures");
    parser.addOption("baseline", "lab", "also evaluate the classical Lab mean/std transfer baseline");
    parser.addOption("baseline-strength", "X", "Lab baseline: share of the full mean/std transfer, default 0.5");
    parser.addFlag("oracle", "also the filters' ceiling: six values fitted to each image against its real photo");
    parser.addOption("save-dir", "DIR", "write harmonized images there under the composite's file name (baseline: DIR/lab/)");
    parser.addOption("csv", "FILE", "per-image figures as CSV");
    parser.addFlag("json", "print the averages as one JSON object instead of a table");
    parser.addOption("threads", "N", "threads, default every core");
    parser.addOption("limit", "N", "evaluate only the first N composites");
    parser.addViewsOption(kStillImageViews);
    parser.addOption("input-size", "N", "run the network at N x N instead of the model file's input size (32-" + std::to_string(kMaxInputSize) + ")");
    parser.addOption("extra-input-sizes", "LIST", "comma-separated sides the network also runs at, their values averaged with the views'\n"
                                              "(test-time scales); 'none' for the input size alone; default the model file's own");
    if (!parser.parse(args)) return 0;

    training::EvalOptions options;
    options.dataset = parser.value("dataset");
    options.listFile = parser.optional("list").value_or("");
    const std::string size = parser.optional("size").value_or("256");
    options.size = size == "full" ? 0 : parser.integer("size", 256, 16, 16384);
    options.modelPath = parser.optional("model").value_or("");
    options.useModel = !parser.has("no-model");
    if (!options.useModel && parser.has("model")) throw UsageError("--model and --no-model contradict each other");
    if (const auto baseline = parser.optional("baseline")) {
        if (*baseline != "lab") throw UsageError("--baseline supports only 'lab'");
        options.labBaseline = true;
    }
    options.labStrength = parser.number("baseline-strength", 0.5, 0.0, 1.0);
    options.oracle = parser.has("oracle");
    options.saveDir = parser.optional("save-dir").value_or("");
    options.threads = parser.threads();
    options.limit = parser.integer("limit", 0, 0, 100000000);
    options.views = parser.views(kStillImageViews);
    if (parser.has("input-size")) options.inputSize = parser.integer("input-size", 128, 32, kMaxInputSize);
    if (const auto sizes = parser.optional("extra-input-sizes"))
        options.extraInputSizes = parseExtraInputSizes("extra-input-sizes", *sizes);
    checkEvalOutputs(options, parser.optional("csv").value_or(""));
    const bool json = parser.has("json");
    const bool drawProgress = stderrIsTerminal() && !json;

    const auto report = training::evaluate(options, [&](int done, int total) {
        if (drawProgress) std::fprintf(stderr, "\reval: %d/%d", done, total);
        if (drawProgress && done == total) std::fprintf(stderr, "\n");
    });
    if (const auto csv = parser.optional("csv")) writeFileAtomic(*csv, training::reportCsv(report));
    std::fputs((json ? training::reportJson(report) : training::reportText(report)).c_str(), stdout);
    return 0;
}

Registrar registrar{{"eval", "measure MSE/PSNR/fMSE on an iHarmony4-layout dataset", runEval}};

}  // namespace
}  // namespace hz::cli
#endif  // HZ_HAVE_TRAINING
