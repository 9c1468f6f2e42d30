// Check macros for CUDA calls (only for .cu files). A failed call throws
// dae::DeviceError carrying the call's text and file:line; the _NOTHROW
// variant only prints (for destructors). DAE_CUDA_CHECK_LAUNCH runs after
// every kernel launch. Under the CUDA emulator the message also carries the
// emulator's explanation (which kernel, block, thread, index or limit).
#pragma once

#include "kernels/cuda/cuda_compat.h"

#include <cstdio>
#include <string>

#include "kernels/common/errors.h"

namespace dae::kernels::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  std::string message = std::string("CUDA error: ") + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) +
                        ") in " + call + " at " + file + ":" + std::to_string(line);
#if defined(DAE_CUDA_EMULATION)
  const std::string detail = ::dae::emu::error_detail(status);
  if (!detail.empty()) message += ": " + detail;
#endif
  throw DeviceError(message);
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

// Launches `kernel` on (grid, block, shared_bytes, stream) and checks the
// launch: kernel<<<grid, block, shared_bytes, stream>>>(args...) under nvcc,
// the emulator's launch (which runs the whole grid) in emulation.
#if defined(DAE_CUDA_EMULATION)
#define DAE_LAUNCH(kernel, grid, block, shared_bytes, stream, ...)                                         \
  do {                                                                                                     \
    ::dae::emu::launch(#kernel, kernel, dim3(grid), dim3(block), (shared_bytes),                           \
                       static_cast<cudaStream_t>(stream) __VA_OPT__(, ) __VA_ARGS__);                       \
    DAE_CUDA_CHECK_LAUNCH(#kernel);                                                                        \
  } while (0)
#else
#define DAE_LAUNCH(kernel, grid, block, shared_bytes, stream, ...)                                   \
  do {                                                                                               \
    kernel<<<(grid), (block), (shared_bytes), static_cast<cudaStream_t>(stream)>>>(__VA_ARGS__);     \
    DAE_CUDA_CHECK_LAUNCH(#kernel);                                                                  \
  } while (0)
#endif
