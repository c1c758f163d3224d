#pragma once
// The subject network (issue 17): predicts a soft foreground mask from a photo alone.
//
//   encoder  MobileNetV2 1.0 (ImageNet weights from shared/pretrained, imported by
//            importSubjectEncoder), stem + 17 inverted-residual blocks, no 1280 head;
//            its BatchNorm layers stay in eval mode even while training (frozen statistics,
//            trainable scale and shift), because fine-tuning batches of 8-16 would re-normalise
//            every layer with noisy batch statistics and lose the pretrained function.
//   decoder  a light feature pyramid: taps at strides 2, 4, 8, 16, 32 (16, 24, 32, 96, 320
//            channels); from the top, upsample x2, add a 1x1 projection of the tap, then a
//            depthwise-separable 3x3; a global-context vector (pooled stride-32 features) is
//            added at the top so that the network sees the whole photo when choosing the
//            subject. Output: one logit per pixel at the input size.
//
// Input: [N, 3, H, W] RGB in [0, 1], H and W multiples of 32 (the network sees 2 * rgb - 1,
// the range its ImageNet weights were trained on). Output: [N, 1, H, W] logits.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/network.h"
#include "core/model/safetensors.h"

namespace hz::subject {

class SubjectNetImpl : public torch::nn::Module {
public:
    SubjectNetImpl();
    torch::Tensor forward(const torch::Tensor& rgb);
    // The encoder alone: its outputs at strides 2, 4, 8, 16 and 32 (16, 24, 32, 96, 320 channels).
    std::vector<torch::Tensor> encode(const torch::Tensor& rgb);
    // Training mode for the decoder; the encoder's BatchNorm layers stay in eval mode.
    void train(bool on = true) override;

    std::vector<torch::Tensor> encoderParameters() const;
    std::vector<torch::Tensor> decoderParameters() const;
    std::int64_t parameterCount() const;

    ConvBnAct stem{nullptr};
    std::vector<MBConv> blocks;  // registered as the ModuleList "blocks"

    // Decoder, top (stride 32) to bottom (stride 2).
    ConvBnAct top{nullptr};                  // 320 -> 96
    torch::nn::Linear context{nullptr};      // pooled 320 -> 96, added to every top pixel
    std::vector<ConvBnAct> laterals;         // taps at strides 16, 8, 4, 2 -> level width
    std::vector<ConvBnAct> depthwise, pointwise;
    torch::nn::Conv2d logits{nullptr};       // 16 -> 1, 3x3, with bias

private:
    std::vector<torch::nn::Module*> encoderModules_;
};
TORCH_MODULE(SubjectNet);

// Sets every BatchNorm's running statistics, the encoder's included, to this batch's (no
// gradients): gives a randomly initialised network (tests, the benchmark without a shipped
// model) well-scaled activations in eval mode, as recalibrateBatchNorm does for HarmonizerNet.
// Leaves the network in eval mode.
void recalibrateSubjectBatchNorm(SubjectNet& net, const torch::Tensor& rgb);

// Copies the ImageNet MobileNetV2 weights (torchvision naming, BatchNorm folded into biases:
// see shared/pretrained/README.md) into the encoder. Throws hz::Error naming `source`.
void importSubjectEncoder(SubjectNet& net, const hz::SafeTensors& weights, const std::string& source);

}  // namespace hz::subject
