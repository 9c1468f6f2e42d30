// What the device context keeps for cuDNN (real CUDA builds with cuDNN only):
// the handle, bound to the context's stream, and the algorithm chosen for
// each convolution shape, so the heuristics run once per shape.
#pragma once

#include "kernels/cuda/cuda_compat.h"

#if DAE_CUDA_HARDWARE && DAE_HAVE_CUDNN
#include <cudnn.h>

#include <array>
#include <map>
#include <mutex>

namespace dae::kernels::cuda {

struct CudnnState {
  // (pass, the 11 fields of Conv2dShape, deterministic) -> algorithm and workspace bytes
  using Key = std::array<int, 13>;
  struct Choice {
    int algo;
    std::size_t workspace_bytes;
  };
  cudnnHandle_t handle = nullptr;
  std::mutex mutex;
  std::map<Key, Choice> choices;
};

}  // namespace dae::kernels::cuda
#endif
