// gpu_check: runs the Harmonizer network on CUDA and on the CPU with the same inputs, checks
// that they agree and where every tensor lives, times inference, and prints one JSON object
// on stdout (fields: README.md). Needs LibTorch only, so that it builds on a GPU machine
// without Qt or OpenCV.
//
// Exit status: 0 every check that ran passed (CUDA may have been skipped: see "result");
// 1 a check failed; 2 bad arguments or an unusable model file; 3 CUDA unavailable while
// --require-cuda was given (the CPU part still ran and the JSON is complete).
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model/hzm_container.h"
#include "core/model/network.h"
#include "core/model/statistics_head.h"

#ifndef HZ_DEFAULT_MODEL
#define HZ_DEFAULT_MODEL "models/harmonizer.hzm"
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTolerance = 1e-3;  // on the six raw output values
constexpr int kViews = 8;
constexpr std::int64_t kFrameWidth = 1920, kFrameHeight = 1080;
// A fresh network's final layers B_i are drawn with std 1e-3 so that it predicts ~0; that
// would make a 1e-3 tolerance meaningless. The check redraws them with this std, which gives
// outputs of order 0.1-1 on the test images.
constexpr double kRandomOutputStd = 0.05;

// ---------------------------------------------------------------------------------------
// A tiny ordered JSON object builder: the check must not depend on a JSON library.

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const unsigned char c : text) {
        if (c == '"' || c == '\\') out += '\\', out += char(c);
        else if (c == '\n') out += "\\n";
        else if (c < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
            out += buffer;
        } else out += char(c);
    }
    return out + "\"";
}

std::string number(double value) {
    if (!std::isfinite(value)) return "null";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
    return buffer;
}

class Json {
public:
    Json& raw(const std::string& key, const std::string& json) {
        text_ += (text_.empty() ? "" : ", ") + quoted(key) + ": " + json;
        return *this;
    }
    Json& num(const std::string& key, double value) { return raw(key, number(value)); }
    Json& str(const std::string& key, const std::string& value) { return raw(key, quoted(value)); }
    Json& flag(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
    Json& obj(const std::string& key, const Json& value) { return raw(key, value.text()); }
    Json& nums(const std::string& key, const std::vector<double>& values) {
        std::string list;
        for (const double v : values) list += (list.empty() ? "" : ", ") + number(v);
        return raw(key, "[" + list + "]");
    }
    Json& strs(const std::string& key, const std::vector<std::string>& values) {
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + quoted(v);
        return raw(key, "[" + list + "]");
    }
    std::string text() const { return "{" + text_ + "}"; }

private:
    std::string text_;
};

// ---------------------------------------------------------------------------------------

struct Options {
    std::string modelPath = HZ_DEFAULT_MODEL;
    int iterations = 20;
    int warmup = 5;
    int images = 4;
    int seed = 7;
    int threads = 0;  // 0: LibTorch's default (every core)
    std::optional<int> inputSize;
    bool requireCuda = false;
    std::string gpuName, torchSource;
};

const char* kUsage =
    "usage: gpu_check [--model FILE] [--iterations N] [--warmup N] [--images K] [--seed S]\n"
    "                 [--threads N] [--input-size S] [--require-cuda] [--gpu-name TEXT]\n"
    "                 [--torch-source TEXT]\n"
    "Runs the network on CUDA and on the CPU, compares, times; prints one JSON object.\n";

int parseInt(const std::string& name, const std::string& text, int low, int high) {
    std::size_t used = 0;
    int value = 0;
    try {
        value = std::stoi(text, &used);
    } catch (...) {
        used = 0;
    }
    if (used != text.size() || value < low || value > high)
        throw hz::Error("--" + name + " must be an integer in " + std::to_string(low) + ".." + std::to_string(high) +
                        ", got '" + text + "'");
    return value;
}

Options parseArgs(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw hz::Error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (arg == "--model") options.modelPath = value();
        else if (arg == "--iterations") options.iterations = parseInt("iterations", value(), 1, 10000);
        else if (arg == "--warmup") options.warmup = parseInt("warmup", value(), 0, 10000);
        else if (arg == "--images") options.images = parseInt("images", value(), 1, 64);
        else if (arg == "--seed") options.seed = parseInt("seed", value(), 0, 1 << 30);
        else if (arg == "--threads") options.threads = parseInt("threads", value(), 0, 1024);
        else if (arg == "--input-size") options.inputSize = parseInt("input-size", value(), 32, 4096);
        else if (arg == "--require-cuda") options.requireCuda = true;
        else if (arg == "--gpu-name") options.gpuName = value();
        else if (arg == "--torch-source") options.torchSource = value();
        else throw hz::Error("unknown argument '" + arg + "'\n" + kUsage);
    }
    return options;
}

