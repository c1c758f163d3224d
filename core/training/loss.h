#pragma once
// The training losses of spec section 4.
#include <torch/torch.h>

#include <vector>

namespace hz::training {

// Per sample: sum_{c,h,w} M * [sqrt((P-G)^2 + 1e-6) + 10 (P-G)^2] / (sum_{h,w} M + 1e-6).
// prediction, target: [N,3,H,W]; mask: [N,1,H,W]. Returns [N].
// (The Charbonnier term is sqrt(1e-6) = 1e-3 per channel where P == G, so a perfect
// prediction scores 3e-3 per foreground pixel, not 0; maskedStepLoss subtracts that floor
// so that P == G gives exactly 0 and the gradient is unchanged.)
torch::Tensor maskedStepLoss(const torch::Tensor& prediction, const torch::Tensor& target, const torch::Tensor& mask);

struct DynamicLoss {
    torch::Tensor total;                 // scalar to minimise
    std::vector<torch::Tensor> perStep;  // 6 x [N], detached (for logging)
};

// steps, targets: 6 images each in restore order; mask: [N,1,H,W].
// S = sg(L_1 + sum_{i=2..6} ReLU(L_i - L_{i-1})) + 1e-9
// loss = mean(L_1 / S) + sum_{i=2..6} mean(ReLU(L_i - sg(L_{i-1})) / S)
DynamicLoss dynamicLoss(const std::vector<torch::Tensor>& steps, const std::vector<torch::Tensor>& targets,
                        const torch::Tensor& mask);

// Mean over the batch of maskedStepLoss of the final result (the real-composite half).
torch::Tensor finalStepLoss(const torch::Tensor& result, const torch::Tensor& real, const torch::Tensor& mask);

// Not in the spec: a direct loss on the six-filter half's predicted arguments against the
// ones that restore the photo (restoringArgs), |predicted - restoring| / range per filter,
// summed over the six filters and averaged over the batch. The image losses alone let the
// network answer an ambiguous composite with a "safe" guess (a little less saturation for
// everything), because an over-saturated foreground costs more pixels than an
// under-saturated one; this term rewards following the true value. predicted, restoring: [K,6].
torch::Tensor argumentLoss(const torch::Tensor& predicted, const torch::Tensor& restoring);

}  // namespace hz::training
