#pragma once
// Starting the MobileNetV2 backbone from ImageNet weights published in torchvision's naming
// (`features.N...`, `classifier.1.*`) with BatchNorm folded into the convolution biases, as
// in shared/pretrained (see core/model/README.md, "Pretrained start").
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model/network.h"
#include "core/model/safetensors.h"

namespace hz {

// Copies the backbone weights into `net` (which must be a MobileNetV2 network): each conv gets
// the published weight and its BatchNorm becomes the identity plus the published bias
// (gamma 1, beta = bias, running mean 0, running var 1 - eps), so that in eval mode the
// backbone computes the published function exactly. The published 32-channel stem is split
// by output channel: 0-15 into stem_composite, 16-31 into stem_inverse, with zero weights on
// the mask input, so the concatenated stems equal the published stem whatever the mask.
// The regressor is left as it is. Throws hz::Error naming `source` for a missing or
// mis-shaped tensor.
void importMobileNetV2(HarmonizerNet& net, const SafeTensors& weights, const std::string& source);

// The parts, for other networks built on the same backbone (the subject network):
// one published conv (`prefix`.weight/.bias) into a ConvBnAct as above, and the 17 blocks
// (`features.1` .. `features.17`).
void importMobileNetV2Layer(ConvBnAct& layer, const SafeTensors& weights, const std::string& prefix,
                            const std::string& source);
void importMobileNetV2Blocks(std::vector<MBConv>& blocks, const SafeTensors& weights, const std::string& source);

// The published ImageNet classifier on the pooled 1280-d features, for checking an import.
struct ImageNetClassifier {
    torch::Tensor weight, bias;  // [classes, 1280], [classes]
    // rgb: [N,3,H,W] in [0,1]. Returns class probabilities [N, classes] (softmax).
    torch::Tensor probabilities(HarmonizerNet& net, const torch::Tensor& rgb) const;
};
ImageNetClassifier imageNetClassifier(const SafeTensors& weights, const std::string& source);

}  // namespace hz