// The check has no JSON library: it reads the top-level fields it needs from the model's
// metadata with a scan that assumes what saveModel writes (a unique key, then a number or a
// string without escapes).
std::optional<std::string> metadataField(const std::string& json, const std::string& key) {
    const auto at = json.find(quoted(key));
    if (at == std::string::npos) return std::nullopt;
    auto i = json.find_first_not_of(" \t\r\n", at + key.size() + 2);
    if (i == std::string::npos || json[i] != ':') return std::nullopt;
    i = json.find_first_not_of(" \t\r\n", i + 1);
    if (i == std::string::npos) return std::nullopt;
    if (json[i] == '"') {
        const auto end = json.find('"', i + 1);
        if (end == std::string::npos) return std::nullopt;
        return json.substr(i + 1, end - i - 1);
    }
    const auto end = json.find_first_of(",}\r\n", i);
    auto text = json.substr(i, end == std::string::npos ? std::string::npos : end - i);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    return text;
}

void synchronizeIf(bool cuda) {
    if (cuda) torch::cuda::synchronize();
}

struct Stats {
    double median = 0, min = 0, max = 0;
};

// Warm-up runs first; on CUDA the queue is drained before each clock reading.
Stats timeIt(const Options& options, bool cuda, const std::function<void()>& run) {
    for (int i = 0; i < options.warmup; ++i) run();
    synchronizeIf(cuda);
    std::vector<double> ms;
    for (int i = 0; i < options.iterations; ++i) {
        const auto start = Clock::now();
        run();
        synchronizeIf(cuda);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    const std::size_t n = ms.size();
    return {n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]), ms.front(), ms.back()};
}

Json statsJson(const Stats& stats) {
    Json json;
    json.num("median", stats.median).num("min", stats.min).num("max", stats.max);
    return json;
}

// ---------------------------------------------------------------------------------------
// Inputs: smooth random colour fields with some grain, and soft elliptic masks; fixed seed.

struct Inputs {
    torch::Tensor images;  // [K, 3, S, S] float in [0, 1], CPU
    torch::Tensor masks;   // [K, 1, S, S]
};

Inputs makeInputs(int count, int side, int seed) {
    torch::manual_seed(seed);
    Inputs inputs;
    const auto coarse = torch::rand({count, 3, 6, 6});
    inputs.images = torch::nn::functional::interpolate(
        coarse, torch::nn::functional::InterpolateFuncOptions()
                    .size(std::vector<std::int64_t>{side, side})
                    .mode(torch::kBilinear)
                    .align_corners(false));
    inputs.images = (inputs.images + 0.05 * torch::randn_like(inputs.images)).clamp(0, 1);
    const auto axis = (torch::arange(side, torch::kFloat32) + 0.5) / double(side);
    const auto y = axis.view({1, 1, side, 1}), x = axis.view({1, 1, 1, side});
    const auto params = torch::rand({count, 4});  // centre x, centre y, radius x, radius y
    std::vector<torch::Tensor> masks;
    for (int k = 0; k < count; ++k) {
        const double cx = 0.3 + 0.4 * params[k][0].item<double>(), cy = 0.3 + 0.4 * params[k][1].item<double>();
        const double rx = 0.15 + 0.2 * params[k][2].item<double>(), ry = 0.15 + 0.2 * params[k][3].item<double>();
        const auto distance = ((x - cx) / rx).square() + ((y - cy) / ry).square();
        masks.push_back(((1.0 - distance) * 8.0).clamp(0, 1));  // soft edge
    }
    inputs.masks = torch::cat(masks, 0).contiguous();
    return inputs;
}


