#include "core/model/pretrained.h"

#include <sstream>

#include "core/image_io.h"

namespace hz {
namespace {

const torch::Tensor& need(const SafeTensors& weights, const std::string& name, const std::string& source) {
    const auto it = weights.tensors.find(name);
    if (it == weights.tensors.end()) throw Error("pretrained weights '" + source + "': tensor '" + name + "' is missing");
    if (it->second.scalar_type() != torch::kFloat32)
        throw Error("pretrained weights '" + source + "': tensor '" + name + "' is not float32");
    return it->second;
}

void requireShape(const torch::Tensor& tensor, at::IntArrayRef expected, const std::string& name, const std::string& source) {
    if (tensor.sizes() != expected) {
        std::ostringstream text;
        text << "pretrained weights '" << source << "': tensor '" << name << "' has shape " << tensor.sizes() << ", expected "
             << expected;
        throw Error(text.str());
    }
}

// Conv weight w and folded bias b into a ConvBnAct: conv = w, BatchNorm = identity + b.
void setLayer(ConvBnAct& layer, const torch::Tensor& weight, const torch::Tensor& bias) {
    layer->conv->weight.copy_(weight);
    auto& bn = layer->bn;
    bn->weight.fill_(1.0);
    bn->bias.copy_(bias);
    bn->running_mean.zero_();
    bn->running_var.fill_(1.0 - bn->options.eps());
}

void importLayer(ConvBnAct& layer, const SafeTensors& weights, const std::string& prefix, const std::string& source) {
    const auto& weight = need(weights, prefix + ".weight", source);
    const auto& bias = need(weights, prefix + ".bias", source);
    requireShape(weight, layer->conv->weight.sizes(), prefix + ".weight", source);
    requireShape(bias, layer->bn->bias.sizes(), prefix + ".bias", source);
    setLayer(layer, weight, bias);
}

}  // namespace

void importMobileNetV2(HarmonizerNet& net, const SafeTensors& weights, const std::string& source) {
    if (net->backbone() != Backbone::MobileNetV2)
        throw Error("pretrained weights '" + source + "' are MobileNetV2 weights: use --arch mobilenet-v2");
    torch::NoGradGuard noGrad;
    // Stem [32, 3, 3, 3] -> two [16, 4, 3, 3] stems, mask input weights 0.
    const auto& stemWeight = need(weights, "features.0.0.weight", source);
    const auto& stemBias = need(weights, "features.0.0.bias", source);
    requireShape(stemWeight, {32, 3, 3, 3}, "features.0.0.weight", source);
    requireShape(stemBias, {32}, "features.0.0.bias", source);
    ConvBnAct* stems[] = {&net->stemComposite, &net->stemInverse};
    for (int half = 0; half < 2; ++half) {
        auto weight = torch::zeros({16, 4, 3, 3});
        weight.narrow(1, 0, 3).copy_(stemWeight.narrow(0, 16 * half, 16));
        setLayer(*stems[half], weight, stemBias.narrow(0, 16 * half, 16));
    }
    importMobileNetV2Blocks(net->blocks, weights, source);
    importLayer(net->head, weights, "features.18.0", source);
}

void importMobileNetV2Layer(ConvBnAct& layer, const SafeTensors& weights, const std::string& prefix,
                            const std::string& source) {
    torch::NoGradGuard noGrad;
    importLayer(layer, weights, prefix, source);
}

void importMobileNetV2Blocks(std::vector<MBConv>& blocks, const SafeTensors& weights, const std::string& source) {
    torch::NoGradGuard noGrad;
    if (blocks.size() != 17) throw Error("internal: a MobileNetV2 backbone without 17 blocks");
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        auto& block = blocks[i];
        const std::string prefix = "features." + std::to_string(i + 1) + ".conv.";
        if (block->expand.is_empty()) {  // t = 1: depthwise conv.0.0, projection conv.1
            importLayer(block->depthwise, weights, prefix + "0.0", source);
            importLayer(block->project, weights, prefix + "1", source);
        } else {
            importLayer(block->expand, weights, prefix + "0.0", source);
            importLayer(block->depthwise, weights, prefix + "1.0", source);
            importLayer(block->project, weights, prefix + "2", source);
        }
    }
}

ImageNetClassifier imageNetClassifier(const SafeTensors& weights, const std::string& source) {
    ImageNetClassifier classifier;
    classifier.weight = need(weights, "classifier.1.weight", source);
    classifier.bias = need(weights, "classifier.1.bias", source);
    if (classifier.weight.dim() != 2 || classifier.weight.size(1) != HarmonizerNetImpl::kFeatureChannels ||
        classifier.bias.dim() != 1 || classifier.bias.size(0) != classifier.weight.size(0))
        throw Error("pretrained weights '" + source + "': classifier.1 is not a [classes, 1280] layer");
    return classifier;
}

torch::Tensor ImageNetClassifier::probabilities(HarmonizerNet& net, const torch::Tensor& rgb) const {
    torch::NoGradGuard noGrad;
    const auto mask = torch::zeros({rgb.size(0), 1, rgb.size(2), rgb.size(3)});
    const auto pooled = net->features(rgb, mask).mean({2, 3});
    return torch::softmax(torch::linear(pooled, weight, bias), 1);
}

}  // namespace hz
