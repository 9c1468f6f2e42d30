// The pixel term of the loss (SPEC §5):
//
//   L_pix = (alpha * sum over corrupted of d^2 + beta * sum over the rest of d^2) / N
//
// with d = output - clean, N the element count and "corrupted" the mask the
// noise model reported. alpha = beta = 1 is plain MSE. Value and gradient
// come from one fused kernel pass (kernels/*/losses); backward scales the
// saved gradient by the upstream one.
#pragma once

#include "engine/tensor.h"

namespace dae {

// Differentiable in `output` only (the clean image and the mask are data).
// `mask` may be undefined: every element then weighs 1 (alpha and beta unused).
Tensor emphasized_mse(const Tensor& output, const Tensor& clean, const Tensor& mask, float alpha, float beta);

}  // namespace dae