// Every image one at a time (the predictor's batch of 1), then the 8 views of image 0 as one
// batch: [K + 8, 6] on the CPU.
template <typename Forward>
torch::Tensor runAll(const Inputs& inputs, const torch::Device& device, Forward&& forward) {
    std::vector<torch::Tensor> rows;
    for (std::int64_t k = 0; k < inputs.images.size(0); ++k)
        rows.push_back(forward(inputs.images.narrow(0, k, 1).to(device), inputs.masks.narrow(0, k, 1).to(device)));
    rows.push_back(forward(hz::symmetricViews(inputs.images.narrow(0, 0, 1), kViews).to(device),
                           hz::symmetricViews(inputs.masks.narrow(0, 0, 1), kViews).to(device)));
    return torch::cat(rows, 0).to(torch::kCPU);
}

std::vector<double> firstRow(const torch::Tensor& outputs) {
    const auto row = outputs[0].to(torch::kFloat64).contiguous();
    return std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
}

// ---------------------------------------------------------------------------------------

class Checker {
public:
    explicit Checker(Options options) : options_(std::move(options)) {}
    int run();

private:
    Json compare(const std::string& name, const torch::Tensor& actual, const torch::Tensor& reference,
                 bool counts = true);
    Json placement(const std::string& name, const std::vector<torch::Tensor>& tensors, const torch::Device& device,
                   bool channelsLast);
    Json checkNetwork(const std::string& name, hz::HarmonizerNet& net, const std::function<hz::HarmonizerNet()>& again,
                      bool recalibrateAgain);
    hz::HarmonizerNet makeRandomNet(hz::Backbone backbone = hz::Backbone::EfficientNetB0);
    Json timing(hz::HarmonizerNet& net, const torch::Device& device);

    Options options_;
    bool cuda_ = false;
    int side_ = 224;
    Inputs inputs_;
    std::vector<std::string> failures_;
    Json placement_;
};

Json Checker::compare(const std::string& name, const torch::Tensor& actual, const torch::Tensor& reference,
                      bool counts) {
    const auto a = actual.to(torch::kCPU, torch::kFloat64), b = reference.to(torch::kCPU, torch::kFloat64);
    const double maxAbs = (a - b).abs().max().item<double>();
    const double scale = b.abs().max().item<double>();
    const bool finite = torch::isfinite(a).all().item<bool>() && torch::isfinite(b).all().item<bool>();
    const bool pass = finite && maxAbs <= kTolerance;
    if (counts && !pass)
        failures_.push_back(name + ": max abs difference " + number(maxAbs) + " (tolerance " + number(kTolerance) +
                            (finite ? ")" : ", non-finite values)"));
    Json json;
    json.num("max_abs_diff", maxAbs).num("max_rel_diff", scale > 0 ? maxAbs / scale : 0.0).num("output_scale", scale);
    json.num("tolerance", kTolerance).flag("pass", pass);
    if (!counts) json.flag("informational", true);
    return json;
}

// Every tensor on `device` as float32 (int64 allowed for BatchNorm's batch counters), and in
// the layout the path expects: channels-last 4-D weights for the CPU predictor, contiguous
// otherwise.
Json Checker::placement(const std::string& name, const std::vector<torch::Tensor>& tensors,
                        const torch::Device& device, bool channelsLast) {
    int wrongDevice = 0, wrongType = 0, wrongLayout = 0;
    for (const auto& t : tensors) {
        if (t.device().type() != device.type()) ++wrongDevice;
        if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kInt64) ++wrongType;
        const bool layoutOk = channelsLast && t.dim() == 4 ? t.is_contiguous(torch::MemoryFormat::ChannelsLast)
                                                           : t.is_contiguous();
        if (!layoutOk) ++wrongLayout;
    }
    const bool pass = !tensors.empty() && wrongDevice + wrongType + wrongLayout == 0;
    if (!pass)
        failures_.push_back("placement " + name + ": " + std::to_string(wrongDevice) + " on the wrong device, " +
                            std::to_string(wrongType) + " of the wrong type, " + std::to_string(wrongLayout) +
                            " in the wrong layout, of " + std::to_string(tensors.size()));
    Json json;
    json.num("tensors", double(tensors.size())).num("wrong_device", wrongDevice).num("wrong_dtype", wrongType);
    json.num("wrong_layout", wrongLayout).flag("pass", pass);
    placement_.obj(name, json);
    return json;
}

