// The per-element body of the SGD update, shared by the CPU and CUDA kernels
// so both compute the same expression in the same order.
#pragma once

#include "kernels/common/macros.h"
#include "kernels/common/shapes.h"

namespace dae::kernels {

template <typename T>
DAE_HOST_DEVICE inline void sgd_element(const SgdParams& p, T& param, T grad, T* buf) {
  T d = grad;
  if (p.weight_decay != 0.0f) d = d + T(p.weight_decay) * param;
  if (p.momentum != 0.0f) {
    T b;
    if (p.first_step) {
      b = d;
    } else {
      b = T(p.momentum) * *buf + T(1.0f - p.dampening) * d;
    }
    *buf = b;
    d = p.nesterov ? d + T(p.momentum) * b : b;
  }
  param = param - T(p.lr) * d;
}

}  // namespace dae::kernels
