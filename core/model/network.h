#pragma once
// The Harmonizer network of spec section 3: two 4-channel stems ([RGB, M] and
// [RGB, 1 - M]), a mobile backbone after its stem, and the linear cascade regressor.
//
// Two backbones, recorded in the weights file's `architecture`:
//   EfficientNet-B0 (the spec's; Swish, squeeze-and-excitation; trained from scratch) and
//   MobileNetV2 1.0 (ReLU6, no SE; can start from ImageNet weights, see pretrained.h). Both
//   have a 32-channel stride-2 stem, 320 -> 1280 head and 1280-d pooled features, so the
//   regressor is the same. MobileNetV2 sees its colour input as 2 * rgb - 1, the range its
//   ImageNet weights were trained on; the mask channel stays in [0, 1].
//
// Padding choice: every convolution pads symmetrically by (k - 1) / 2 instead of
// TensorFlow's asymmetric "same" padding. At even input sizes both give the same output
// sizes (256 -> 128 -> ... -> 8); only the stride-2 sampling grid is shifted by half a pixel.
// We train from scratch, so nothing depends on the TF convention, and symmetric padding
// needs no extra pad pass per strided layer.
//
// Training mode (net->train()) enables drop-connect on the residual blocks and batch
// statistics in BatchNorm; eval mode (net->eval()) is deterministic.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hz {

enum class Backbone { EfficientNetB0, MobileNetV2 };
// "harmonizer-efficientnet-b0" / "harmonizer-mobilenet-v2": the model file's `architecture`.
const char* architectureName(Backbone backbone);
// Accepts the architecture names above and the short forms "efficientnet-b0", "mobilenet-v2";
// throws hz::Error otherwise.
Backbone parseArchitecture(const std::string& name);

enum class Activation { None, Swish, ReLU6 };
torch::Tensor activate(const torch::Tensor& x, Activation activation);

// Conv (no bias) + BatchNorm (eps 1e-3, PyTorch momentum 0.01) + activation.
class ConvBnActImpl : public torch::nn::Module {
public:
    ConvBnActImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                  std::int64_t groups, Activation activation);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    Activation activation;
    // While set, forward() records the convolution output's per-channel mean and variance
    // (over batch and space) into these before BatchNorm; see matchBatchNormToFunction.
    bool recordStatistics = false;
    torch::Tensor recordedMean, recordedVar;
};
TORCH_MODULE(ConvBnAct);

// The mobile inverted bottleneck: [1x1 expand] -> depthwise kxk -> [squeeze-and-excitation]
// -> 1x1 linear project, with an identity skip (and drop-connect while training) when the
// shape is kept. EfficientNet: Swish and SE; MobileNetV2: ReLU6, no SE.
class MBConvImpl : public torch::nn::Module {
public:
    MBConvImpl(std::int64_t in, std::int64_t out, std::int64_t expandRatio, std::int64_t kernel,
               std::int64_t stride, double dropConnectRate, Activation activation = Activation::Swish,
               bool squeezeExcite = true);
    torch::Tensor forward(const torch::Tensor& x);

    ConvBnAct expand{nullptr};  // null when expandRatio == 1
    ConvBnAct depthwise{nullptr};
    torch::nn::Conv2d seReduce{nullptr}, seExpand{nullptr};  // 1x1 with bias; null without SE
    ConvBnAct project{nullptr};
    bool residual;
    double dropConnectRate;
};
TORCH_MODULE(MBConv);

struct HarmonizerNetOptions {
    Backbone backbone = Backbone::EfficientNetB0;
    // Rate of the last block; block i gets maxDropConnect * i / blockCount. Negative = the
    // backbone's default: 0.2 for EfficientNet-B0, 0 for MobileNetV2 (which has none).
    double maxDropConnect = -1;
};

class HarmonizerNetImpl : public torch::nn::Module {
public:
    static constexpr std::int64_t kFeatureChannels = 1280;
    static constexpr std::int64_t kRegressorWidth = 160;
    static constexpr std::int64_t kOutputs = 6;

