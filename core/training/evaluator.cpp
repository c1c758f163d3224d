#include "core/training/evaluator.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "core/image_io.h"
#include "core/model/predictor.h"
#include "core/paths.h"
#include "core/training/baseline_lab.h"
#include "core/training/dataset.h"
#include "core/training/evalset.h"
#include "core/training/batch.h"
#include "core/training/oracle.h"
#include "core/training/perturb.h"

#include <fstream>
#include <map>

#ifdef HZ_HAVE_RENDER
#include "core/render/renderer.h"
#else
#include "core/filters_torch.h"
#endif

namespace fs = std::filesystem;

namespace hz::training {
namespace {

// Spec section 7 says "resize all three" to 256x256; bilinear for all of them (the mask
// stays soft and is binarised at 0.5 by the metrics).
cv::Mat resizedForEval(const cv::Mat& image, int size) {
    if (size <= 0 || (image.cols == size && image.rows == size)) return image;
    cv::Mat out;
    cv::resize(image, out, {size, size}, 0, 0, cv::INTER_LINEAR);
    return out;
}

cv::Mat renderResult(const cv::Mat& composite, const cv::Mat& mask16, const FilterParams& params, int threads) {
#ifdef HZ_HAVE_RENDER
    cv::Mat out;
    RenderOptions options;
    options.threads = threads;
    render(composite, mask16, params, out, options);
    return out;
#else
    // Float64 reference filters: the fast renderer's ground truth, used until it is built.
    const double scale = composite.depth() == CV_8U ? 255.0 : 65535.0;
    cv::Mat rgb, rgbFloat, maskFloat;
    cv::cvtColor(composite, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(rgbFloat, CV_64F, 1.0 / scale);
    mask16.convertTo(maskFloat, CV_64F, 1.0 / 65535.0);
    const auto image = torch::from_blob(rgbFloat.data, {1, rgbFloat.rows, rgbFloat.cols, 3}, torch::kFloat64).permute({0, 3, 1, 2});
    const auto mask = torch::from_blob(maskFloat.data, {1, 1, maskFloat.rows, maskFloat.cols}, torch::kFloat64);
    const auto result = torchfilters::harmonize(image, mask, torchfilters::argsTensor(params.clamped()))
                            .permute({0, 2, 3, 1}).contiguous().mul(scale).round();
    cv::Mat wrapped(rgbFloat.rows, rgbFloat.cols, CV_64FC3, result.data_ptr()), typed, out;
    wrapped.convertTo(typed, composite.depth());
    cv::cvtColor(typed, out, cv::COLOR_RGB2BGR);
    // Outside the mask the input, bit for bit (the product's promise).
    composite.copyTo(out, mask16 == 0);
    return out;
#endif
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

std::string jsonString(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string metricsJson(const MeanMetrics& m, bool withWorse = true) {
    return "{\"mse\": " + number(m.mse) + ", \"psnr\": " + number(m.psnr) + ", \"fmse\": " + number(m.fmse) +
           (withWorse ? ", \"worse\": " + std::to_string(m.madeWorse) : std::string()) + "}";
}

const ImageMetrics& pickMetrics(const EvalRow& row, Method method) {
    switch (method) {
        case Method::Composite: return row.unharmonized;
        case Method::Result: return row.result;
        case Method::Baseline: return row.baseline;
        case Method::Oracle: return row.oracle;
    }
    return row.unharmonized;
}

std::string methodsJson(const EvalReport& report, const std::vector<EvalRow>& rows) {
    std::string out = "\"count\": " + std::to_string(rows.size()) + ", \"composite\": " + metricsJson(meanOf(rows, Method::Composite), /*withWorse=*/false);
    if (report.options.useModel) out += ", \"result\": " + metricsJson(meanOf(rows, Method::Result));
    if (report.options.labBaseline) out += ", \"baseline_lab\": " + metricsJson(meanOf(rows, Method::Baseline));
    if (report.options.oracle) out += ", \"oracle\": " + metricsJson(meanOf(rows, Method::Oracle));
    return out;
}

// perturbations.csv of a subset: "composite_images/<file>" -> the perturbation.
std::map<std::string, std::array<double, kFilterCount>> readPerturbations(const fs::path& subsetDir) {
    std::map<std::string, std::array<double, kFilterCount>> table;
    const fs::path file = subsetDir / kPerturbationsFile;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return table;
    std::ifstream in(file);
    std::string line;
    bool header = true;
    int lineNumber = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        if (header || line.empty()) {
            header = false;
            continue;
        }
        std::stringstream fields(line);
        std::string name, value;
        std::getline(fields, name, ',');
        std::array<double, kFilterCount> args{};
        for (int i = 0; i < kFilterCount; ++i) {
            if (!std::getline(fields, value, ','))
                throw hz::Error(file.string() + ":" + std::to_string(lineNumber) + ": expected a name and " +
                                std::to_string(kFilterCount) + " values");
            args[std::size_t(i)] = std::stod(value);
        }
        table[name] = args;
    }
    return table;
}

}  // namespace

std::vector<double> filterR2(const std::vector<EvalRow>& rows, FilterParams EvalRow::*values) {
    std::vector<const EvalRow*> known;
    for (const auto& row : rows)
        if (row.restoring) known.push_back(&row);
    if (known.size() < 2) return {};
    std::vector<double> r2;
    for (int i = 0; i < kFilterCount; ++i) {
        const auto field = filterSpecs()[std::size_t(i)].field;
        double mean = 0;
        for (const auto* row : known) mean += (*row->restoring)[std::size_t(i)];
        mean /= double(known.size());
        double residual = 0, total = 0;
        for (const auto* row : known) {
            const double truth = (*row->restoring)[std::size_t(i)];
            const double value = (row->*values).*field;
            residual += (value - truth) * (value - truth);
            total += (truth - mean) * (truth - mean);
        }
        r2.push_back(total > 0 ? 1.0 - residual / total : 0.0);
    }
    return r2;
}

MeanMetrics meanOf(const std::vector<EvalRow>& rows, Method method) {
    MeanMetrics mean;
    if (rows.empty()) return mean;
    for (const auto& row : rows) {
        const ImageMetrics& m = pickMetrics(row, method);
        mean.mse += m.mse;
        mean.psnr += m.psnr;
        mean.fmse += m.fmse;
        if (method != Method::Composite && m.fmse > row.unharmonized.fmse) ++mean.madeWorse;
    }
    const double n = double(rows.size());
    mean.mse /= n;
    mean.psnr /= n;
    mean.fmse /= n;
    return mean;
}

EvalReport evaluate(const EvalOptions& options, const std::function<void(int, int)>& progress) {
    EvalReport report;
    report.options = options;
    auto triples = listIHarmony4(options.dataset, options.listFile, "test");
    if (options.limit > 0 && int(triples.size()) > options.limit) triples.resize(std::size_t(options.limit));
    if (triples.empty()) throw hz::Error(options.dataset + ": no composites to evaluate");

    std::unique_ptr<Predictor> predictor;
    if (options.useModel) {
        PredictorOptions predictorOptions;
        predictorOptions.modelPath = options.modelPath;
        predictorOptions.device = DeviceChoice::Cpu;
        predictorOptions.threads = options.threads;
        predictorOptions.views = options.views;
        predictorOptions.outputGain = options.outputGain;
        predictorOptions.inputSize = options.inputSize;
        predictorOptions.extraInputSizes = options.extraInputSizes;
        predictor = std::make_unique<Predictor>(predictorOptions);
        report.modelPath = options.modelPath.empty() ? defaultModelPath() : options.modelPath;
        report.modelVersion = predictor->metadata().modelVersion;
    }
    if (!options.saveDir.empty()) {
        fs::create_directories(options.saveDir);
        if (options.labBaseline) fs::create_directories(fs::path(options.saveDir) / "lab");
    }

    std::map<std::string, std::map<std::string, std::array<double, kFilterCount>>> perturbationsBySubset;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < triples.size(); ++i) {
        const HarmonyTriple& triple = triples[i];
        const fs::path compositePath(triple.composite);
        const fs::path subsetDir = compositePath.parent_path().parent_path();
        auto known = perturbationsBySubset.find(subsetDir.string());
        if (known == perturbationsBySubset.end())
            known = perturbationsBySubset.emplace(subsetDir.string(), readPerturbations(subsetDir)).first;
        cv::Mat composite = loadImage(triple.composite).pixels;
        cv::Mat real = loadImage(triple.real).pixels;
        cv::Mat mask = loadMask(triple.mask);
        if (options.size <= 0) {
            if (real.size() != composite.size())
                throw hz::Error(triple.real + ": size differs from the composite " + triple.composite);
            if (mask.size() != composite.size())
                throw hz::Error(triple.mask + ": size differs from the composite " + triple.composite);
        }
        composite = resizedForEval(composite, options.size);
        real = resizedForEval(real, options.size);
        mask = resizedForEval(mask, options.size);

        EvalRow row;
        row.subset = triple.subset;
        row.composite = triple.composite;
        row.unharmonized = computeMetrics(composite, real, mask);
        if (const auto it = known->second.find("composite_images/" + compositePath.filename().string()); it != known->second.end())
            row.perturbation = it->second;
        if (row.perturbation) {
            const auto& r = *row.perturbation;
            const auto restoring = restoringArgsFor(
                imagesToTensor({real}), masksToTensor({mask}),
                torch::tensor(std::vector<double>(r.begin(), r.end()), torch::kFloat64).reshape({1, kFilterCount}));
            std::array<double, kFilterCount> values{};
            for (int f = 0; f < kFilterCount; ++f) values[std::size_t(f)] = restoring[0][f].item<double>();
            row.restoring = values;
        }
        const std::string fileName = fs::path(triple.composite).filename().string();
        if (predictor) {
            row.predicted = predictor->predict(composite, mask);
            const cv::Mat result = renderResult(composite, mask, row.predicted, options.threads);
            row.result = computeMetrics(result, real, mask);
            if (!options.saveDir.empty())
                writeImageAtomic((fs::path(options.saveDir) / fileName).string(), result, {triple.composite, triple.real});
        }
        if (options.labBaseline) {
            LabBaselineOptions labOptions;
            labOptions.strength = options.labStrength;
            const cv::Mat baseline = labBaseline(composite, mask, labOptions);
            row.baseline = computeMetrics(baseline, real, mask);
            if (!options.saveDir.empty())
                writeImageAtomic((fs::path(options.saveDir) / "lab" / fileName).string(), baseline, {triple.composite, triple.real});
        }
        if (options.oracle) {
            std::vector<FilterParams> starts{FilterParams{}};
            if (predictor) starts.push_back(row.predicted);
            row.oracleValues = fitFilterValues(composite, mask, real, starts);
            row.oracle = computeMetrics(renderResult(composite, mask, row.oracleValues, options.threads), real, mask);
        }
        report.rows.push_back(std::move(row));
        if (progress) progress(int(i + 1), int(triples.size()));
    }
    report.secondsPerImage = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / double(triples.size());
    return report;
}

std::string reportJson(const EvalReport& report) {
    std::ostringstream out;
    out << "{\"dataset\": " << jsonString(report.options.dataset)
        << ", \"size\": " << (report.options.size > 0 ? jsonString(std::to_string(report.options.size)) : jsonString("full"));
    if (report.options.useModel)
        out << ", \"model\": " << jsonString(report.modelPath) << ", \"model_version\": " << jsonString(report.modelVersion);
    out << ", " << methodsJson(report, report.rows) << ", \"seconds_per_image\": " << number(report.secondsPerImage);
    const auto putR2 = [&](const char* key, const std::vector<double>& r2) {
        if (r2.empty()) return;
        out << ", \"" << key << "\": {";
        for (int i = 0; i < kFilterCount; ++i)
            out << (i ? ", " : "") << jsonString(filterSpecs()[std::size_t(i)].key) << ": " << number(r2[std::size_t(i)]);
        out << "}";
    };
    if (report.options.useModel) putR2("filter_r2", filterR2(report.rows));
    if (report.options.oracle) putR2("oracle_filter_r2", filterR2(report.rows, &EvalRow::oracleValues));
    std::map<std::string, std::vector<EvalRow>> bySubset;
    for (const auto& row : report.rows) bySubset[row.subset].push_back(row);
    out << ", \"subsets\": {";
    bool first = true;
    for (const auto& [subset, rows] : bySubset) {
        out << (first ? "" : ", ") << jsonString(subset) << ": {" << methodsJson(report, rows) << "}";
        first = false;
    }
    out << "}}\n";
    return out.str();
}

std::string reportCsv(const EvalReport& report) {
    std::ostringstream out;
    out << "subset,composite,mse_composite,psnr_composite,fmse_composite";
    if (report.options.useModel) out << ",mse_result,psnr_result,fmse_result";
    if (report.options.labBaseline) out << ",mse_lab,psnr_lab,fmse_lab";
    if (report.options.oracle) out << ",mse_oracle,psnr_oracle,fmse_oracle";
    out << ",fg_pixels";
    if (report.options.useModel)
        for (const auto& spec : filterSpecs()) out << "," << spec.key;
    if (report.options.oracle)
        for (const auto& spec : filterSpecs()) out << ",oracle_" << spec.key;
    out << "\n";
    for (const auto& row : report.rows) {
        out << csvField(row.subset) << "," << csvField(row.composite);
        const auto put = [&](const ImageMetrics& m) { out << "," << number(m.mse) << "," << number(m.psnr) << "," << number(m.fmse); };
        put(row.unharmonized);
        if (report.options.useModel) put(row.result);
        if (report.options.labBaseline) put(row.baseline);
        if (report.options.oracle) put(row.oracle);
        out << "," << row.unharmonized.foregroundPixels;
        if (report.options.useModel)
            for (const auto& spec : filterSpecs()) out << "," << number(row.predicted.*(spec.field));
        if (report.options.oracle)
            for (const auto& spec : filterSpecs()) out << "," << number(row.oracleValues.*(spec.field));
        out << "\n";
    }
    return out.str();
}

std::string reportText(const EvalReport& report) {
    std::ostringstream out;
    char line[160];
    out << "evaluated " << report.rows.size() << " composites at "
        << (report.options.size > 0 ? std::to_string(report.options.size) + "x" + std::to_string(report.options.size) : std::string("full resolution"))
        << "\n";
    std::snprintf(line, sizeof line, "%-16s %12s %10s %12s %12s\n", "", "MSE", "PSNR", "fMSE", "made worse");
    out << line;
    const auto put = [&](const char* name, Method method) {
        const MeanMetrics m = meanOf(report.rows, method);
        const std::string worse = method == Method::Composite ? std::string("") : std::to_string(m.madeWorse);
        std::snprintf(line, sizeof line, "%-16s %12.2f %10.2f %12.2f %12s\n", name, m.mse, m.psnr, m.fmse, worse.c_str());
        out << line;
    };
    put("composite", Method::Composite);
    if (report.options.useModel) put("harmonizer", Method::Result);
    if (report.options.labBaseline) put("lab baseline", Method::Baseline);
    if (report.options.oracle) put("filter ceiling", Method::Oracle);
    const auto putR2 = [&](const char* title, const std::vector<double>& r2) {
        if (r2.empty()) return;
        out << title;
        for (int i = 0; i < kFilterCount; ++i) {
            std::snprintf(line, sizeof line, "  %-12s %7.3f\n", filterSpecs()[std::size_t(i)].key, r2[std::size_t(i)]);
            out << line;
        }
    };
    if (report.options.useModel)
        putR2("R^2 of each predicted filter against the true value (six-filter composites):\n", filterR2(report.rows));
    if (report.options.oracle)
        putR2("R^2 of the filter ceiling's fitted values against the true value (how far the image pins each filter):\n",
              filterR2(report.rows, &EvalRow::oracleValues));
    return out.str();
}

}  // namespace hz::training