hz::HarmonizerNet Checker::makeRandomNet(hz::Backbone backbone) {
    torch::manual_seed(options_.seed + 1000);
    hz::HarmonizerNet net = hz::makeNetwork(backbone);
    torch::NoGradGuard noGrad;
    for (auto& output : net->outputs) torch::nn::init::normal_(output->weight, 0.0, kRandomOutputStd);
    return net;
}

// The comparisons for one set of weights. `net` is on the CPU; `again` makes an identical
// copy (for the module on CUDA; with recalibrateAgain the copy's BatchNorm statistics are
// measured again on CUDA).
Json Checker::checkNetwork(const std::string& name, hz::HarmonizerNet& net,
                           const std::function<hz::HarmonizerNet()>& again, bool recalibrateAgain) {
    Json json;
    const torch::Device cpu(torch::kCPU), gpu(torch::kCUDA, 0);
    net->eval();
    torch::NoGradGuard noGrad;
    const auto moduleForward = [&](const torch::Tensor& image, const torch::Tensor& mask) {
        return net->forward(image, mask);
    };
    const auto cpuModule = runAll(inputs_, cpu, moduleForward);

    // The CPU inference path exactly as the predictor builds it: folded, channels-last.
    hz::FoldedHarmonizerNet foldedCpu(net, cpu, /*channelsLast=*/true);
    const auto foldedForward = [](const hz::FoldedHarmonizerNet& folded) {
        return [&folded](const torch::Tensor& image, const torch::Tensor& mask) {
            c10::InferenceMode inference;
            return folded.forward(image, mask);
        };
    };
    const auto cpuFolded = runAll(inputs_, cpu, foldedForward(foldedCpu));
    json.nums("values_cpu", firstRow(cpuFolded));
    json.obj("cpu_folded_vs_module", compare(name + ".cpu_folded_vs_module", cpuFolded, cpuModule));
    auto cpuTensors = foldedCpu.tensors();
    cpuTensors.push_back(cpuFolded);
    placement(name + ".cpu_folded", cpuTensors, cpu, /*channelsLast=*/true);

    if (!cuda_) {
        json.str("cuda", "skipped (unavailable)");
        return json;
    }
    // The CUDA path as the predictor builds it: folded, contiguous (channels-last is CPU only).
    hz::FoldedHarmonizerNet foldedGpu(net, gpu, /*channelsLast=*/false);
    torch::Tensor gpuFolded;
    {
        // Device placement of the output itself, before the readback to the host.
        c10::InferenceMode inference;
        const auto probe = foldedGpu.forward(inputs_.images.narrow(0, 0, 1).to(gpu), inputs_.masks.narrow(0, 0, 1).to(gpu));
        auto gpuTensors = foldedGpu.tensors();
        gpuTensors.push_back(probe);
        placement(name + ".cuda_folded", gpuTensors, gpu, /*channelsLast=*/false);
        if (probe.sizes() != torch::IntArrayRef({1, 6})) failures_.push_back(name + ": CUDA output is not [1, 6]");
    }
    gpuFolded = runAll(inputs_, gpu, foldedForward(foldedGpu));
    json.nums("values_cuda", firstRow(gpuFolded));
    json.obj("cuda_folded_vs_cpu_folded", compare(name + ".cuda_folded_vs_cpu_folded", gpuFolded, cpuFolded));

    // cuDNN may use TF32 for float convolutions on Ampere and later (LibTorch's default, which
    // the predictor keeps): the same comparison in strict float32, for information.
    auto& context = at::globalContext();
    const bool tf32 = context.allowTF32CuDNN();
    context.setAllowTF32CuDNN(false);
    const auto gpuStrict = runAll(inputs_, gpu, foldedForward(foldedGpu));
    context.setAllowTF32CuDNN(tf32);
    json.obj("cuda_folded_vs_cpu_folded_no_tf32",
             compare(name + ".cuda_folded_vs_cpu_folded_no_tf32", gpuStrict, cpuFolded, /*counts=*/false));

    // The plain module on CUDA (what training on a GPU would run).
    auto copy = again();
    copy->to(gpu);
    if (recalibrateAgain) {
        hz::recalibrateBatchNorm(copy, inputs_.images.to(gpu), inputs_.masks.to(gpu));
        double maxAbs = 0, scale = 0;
        const auto cpuBuffers = net->named_buffers();
        for (const auto& item : copy->named_buffers()) {
            if (item.value().scalar_type() != torch::kFloat32) continue;
            const auto reference = cpuBuffers[item.key()].to(torch::kFloat64);
            maxAbs = std::max(maxAbs, (item.value().to(torch::kCPU, torch::kFloat64) - reference).abs().max().item<double>());
            scale = std::max(scale, reference.abs().max().item<double>());
        }
        Json stats;
        stats.num("max_abs_diff", maxAbs).num("max_rel_diff", scale > 0 ? maxAbs / scale : 0.0).flag("informational", true);
        json.obj("recalibration_cuda_vs_cpu", stats);
    }
    copy->eval();
    std::vector<torch::Tensor> moduleTensors;
    for (const auto& p : copy->parameters()) moduleTensors.push_back(p);
    for (const auto& b : copy->buffers()) moduleTensors.push_back(b);
    placement(name + ".cuda_module", moduleTensors, gpu, /*channelsLast=*/false);
    const auto gpuModule = runAll(inputs_, gpu, [&](const torch::Tensor& image, const torch::Tensor& mask) {
        return copy->forward(image, mask);
    });
    json.obj("cuda_module_vs_cpu_module", compare(name + ".cuda_module_vs_cpu_module", gpuModule, cpuModule));
    return json;
}

