// The fused SGD update on CUDA: the twin of kernels/cpu/sgd.h (float only),
// exactly torch.optim.SGD, one kernel per parameter tensor. The per-element
// expression is kernels/common/sgd_body.h, shared with the CPU; sgd.cu is
// compiled without multiply-add contraction, so both devices give the same bits.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

// Updates param (and momentum_buffer, which may be null when p.momentum == 0) in place.
void sgd_update(const Exec& ex, std::int64_t n_elements, const SgdParams& p, float* param, const float* grad,
                float* momentum_buffer);

}  // namespace dae::kernels::cuda