    explicit HarmonizerNetImpl(const HarmonizerNetOptions& options = {});
    // image: [N, 3, H, W] RGB in [0, 1]; mask: [N, 1, H, W] in [0, 1].
    // Returns [N, 6] raw arguments in restore order (not clamped; clamp when applying).
    torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& mask);
    // The backbone's output before pooling: [N, 1280, H/32, W/32].
    torch::Tensor features(const torch::Tensor& image, const torch::Tensor& mask);
    // The cascade regressor on pooled features v [N, 1280] -> [N, 6].
    torch::Tensor regress(const torch::Tensor& pooled);
    // Trainable parameters (BatchNorm running statistics are buffers, not counted).
    std::int64_t parameterCount() const;
    Backbone backbone() const { return backbone_; }
    // The colour input as the backbone expects it: rgb (B0) or 2 * rgb - 1 (MobileNetV2).
    torch::Tensor scaledColour(const torch::Tensor& image) const;

    ConvBnAct stemComposite{nullptr};  // [RGB, M]
    ConvBnAct stemInverse{nullptr};    // [RGB, 1 - M]
    std::vector<MBConv> blocks;        // also registered as the ModuleList "blocks"
    ConvBnAct head{nullptr};
    torch::nn::Linear regressorF{nullptr}, regressorG{nullptr};
    std::vector<torch::nn::Linear> cascade;  // A_i: [f; g_(i-1)] 320 -> 160
    std::vector<torch::nn::Linear> outputs;  // B_i: g_i 160 -> 1

private:
    void initialiseWeights();
    Backbone backbone_;
};
TORCH_MODULE(HarmonizerNet);

// MobileNetV2 1.0's 17 inverted-residual blocks after its 32-channel stem, in order (for
// other networks on the same backbone: the subject network).
struct BlockSpec {
    std::int64_t in, out, expandRatio, kernel, stride;
};
std::vector<BlockSpec> mobileNetV2BlockSpecs();

// A fresh network of the given backbone (default options otherwise).
HarmonizerNet makeNetwork(Backbone backbone);

// The first `views` of the 8 symmetries of a square batch [N, C, S, S] (test-time views):
// identity, mirror, vertical flip, both (a 180-degree turn), then the same four of the
// transpose, stacked view-major into [views * N, C, S, S]. The predictor, train-head and
// tools/gpu_check make their views with this.
torch::Tensor symmetricViews(const torch::Tensor& input, int views);

// Re-estimates every BatchNorm's running statistics from one batch (the network's own
// training-mode statistics on `image`/`mask`), without drop-connect and without gradients.
// Used to give a randomly initialised network (tests, benchmarks) well-scaled activations in
// eval mode; also usable after training. Leaves the network in the train/eval mode it was in.
void recalibrateBatchNorm(HarmonizerNet& net, const torch::Tensor& image, const torch::Tensor& mask);

// For a network whose eval-mode function must be kept (pretrained weights): measures every
// convolution's per-channel output mean m and variance v on one batch (in eval mode, so each
// layer sees the inputs the current function gives it) and rewrites that BatchNorm so that it
// computes the same affine map y = a z + c as before in eval mode AND in training mode when
// the batch statistics are (m, v): gamma = a sqrt(v + eps), beta = c + a m, running (m, v).
// Without this, the identity BatchNorm layers the pretrained import leaves would re-normalise
// every layer with batch statistics in training mode and destroy the features.
void matchBatchNormToFunction(HarmonizerNet& net, const torch::Tensor& image, const torch::Tensor& mask);

// Inference-only copy of a HarmonizerNet in eval mode with every BatchNorm folded into the
// convolution before it (w' = w * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps)).
// Same outputs as net->eval() up to float rounding, about half the memory traffic.
// A snapshot: later changes to the source network's weights are not seen.
class FoldedHarmonizerNet {
public:
    FoldedHarmonizerNet(HarmonizerNet& net, const torch::Device& device, bool channelsLast = false);
    // Same contract as HarmonizerNetImpl::forward. Call under c10::InferenceMode or NoGradGuard.
    torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& mask) const;
    // Every weight and bias it holds, so that tools/gpu_check can verify their device, type
    // and memory layout.
    std::vector<torch::Tensor> tensors() const;

private:
    struct Conv {
        torch::Tensor weight, bias;
        std::int64_t stride = 1, padding = 0, groups = 1;
        Activation activation = Activation::None;
        torch::Tensor run(const torch::Tensor& x) const;
    };
    struct Block {
        bool hasExpand = false, hasSqueezeExcite = false;
        Conv expand, depthwise, project;
        torch::Tensor seReduceWeight, seReduceBias, seExpandWeight, seExpandBias;  // as linear layers
        bool residual = false;
    };
    static Conv fold(ConvBnAct& layer, const torch::Device& device);

    Conv stemComposite_, stemInverse_, head_;
    std::vector<Block> blocks_;
    torch::Tensor fWeight_, fBias_, gWeight_, gBias_;  // W_f, W_g
    std::vector<torch::Tensor> cascadeWeights_, cascadeBiases_, outputWeights_, outputBiases_;
    bool channelsLast_;
    Backbone backbone_;
};

}  // namespace hz
