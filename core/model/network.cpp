#include "core/model/network.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace hz {

namespace {

constexpr double kBnEps = 1e-3;
constexpr double kBnMomentum = 0.01;  // PyTorch convention (TF's 0.99)
constexpr double kSeRatio = 0.25;
constexpr std::int64_t kStemChannels = 16;  // per stream; the two streams make EfficientNet's 32

struct StageSpec {
    std::int64_t expandRatio, kernel, stride, outChannels, repeats;
};

// EfficientNet-B0 after its stem (spec section 3).
constexpr StageSpec kStages[] = {
    {1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2},  {6, 3, 2, 80, 3},
    {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1},
};
// MobileNetV2 1.0 after its stem: (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2)
// (6,96,3,1) (6,160,3,2) (6,320,1,1), every depthwise 3x3.
constexpr StageSpec kMobileNetV2Stages[] = {
    {1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 3, 2, 32, 3},  {6, 3, 2, 64, 4},
    {6, 3, 1, 96, 3}, {6, 3, 2, 160, 3}, {6, 3, 1, 320, 1},
};

// On the CPU, LibTorch's dispatcher sends batch-1 (and, single-threaded, every batch < 16)
// 1x1 convolutions on small maps to its fallback path, which runs on the system's reference
// BLAS: 80% of an inference took place there. oneDNN (MKL-DNN) is several times faster for
// every layer of this network and has its own backward, so call it directly.
torch::Tensor convolution(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                          std::int64_t stride, std::int64_t padding, std::int64_t groups) {
    if (x.is_cpu() && x.scalar_type() == torch::kFloat32 && at::hasMKLDNN())
        return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {stride, stride}, {1, 1}, groups);
    return torch::conv2d(x, weight, bias, stride, padding, 1, groups);
}

torch::Tensor dropConnect(const torch::Tensor& x, double rate) {
    // Drops the whole residual branch per sample, rescaling the survivors.
    const double keep = 1.0 - rate;
    auto survive = torch::empty({x.size(0), 1, 1, 1}, x.options()).bernoulli_(keep);
    return x * survive / keep;
}

}  // namespace

const char* architectureName(Backbone backbone) {
    return backbone == Backbone::MobileNetV2 ? "harmonizer-mobilenet-v2" : "harmonizer-efficientnet-b0";
}

Backbone parseArchitecture(const std::string& name) {
    if (name == "harmonizer-efficientnet-b0" || name == "efficientnet-b0") return Backbone::EfficientNetB0;
    if (name == "harmonizer-mobilenet-v2" || name == "mobilenet-v2") return Backbone::MobileNetV2;
    throw Error("unknown network architecture '" + name + "' (expected efficientnet-b0 or mobilenet-v2)");
}

std::vector<BlockSpec> mobileNetV2BlockSpecs() {
    std::vector<BlockSpec> specs;
    std::int64_t in = 2 * kStemChannels;
    for (const auto& stage : kMobileNetV2Stages)
        for (std::int64_t r = 0; r < stage.repeats; ++r) {
            specs.push_back({in, stage.outChannels, stage.expandRatio, stage.kernel, r == 0 ? stage.stride : 1});
            in = stage.outChannels;
        }
    return specs;
}

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
    switch (activation) {
        case Activation::Swish: return torch::silu(x);
        case Activation::ReLU6: return torch::hardtanh(x, 0.0, 6.0);
        case Activation::None: break;
    }
    return x;
}

namespace {
torch::Tensor activateInPlace(torch::Tensor& x, Activation activation) {
    switch (activation) {
        case Activation::Swish: return torch::silu_(x);
        case Activation::ReLU6: return torch::hardtanh_(x, 0.0, 6.0);
        case Activation::None: break;
    }
    return x;
}
}  // namespace

ConvBnActImpl::ConvBnActImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                             std::int64_t groups, Activation activation)
    : activation(activation) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                         .stride(stride)
                                                         .padding((kernel - 1) / 2)
                                                         .groups(groups)
                                                         .bias(false)));
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(kBnEps).momentum(kBnMomentum)));
}