// Single-view and 8-view inference from host tensors to host values (what Predictor::predict
// does after its pre-processing), and the video pipeline's per-frame prediction step.
Json Checker::timing(hz::HarmonizerNet& net, const torch::Device& device) {
    const bool cuda = device.is_cuda();
    net->eval();
    hz::FoldedHarmonizerNet folded(net, device, /*channelsLast=*/!cuda);  // as the predictor
    const auto image = inputs_.images.narrow(0, 0, 1).contiguous(), mask = inputs_.masks.narrow(0, 0, 1).contiguous();
    // As Predictor::predict: upload the one view, make the others where the network runs.
    const auto infer = [&](int views) {
        return [&folded, &device, &image, &mask, views] {
            c10::InferenceMode inference;
            auto x = image.to(device), m = mask.to(device);
            if (views > 1) x = hz::symmetricViews(x, views), m = hz::symmetricViews(m, views);
            folded.forward(x, m).to(torch::kCPU);
        };
    };
    Json json;
    json.obj("infer_1view_ms", statsJson(timeIt(options_, cuda, infer(1))));
    json.obj("infer_8view_ms", statsJson(timeIt(options_, cuda, infer(kViews))));
    if (cuda) {
        // cuDNN's autotuner (off in the predictor): worth switching on if much faster.
        auto& context = at::globalContext();
        const bool benchmark = context.benchmarkCuDNN();
        context.setBenchmarkCuDNN(true);
        json.obj("infer_1view_cudnn_benchmark_ms", statsJson(timeIt(options_, cuda, infer(1))));
        json.obj("infer_8view_cudnn_benchmark_ms", statsJson(timeIt(options_, cuda, infer(kViews))));
        context.setBenchmarkCuDNN(benchmark);
    }

    // Video: a decoded 1080p BGR frame and an 8-bit mask frame in host memory, resized to the
    // network's input (bilinear, no antialiasing, as cv::resize INTER_LINEAR), forward, values
    // read back. The product resizes with OpenCV on the CPU; here LibTorch resizes (the check
    // has no OpenCV), after a float conversion of the whole frame, so the CPU figure is an
    // upper bound of the product's.
    torch::manual_seed(options_.seed + 2000);
    const auto frame = torch::randint(0, 256, {kFrameHeight, kFrameWidth, 3}, torch::kUInt8);
    auto frameMask = torch::zeros({kFrameHeight, kFrameWidth, 1}, torch::kUInt8);
    frameMask.narrow(0, 300, 500).narrow(1, 700, 600).fill_(255);
    const int side = side_;
    const auto step = [&](bool resizeOnDevice) {
        return [&, resizeOnDevice] {
            c10::InferenceMode inference;
            const auto where = resizeOnDevice ? device : torch::Device(torch::kCPU);
            const auto resize = [&](const torch::Tensor& hwc, double scale) {
                auto x = hwc.to(where).permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32).mul_(scale);
                return torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                                 .size(std::vector<std::int64_t>{side, side})
                                                                 .mode(torch::kBilinear)
                                                                 .align_corners(false));
            };
            const auto rgb = resize(frame, 1.0 / 255.0).flip({1});  // BGR -> RGB
            const auto m = resize(frameMask, 1.0 / 255.0);
            const auto values = folded.forward(rgb.to(device), m.to(device)).clamp(-1.0, 1.0).to(torch::kCPU);
            (void)values;
        };
    };
    const auto video = timeIt(options_, cuda, step(false));
    json.obj("video_1080p_step_ms", statsJson(video)).num("video_1080p_fps", 1000.0 / video.median);
    if (cuda) {
        const auto onGpu = timeIt(options_, cuda, step(true));
        json.obj("video_1080p_step_resize_on_gpu_ms", statsJson(onGpu))
            .num("video_1080p_resize_on_gpu_fps", 1000.0 / onGpu.median);
    }
    return json;
}

