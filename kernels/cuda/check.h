// Check macros for CUDA calls (only for .cu files). A failed call throws
// dae::DeviceError carrying the call's text and file:line; the _NOTHROW
// variant only prints (for destructors). DAE_CUDA_CHECK_LAUNCH runs after
// every kernel launch.
#pragma once

#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "kernels/common/errors.h"

namespace dae::kernels::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  throw DeviceError(std::string("CUDA error: ") + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) +
                    ") in " + call + " at " + file + ":" + std::to_string(line));
}

}  // namespace dae::kernels::cuda

#define DAE_CUDA_CHECK(call)                                                              \
  do {                                                                                    \
    const cudaError_t dae_status_ = (call);                                               \
    if (dae_status_ != cudaSuccess) {                                                     \
      (void)cudaGetLastError();                                                           \
      ::dae::kernels::cuda::throw_cuda_error(dae_status_, #call, __FILE__, __LINE__);     \
    }                                                                                     \
  } while (0)

#define DAE_CUDA_CHECK_NOTHROW(call)                                                                \
  do {                                                                                              \
    const cudaError_t dae_status_ = (call);                                                         \
    if (dae_status_ != cudaSuccess) {                                                               \
      std::fprintf(stderr, "CUDA error: %s in %s at %s:%d\n", cudaGetErrorString(dae_status_), #call, \
                   __FILE__, __LINE__);                                                             \
    }                                                                                               \
  } while (0)

#define DAE_CUDA_CHECK_LAUNCH(kernel_name)                                                          \
  do {                                                                                              \
    const cudaError_t dae_status_ = cudaGetLastError();                                             \
    if (dae_status_ != cudaSuccess) {                                                               \
      ::dae::kernels::cuda::throw_cuda_error(dae_status_, "launch of " kernel_name, __FILE__, __LINE__); \
    }                                                                                               \
  } while (0)

// Launches `kernel` on (grid, block, shared_bytes, stream) and checks the launch.
#define DAE_LAUNCH(kernel, grid, block, shared_bytes, stream, ...)                 \
  do {                                                                             \
    kernel<<<(grid), (block), (shared_bytes), static_cast<cudaStream_t>(stream)>>>(__VA_ARGS__); \
    DAE_CUDA_CHECK_LAUNCH(#kernel);                                                \
  } while (0)