torch::Tensor ConvBnActImpl::forward(const torch::Tensor& x) {
    const auto& options = conv->options;
    auto z = convolution(x, conv->weight, {}, (*options.stride())[0], ((*options.kernel_size())[0] - 1) / 2,
                         options.groups());
    if (recordStatistics) {
        torch::NoGradGuard noGrad;
        recordedMean = z.mean({0, 2, 3});
        recordedVar = z.var({0, 2, 3}, /*unbiased=*/false);
    }
    return activate(bn(z), activation);
}

MBConvImpl::MBConvImpl(std::int64_t in, std::int64_t out, std::int64_t expandRatio, std::int64_t kernel,
                       std::int64_t stride, double dropConnectRate, Activation activation, bool squeezeExcite)
    : residual(stride == 1 && in == out), dropConnectRate(dropConnectRate) {
    const std::int64_t mid = in * expandRatio;
    if (expandRatio != 1) expand = register_module("expand", ConvBnAct(in, mid, 1, 1, 1, activation));
    depthwise = register_module("depthwise", ConvBnAct(mid, mid, kernel, stride, mid, activation));
    if (squeezeExcite) {
        // The squeeze width follows the block's input channels, as in EfficientNet.
        const auto squeezed = std::max<std::int64_t>(1, std::int64_t(double(in) * kSeRatio));
        seReduce = register_module("se_reduce", torch::nn::Conv2d(torch::nn::Conv2dOptions(mid, squeezed, 1)));
        seExpand = register_module("se_expand", torch::nn::Conv2d(torch::nn::Conv2dOptions(squeezed, mid, 1)));
    }
    project = register_module("project", ConvBnAct(mid, out, 1, 1, 1, Activation::None));
}

torch::Tensor MBConvImpl::forward(const torch::Tensor& input) {
    auto x = expand ? expand(input) : input;
    x = depthwise(x);
    if (seReduce) {
        auto scale = torch::adaptive_avg_pool2d(x, {1, 1});
        scale = torch::sigmoid(seExpand(torch::silu(seReduce(scale))));
        x = x * scale;
    }
    x = project(x);
    if (!residual) return x;
    if (is_training() && dropConnectRate > 0) x = dropConnect(x, dropConnectRate);
    return x + input;
}

HarmonizerNetImpl::HarmonizerNetImpl(const HarmonizerNetOptions& options) : backbone_(options.backbone) {
    const bool mobileNet = backbone_ == Backbone::MobileNetV2;
    const Activation activation = mobileNet ? Activation::ReLU6 : Activation::Swish;
    const double maxDropConnect = options.maxDropConnect >= 0 ? options.maxDropConnect : (mobileNet ? 0.0 : 0.2);
    stemComposite = register_module("stem_composite", ConvBnAct(4, kStemChannels, 3, 2, 1, activation));
    stemInverse = register_module("stem_inverse", ConvBnAct(4, kStemChannels, 3, 2, 1, activation));

    const auto* stages = mobileNet ? kMobileNetV2Stages : kStages;
    constexpr std::size_t kStageCount = sizeof kStages / sizeof kStages[0];
    static_assert(kStageCount == sizeof kMobileNetV2Stages / sizeof kMobileNetV2Stages[0]);
    std::int64_t blockCount = 0;
    for (std::size_t i = 0; i < kStageCount; ++i) blockCount += stages[i].repeats;
    auto blockList = register_module("blocks", torch::nn::ModuleList());
    std::int64_t in = 2 * kStemChannels;
    for (std::size_t i = 0; i < kStageCount; ++i) {
        const auto& stage = stages[i];
        for (std::int64_t r = 0; r < stage.repeats; ++r) {
            const double rate = maxDropConnect * double(blocks.size()) / double(blockCount);
            MBConv block(in, stage.outChannels, stage.expandRatio, stage.kernel, r == 0 ? stage.stride : 1, rate,
                         activation, /*squeezeExcite=*/!mobileNet);
            blockList->push_back(block);
            blocks.push_back(block);
            in = stage.outChannels;
        }
    }
    head = register_module("head", ConvBnAct(in, kFeatureChannels, 1, 1, 1, activation));

    regressorF = register_module("regressor_f", torch::nn::Linear(kFeatureChannels, kRegressorWidth));
    regressorG = register_module("regressor_g", torch::nn::Linear(kFeatureChannels, kRegressorWidth));
    auto cascadeList = register_module("cascade", torch::nn::ModuleList());
    auto outputList = register_module("outputs", torch::nn::ModuleList());
    for (int i = 0; i < kOutputs; ++i) {
        cascade.emplace_back(2 * kRegressorWidth, kRegressorWidth);
        outputs.emplace_back(kRegressorWidth, 1);
        cascadeList->push_back(cascade.back());
        outputList->push_back(outputs.back());
    }
    initialiseWeights();
}

