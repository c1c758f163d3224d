#pragma once
// The Harmonizer network of spec section 3: two 4-channel stems ([RGB, M] and
// [RGB, 1 - M]), EfficientNet-B0 after its stem, and the linear cascade regressor.
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
#include <vector>

namespace hz {

// Conv (no bias) + BatchNorm (eps 1e-3, PyTorch momentum 0.01) + optional Swish.
class ConvBnActImpl : public torch::nn::Module {
public:
    ConvBnActImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                  std::int64_t groups, bool swish);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    bool swish;
};
TORCH_MODULE(ConvBnAct);

// EfficientNet's mobile inverted bottleneck: [1x1 expand] -> depthwise kxk -> squeeze-and-
// excitation -> 1x1 project, with an identity skip (and drop-connect while training) when the
// shape is kept.
class MBConvImpl : public torch::nn::Module {
public:
    MBConvImpl(std::int64_t in, std::int64_t out, std::int64_t expandRatio, std::int64_t kernel,
               std::int64_t stride, double dropConnectRate);
    torch::Tensor forward(const torch::Tensor& x);

    ConvBnAct expand{nullptr};  // null when expandRatio == 1
    ConvBnAct depthwise{nullptr};
    torch::nn::Conv2d seReduce{nullptr}, seExpand{nullptr};  // 1x1 with bias
    ConvBnAct project{nullptr};
    bool residual;
    double dropConnectRate;
};
TORCH_MODULE(MBConv);

struct HarmonizerNetOptions {
    double maxDropConnect = 0.2;  // rate of the last block; block i gets maxDropConnect * i / blockCount
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

    ConvBnAct stemComposite{nullptr};  // [RGB, M]
    ConvBnAct stemInverse{nullptr};    // [RGB, 1 - M]
    std::vector<MBConv> blocks;        // also registered as the ModuleList "blocks"
    ConvBnAct head{nullptr};
    torch::nn::Linear regressorF{nullptr}, regressorG{nullptr};
    std::vector<torch::nn::Linear> cascade;  // A_i: [f; g_(i-1)] 320 -> 160
    std::vector<torch::nn::Linear> outputs;  // B_i: g_i 160 -> 1

private:
    void initialiseWeights();
};
TORCH_MODULE(HarmonizerNet);

// Re-estimates every BatchNorm's running statistics from one batch (the network's own
// training-mode statistics on `image`/`mask`), without drop-connect and without gradients.
// Used to give a randomly initialised network (tests, benchmarks) well-scaled activations in
// eval mode; also usable after training. Leaves the network in the train/eval mode it was in.
void recalibrateBatchNorm(HarmonizerNet& net, const torch::Tensor& image, const torch::Tensor& mask);

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
        bool swish = false;
        torch::Tensor run(const torch::Tensor& x) const;
    };
    struct Block {
        bool hasExpand = false;
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
};

}  // namespace hz
