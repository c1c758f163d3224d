#include "core/subject/subject_net.h"

#include "core/error.h"
#include "core/model/pretrained.h"

namespace hz::subject {
namespace {

namespace F = torch::nn::functional;

// Blocks whose outputs the decoder taps: the last block of each stride (2, 4, 8, 16, 32).
constexpr std::size_t kTapBlocks[] = {0, 2, 5, 12, 16};
constexpr std::int64_t kTopWidth = 96;
// Per decoder level (strides 16, 8, 4, 2): tap channels, level width, output width.
struct Level {
    std::int64_t tap, width, out;
};
constexpr Level kLevels[] = {{96, 96, 64}, {32, 64, 32}, {24, 32, 24}, {16, 24, 16}};

torch::Tensor upsampleTo(const torch::Tensor& x, const torch::Tensor& like) {
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{like.size(2), like.size(3)})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

}  // namespace

SubjectNetImpl::SubjectNetImpl() {
    stem = register_module("stem", ConvBnAct(3, 32, 3, 2, 1, Activation::ReLU6));
    auto blockList = register_module("blocks", torch::nn::ModuleList());
    for (const auto& spec : mobileNetV2BlockSpecs()) {
        MBConv block(spec.in, spec.out, spec.expandRatio, spec.kernel, spec.stride, /*dropConnectRate=*/0.0,
                     Activation::ReLU6, /*squeezeExcite=*/false);
        blockList->push_back(block);
        blocks.push_back(block);
    }
    encoderModules_.push_back(stem.ptr().get());
    for (auto& block : blocks) encoderModules_.push_back(block.ptr().get());

    top = register_module("top", ConvBnAct(320, kTopWidth, 1, 1, 1, Activation::ReLU6));
    context = register_module("context", torch::nn::Linear(320, kTopWidth));
    auto lateralList = register_module("laterals", torch::nn::ModuleList());
    auto depthwiseList = register_module("depthwise", torch::nn::ModuleList());
    auto pointwiseList = register_module("pointwise", torch::nn::ModuleList());
    for (const auto& level : kLevels) {
        laterals.emplace_back(level.tap, level.width, 1, 1, 1, Activation::None);
        depthwise.emplace_back(level.width, level.width, 3, 1, level.width, Activation::ReLU6);
        pointwise.emplace_back(level.width, level.out, 1, 1, 1, Activation::ReLU6);
        lateralList->push_back(laterals.back());
        depthwiseList->push_back(depthwise.back());
        pointwiseList->push_back(pointwise.back());
    }
    logits = register_module("logits", torch::nn::Conv2d(torch::nn::Conv2dOptions(kLevels[3].out, 1, 3).padding(1)));

    torch::NoGradGuard noGrad;
    for (auto& module : modules(/*include_self=*/false)) {
        if (auto* conv = module->as<torch::nn::Conv2dImpl>()) {
            // He init by fan-in, as HarmonizerNet does (LibTorch's fan-out of a depthwise kernel
            // counts every channel); the encoder is overwritten by the ImageNet import.
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanIn, torch::kReLU);
            if (conv->bias.defined()) conv->bias.zero_();
        }
    }
    // The first answer is "background" (a subject usually covers under half of a photo).
    logits->weight.mul_(0.1);
    logits->bias.fill_(-1.0);
}

void SubjectNetImpl::train(bool on) {
    torch::nn::Module::train(on);
    for (auto* module : encoderModules_)
        for (auto& child : module->modules())
            if (child->as<torch::nn::BatchNorm2dImpl>()) child->eval();
}

std::vector<torch::Tensor> SubjectNetImpl::encode(const torch::Tensor& rgb) {
    TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "SubjectNet: input must be [N, 3, H, W], got ", rgb.sizes());
    TORCH_CHECK(rgb.size(2) % 32 == 0 && rgb.size(3) % 32 == 0, "SubjectNet: H and W must be multiples of 32, got ",
                rgb.sizes());
    auto x = stem(rgb * 2.0 - 1.0);
    std::vector<torch::Tensor> taps;
    std::size_t nextTap = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        x = blocks[i](x);
        if (nextTap < std::size(kTapBlocks) && i == kTapBlocks[nextTap]) {
            taps.push_back(x);
            ++nextTap;
        }
    }
    return taps;
}

torch::Tensor SubjectNetImpl::forward(const torch::Tensor& rgb) {
    const auto taps = encode(rgb);  // strides 2, 4, 8, 16, 32
    const auto& x = taps.back();
    auto pooled = x.mean({2, 3});  // [N, 320]
    auto y = top(x) + torch::relu(context(pooled)).unsqueeze(2).unsqueeze(3);
    for (std::size_t level = 0; level < std::size(kLevels); ++level) {
        const auto& tap = taps[3 - level];
        y = upsampleTo(y, tap) + laterals[level](tap);
        y = pointwise[level](depthwise[level](y));
    }
    return upsampleTo(logits(y), rgb);
}

std::vector<torch::Tensor> SubjectNetImpl::encoderParameters() const {
    std::vector<torch::Tensor> parameters;
    for (const auto* module : encoderModules_)
        for (const auto& p : module->parameters()) parameters.push_back(p);
    return parameters;
}

std::vector<torch::Tensor> SubjectNetImpl::decoderParameters() const {
    std::vector<torch::Tensor> encoder = encoderParameters(), decoder;
    for (const auto& p : parameters()) {
        bool inEncoder = false;
        for (const auto& e : encoder) inEncoder = inEncoder || e.is_same(p);
        if (!inEncoder) decoder.push_back(p);
    }
    return decoder;
}

std::int64_t SubjectNetImpl::parameterCount() const {
    std::int64_t count = 0;
    for (const auto& p : parameters()) count += p.numel();
    return count;
}

void recalibrateSubjectBatchNorm(SubjectNet& net, const torch::Tensor& rgb) {
    torch::NoGradGuard noGrad;
    // Plain training mode for every BatchNorm (SubjectNetImpl::train keeps the encoder's in
    // eval mode) and momentum 1: the running statistics become this batch's.
    net->torch::nn::Module::train(true);
    std::vector<std::pair<torch::nn::BatchNorm2dImpl*, double>> momenta;
    for (auto& module : net->modules(false))
        if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
            momenta.emplace_back(bn, bn->options.momentum().value_or(0.1));
            bn->options.momentum(1.0);
        }
    net->forward(rgb);
    for (auto& [bn, momentum] : momenta) bn->options.momentum(momentum);
    net->eval();
}

void importSubjectEncoder(SubjectNet& net, const SafeTensors& weights, const std::string& source) {
    importMobileNetV2Layer(net->stem, weights, "features.0.0", source);
    importMobileNetV2Blocks(net->blocks, weights, source);
}

}  // namespace hz::subject