void HarmonizerNetImpl::initialiseWeights() {
    torch::NoGradGuard noGrad;
    for (auto& module : modules(/*include_self=*/false)) {
        if (auto* conv = module->as<torch::nn::Conv2dImpl>()) {
            // He init by fan-in (k*k for a depthwise kernel). LibTorch's fan-out of a depthwise
            // kernel counts every channel, which shrinks the signal ~40x per stage; BatchNorm
            // hides that while training but a fresh network in eval mode would output a constant.
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanIn, torch::kReLU);
            if (conv->bias.defined()) conv->bias.zero_();
        } else if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
            bn->weight.fill_(1.0);
            bn->bias.zero_();
        }
    }
    // The regressor's linear layers keep LibTorch's default init; the final B_i start tiny
    // so that a fresh network predicts close to the identity (all zeros).
    for (auto& output : outputs) {
        torch::nn::init::normal_(output->weight, 0.0, 1e-3);
        output->bias.zero_();
    }
}

torch::Tensor HarmonizerNetImpl::features(const torch::Tensor& image, const torch::Tensor& mask) {
    TORCH_CHECK(image.dim() == 4 && image.size(1) == 3, "HarmonizerNet: image must be [N, 3, H, W], got ",
                image.sizes());
    TORCH_CHECK(mask.dim() == 4 && mask.size(1) == 1 && mask.size(0) == image.size(0) &&
                    mask.size(2) == image.size(2) && mask.size(3) == image.size(3),
                "HarmonizerNet: mask must be [N, 1, H, W] matching the image, got ", mask.sizes());
    const auto colour = scaledColour(image);
    auto x = torch::cat({stemComposite(torch::cat({colour, mask}, 1)), stemInverse(torch::cat({colour, 1 - mask}, 1))}, 1);
    for (auto& block : blocks) x = block(x);
    return head(x);
}

torch::Tensor HarmonizerNetImpl::scaledColour(const torch::Tensor& image) const {
    return backbone_ == Backbone::MobileNetV2 ? image * 2.0 - 1.0 : image;
}

HarmonizerNet makeNetwork(Backbone backbone) {
    HarmonizerNetOptions options;
    options.backbone = backbone;
    return HarmonizerNet(options);
}

torch::Tensor symmetricViews(const torch::Tensor& input, int views) {
    std::vector<torch::Tensor> list;
    for (int v = 0; v < views; ++v) {
        torch::Tensor t = v >= 4 ? input.transpose(2, 3) : input;
        if (v & 1) t = t.flip({3});
        if (v & 2) t = t.flip({2});
        list.push_back(t);
    }
    return torch::cat(list, 0).contiguous();
}

torch::Tensor HarmonizerNetImpl::regress(const torch::Tensor& pooled) {
    const auto f = regressorF(pooled);
    auto g = regressorG(pooled);
    std::vector<torch::Tensor> thetas;
    for (int i = 0; i < kOutputs; ++i) {
        g = cascade[i](torch::cat({f, g}, 1));
        thetas.push_back(outputs[i](g));
    }
    return torch::cat(thetas, 1);
}

torch::Tensor HarmonizerNetImpl::forward(const torch::Tensor& image, const torch::Tensor& mask) {
    return regress(features(image, mask).mean({2, 3}));
}

std::int64_t HarmonizerNetImpl::parameterCount() const {
    std::int64_t count = 0;
    for (const auto& p : parameters()) count += p.numel();
    return count;
}

