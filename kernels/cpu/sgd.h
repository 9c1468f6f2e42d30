// One fused SGD update per parameter tensor, exactly torch.optim.SGD:
//   d = grad + weight_decay * param
//   if momentum != 0:
//     buf = d                                       (first step)
//     buf = momentum * buf + (1 - dampening) * d    (later steps)
//     d = nesterov ? d + momentum * buf : buf
//   param -= lr * d
// momentum_buffer may be null when momentum == 0.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

template <typename T>
void sgd_update(const Exec& ex, std::int64_t n_elements, const SgdParams& p, T* param, const T* grad,
                T* momentum_buffer);

}  // namespace dae::kernels::cpu