int Checker::run() {
    if (options_.threads > 0) torch::set_num_threads(options_.threads);
    cuda_ = torch::cuda::is_available();

    Json out;
    out.str("tool", "gpu_check").num("schema", 1).str("torch_version", TORCH_VERSION);
    if (!options_.torchSource.empty()) out.str("torch_source", options_.torchSource);
    out.num("cpu_threads", torch::get_num_threads());
    // The programs run with PASSIVE (core/runtime.h); without it CPU timings on a busy machine are noise.
    const char* waitPolicy = std::getenv("OMP_WAIT_POLICY");
    out.str("omp_wait_policy", waitPolicy ? waitPolicy : "(unset)");
    if (cuda_) {
        Json cuda;
        cuda.num("device_count", double(torch::cuda::device_count()))
            .flag("cudnn", torch::cuda::cudnn_is_available())
            .flag("tf32_cudnn_default", at::globalContext().allowTF32CuDNN())
            .flag("tf32_cublas_default", at::globalContext().allowTF32CuBLAS());
        if (!options_.gpuName.empty()) cuda.str("gpu", options_.gpuName);
        out.obj("cuda", cuda);
    } else {
        out.str("cuda", "unavailable");
    }

    // The shipped model first: its input size is the size everything runs at.
    std::optional<hz::HzmContents> contents;
    std::string modelError;
    try {
        contents = hz::readHzmFile(options_.modelPath);
        // The statistics head (core/model/statistics_head.h) runs on the CPU after the network;
        // this tool checks the network, so the head's tensors are set aside.
        for (auto it = contents->tensors.begin(); it != contents->tensors.end();)
            it = it->first.rfind(hz::kStatisticsHeadPrefix, 0) == 0 ? contents->tensors.erase(it) : std::next(it);
    } catch (const hz::Error& error) {
        modelError = error.what();
    }
    std::string architecture;
    hz::Backbone backbone = hz::Backbone::EfficientNetB0;
    if (contents) {
        architecture = metadataField(contents->metadataJson, "architecture").value_or("harmonizer-efficientnet-b0");
        const auto size = metadataField(contents->metadataJson, "input_size");
        bool knownArchitecture = true;
        try {
            backbone = hz::parseArchitecture(architecture);
        } catch (const hz::Error&) {
            knownArchitecture = false;
        }
        if (!knownArchitecture)
            modelError = "model file '" + options_.modelPath + "' has architecture '" + architecture +
                         "'; gpu_check knows harmonizer-efficientnet-b0 and harmonizer-mobilenet-v2";
        else if (!size || size->find_first_not_of("0123456789") != std::string::npos || size->empty())
            modelError = "model file '" + options_.modelPath + "' has no readable input_size";
        else side_ = std::stoi(*size);
    }
    if (options_.inputSize) side_ = *options_.inputSize;
    out.num("input_size", side_).num("images", options_.images).num("seed", options_.seed);
    out.num("iterations", options_.iterations).num("warmup", options_.warmup);
    inputs_ = makeInputs(options_.images, side_, options_.seed);

    Json models;
    // (a) Random weights with BatchNorm statistics measured on the test images.
    const auto makeRandom = [&] { return makeRandomNet(); };
    auto randomNet = makeRandomNet();
    hz::recalibrateBatchNorm(randomNet, inputs_.images, inputs_.masks);
    models.obj("random", checkNetwork("random", randomNet, makeRandom, /*recalibrateAgain=*/true));
    // (a') The other backbone, random as well, so that both bodies run on CUDA.
    const auto makeRandomMobile = [&] { return makeRandomNet(hz::Backbone::MobileNetV2); };
    auto randomMobile = makeRandomMobile();
    hz::recalibrateBatchNorm(randomMobile, inputs_.images, inputs_.masks);
    models.obj("random_mobilenet_v2", checkNetwork("random_mobilenet_v2", randomMobile, makeRandomMobile, /*recalibrateAgain=*/true));

    // (b) The shipped model.
    std::optional<hz::HarmonizerNet> shipped;
    Json shippedJson;
    shippedJson.str("path", options_.modelPath);
    if (modelError.empty()) {
        try {
            const auto load = [&] {
                hz::HarmonizerNet net = hz::makeNetwork(backbone);
                hz::copyHzmTensors(*contents, *net, options_.modelPath);
                return net;
            };
            shipped = load();
            shippedJson.str("architecture", architecture);
            shippedJson.str("model_version", metadataField(contents->metadataJson, "model_version").value_or(""));
            shippedJson.obj("checks", checkNetwork("shipped", *shipped, load, /*recalibrateAgain=*/false));
        } catch (const hz::Error& error) {
            modelError = error.what();
        }
    }
    if (!modelError.empty()) {
        shippedJson.str("error", modelError);
        failures_.push_back("shipped model: " + modelError);
    }
    models.obj("shipped", shippedJson);
    out.obj("models", models);
    out.obj("placement", placement_);

    // Speed does not depend on the weights; the shipped ones when they loaded.
    auto& timed = shipped ? *shipped : randomNet;
    Json timings;
    timings.str("weights", shipped ? "shipped" : "random");
    timings.obj("cpu", timing(timed, torch::Device(torch::kCPU)));
    if (cuda_) timings.obj("cuda", timing(timed, torch::Device(torch::kCUDA, 0)));
    else timings.str("cuda", "skipped (unavailable)");
    out.obj("timing", timings);

    const char* result = !failures_.empty() ? "fail" : cuda_ ? "pass" : "cuda-skipped";
    out.str("result", result).strs("failures", failures_);
    const int code = !failures_.empty() ? 1 : (!cuda_ && options_.requireCuda) ? 3 : 0;
    out.num("exit_code", code);
    std::cout << out.text() << std::endl;
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return Checker(parseArgs(argc, argv)).run();
    } catch (const hz::Error& error) {
        std::cerr << "gpu_check: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        // A LibTorch error (c10::Error), e.g. a CUDA failure: one JSON line so that the
        // caller still gets an object to read.
        std::string message = error.what();
        message = message.substr(0, message.find('\n'));
        std::cout << "{\"tool\": \"gpu_check\", \"result\": \"fail\", \"error\": " << quoted(message) << "}" << std::endl;
        std::cerr << "gpu_check: " << error.what() << "\n";
        return 1;
    }
}