void recalibrateBatchNorm(HarmonizerNet& net, const torch::Tensor& image, const torch::Tensor& mask) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = net->is_training();
    std::vector<double> dropRates;
    for (auto& block : net->blocks) {
        dropRates.push_back(block->dropConnectRate);
        block->dropConnectRate = 0;
    }
    std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> momenta;
    for (auto& module : net->modules(/*include_self=*/false)) {
        if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
            momenta.emplace_back(bn, bn->options.momentum());
            bn->options.momentum(1.0);  // running statistics := this batch's statistics
        }
    }
    const auto restore = [&] {
        for (auto& [bn, momentum] : momenta) bn->options.momentum(momentum);
        for (std::size_t i = 0; i < dropRates.size(); ++i) net->blocks[i]->dropConnectRate = dropRates[i];
        net->train(wasTraining);
    };
    net->train();
    try {
        net->forward(image, mask);
    } catch (...) {
        restore();
        throw;
    }
    restore();
}

void matchBatchNormToFunction(HarmonizerNet& net, const torch::Tensor& image, const torch::Tensor& mask) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = net->is_training();
    std::vector<ConvBnActImpl*> layers;
    for (auto& module : net->modules(/*include_self=*/false))
        if (auto* layer = module->as<ConvBnActImpl>()) layers.push_back(layer);
    for (auto* layer : layers) layer->recordStatistics = true;
    net->eval();
    try {
        net->forward(image, mask);
    } catch (...) {
        for (auto* layer : layers) layer->recordStatistics = false;
        net->train(wasTraining);
        throw;
    }
    for (auto* layer : layers) {
        layer->recordStatistics = false;
        auto& bn = layer->bn;
        const double eps = bn->options.eps();
        const auto a = bn->weight / torch::sqrt(bn->running_var + eps);  // the eval-mode map y = a z + c
        const auto c = bn->bias - a * bn->running_mean;
        const auto m = layer->recordedMean, v = layer->recordedVar;
        bn->weight.copy_(a * torch::sqrt(v + eps));
        bn->bias.copy_(c + a * m);
        bn->running_mean.copy_(m);
        bn->running_var.copy_(v);
        layer->recordedMean = torch::Tensor();
        layer->recordedVar = torch::Tensor();
    }
    net->train(wasTraining);
}

// ---------------------------------------------------------------------------------------

torch::Tensor FoldedHarmonizerNet::Conv::run(const torch::Tensor& x) const {
    auto y = convolution(x, weight, bias, stride, padding, groups);
    return activateInPlace(y, activation);
}

FoldedHarmonizerNet::Conv FoldedHarmonizerNet::fold(ConvBnAct& layer, const torch::Device& device) {
    torch::NoGradGuard noGrad;
    auto& bn = layer->bn;
    const auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
    Conv conv;
    conv.weight = (layer->conv->weight * scale.view({-1, 1, 1, 1})).contiguous().to(device);
    conv.bias = (bn->bias - bn->running_mean * scale).contiguous().to(device);
    const auto& options = layer->conv->options;
    conv.stride = (*options.stride())[0];
    conv.padding = ((*options.kernel_size())[0] - 1) / 2;  // symmetric, as in ConvBnActImpl
    conv.groups = options.groups();
    conv.activation = layer->activation;
    return conv;
}

