// Picking the kernel for a device. Every op calls its kernel through
// DAE_DISPATCH(device, name, args...), which calls kernels::cpu::name or
// kernels::cuda::name with the same arguments. A CPU-only build has no cuda
// kernels: there the cuda branch throws (it is never a silent fallback to the
// CPU). A cuda kernel that does not exist is a compile error in a CUDA build.
#pragma once

#include "engine/context.h"
#include "engine/device.h"
#include "engine/errors.h"

#if DAE_WITH_CUDA
#define DAE_CUDA_CALL(name, ...) ::dae::kernels::cuda::name(__VA_ARGS__)
#else
#define DAE_CUDA_CALL(name, ...) ::dae::detail::no_cuda_backend(#name)
#endif

#define DAE_DISPATCH(device, name, ...)            \
  do {                                             \
    if ((device).is_cuda()) {                      \
      DAE_CUDA_CALL(name, __VA_ARGS__);            \
    } else {                                       \
      ::dae::kernels::cpu::name(__VA_ARGS__);      \
    }                                              \
  } while (0)

namespace dae::detail {
[[noreturn]] inline void no_cuda_backend(const char* kernel) {
  throw DeviceError(std::string("kernel '") + kernel + "' needs the CUDA backend, which this build does not have");
}
}  // namespace dae::detail