FoldedHarmonizerNet::FoldedHarmonizerNet(HarmonizerNet& net, const torch::Device& device, bool channelsLast)
    : channelsLast_(channelsLast), backbone_(net->backbone()) {
    torch::NoGradGuard noGrad;
    stemComposite_ = fold(net->stemComposite, device);
    stemInverse_ = fold(net->stemInverse, device);
    head_ = fold(net->head, device);
    for (auto& source : net->blocks) {
        Block block;
        block.hasExpand = !source->expand.is_empty();
        if (block.hasExpand) block.expand = fold(source->expand, device);
        block.depthwise = fold(source->depthwise, device);
        block.project = fold(source->project, device);
        block.hasSqueezeExcite = !source->seReduce.is_empty();
        if (block.hasSqueezeExcite) {
            block.seReduceWeight = source->seReduce->weight.flatten(1).contiguous().to(device);
            block.seReduceBias = source->seReduce->bias.to(device);
            block.seExpandWeight = source->seExpand->weight.flatten(1).contiguous().to(device);
            block.seExpandBias = source->seExpand->bias.to(device);
        }
        block.residual = source->residual;
        blocks_.push_back(std::move(block));
    }
    if (channelsLast_) {
        for (auto* conv : {&stemComposite_, &stemInverse_, &head_})
            conv->weight = conv->weight.contiguous(torch::MemoryFormat::ChannelsLast);
        for (auto& block : blocks_)
            for (auto* conv : {&block.expand, &block.depthwise, &block.project})
                if (conv->weight.defined()) conv->weight = conv->weight.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    auto copy = [&](const torch::Tensor& t) { return t.detach().clone().to(device); };
    fWeight_ = copy(net->regressorF->weight);
    fBias_ = copy(net->regressorF->bias);
    gWeight_ = copy(net->regressorG->weight);
    gBias_ = copy(net->regressorG->bias);
    for (int i = 0; i < HarmonizerNetImpl::kOutputs; ++i) {
        cascadeWeights_.push_back(copy(net->cascade[i]->weight));
        cascadeBiases_.push_back(copy(net->cascade[i]->bias));
        outputWeights_.push_back(copy(net->outputs[i]->weight));
        outputBiases_.push_back(copy(net->outputs[i]->bias));
    }
}

torch::Tensor FoldedHarmonizerNet::forward(const torch::Tensor& image, const torch::Tensor& mask) const {
    TORCH_CHECK(image.dim() == 4 && image.size(1) == 3 && mask.dim() == 4 && mask.size(1) == 1,
                "FoldedHarmonizerNet: expected image [N, 3, H, W] and mask [N, 1, H, W]");
    const auto colour = backbone_ == Backbone::MobileNetV2 ? image * 2.0 - 1.0 : image;
    auto composite = torch::cat({colour, mask}, 1);
    auto inverse = torch::cat({colour, 1 - mask}, 1);
    if (channelsLast_) {
        composite = composite.contiguous(torch::MemoryFormat::ChannelsLast);
        inverse = inverse.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    auto x = torch::cat({stemComposite_.run(composite), stemInverse_.run(inverse)}, 1);
    for (const auto& block : blocks_) {
        auto y = block.hasExpand ? block.expand.run(x) : x;
        y = block.depthwise.run(y);
        if (block.hasSqueezeExcite) {
            auto scale = torch::linear(y.mean({2, 3}), block.seReduceWeight, block.seReduceBias);
            scale = torch::linear(torch::silu_(scale), block.seExpandWeight, block.seExpandBias).sigmoid_();
            y.mul_(scale.view({scale.size(0), scale.size(1), 1, 1}));
        }
        y = block.project.run(y);
        x = block.residual ? y.add_(x) : y;
    }
    const auto pooled = head_.run(x).mean({2, 3});
    const auto f = torch::linear(pooled, fWeight_, fBias_);
    auto g = torch::linear(pooled, gWeight_, gBias_);
    std::vector<torch::Tensor> thetas;
    for (int i = 0; i < HarmonizerNetImpl::kOutputs; ++i) {
        g = torch::linear(torch::cat({f, g}, 1), cascadeWeights_[i], cascadeBiases_[i]);
        thetas.push_back(torch::linear(g, outputWeights_[i], outputBiases_[i]));
    }
    return torch::cat(thetas, 1);
}

std::vector<torch::Tensor> FoldedHarmonizerNet::tensors() const {
    std::vector<torch::Tensor> all;
    const auto addConv = [&](const Conv& conv) {
        if (conv.weight.defined()) all.insert(all.end(), {conv.weight, conv.bias});
    };
    for (const auto* conv : {&stemComposite_, &stemInverse_, &head_}) addConv(*conv);
    for (const auto& block : blocks_) {
        for (const auto* conv : {&block.expand, &block.depthwise, &block.project}) addConv(*conv);
        if (block.hasSqueezeExcite)
            all.insert(all.end(), {block.seReduceWeight, block.seReduceBias, block.seExpandWeight, block.seExpandBias});
    }
    all.insert(all.end(), {fWeight_, fBias_, gWeight_, gBias_});
    for (const auto* list : {&cascadeWeights_, &cascadeBiases_, &outputWeights_, &outputBiases_})
        all.insert(all.end(), list->begin(), list->end());
    return all;
}

}  // namespace hz
