// What every .cu file includes instead of <cuda_runtime.h>, so that one
// source compiles with nvcc (a real GPU) and with the host compiler under the
// CUDA emulator (DAE_CUDA_EMULATION, kernels/emu).
//
// Shared memory is declared with these macros, never with __shared__:
//
//   DAE_SHARED_ARRAY(T, name, N)       static shared T name[N]
//   DAE_SHARED_ARRAY2(T, name, N, M)   static shared T name[N][M]
//   DAE_DYNAMIC_SHARED(T, name)        T* name -> the launch's dynamic shared
//                                      memory (16-byte aligned); may be used
//                                      more than once with different T
//
// Declare them inside the kernel (or a device function it calls) and index
// them as arrays and pointers: name[i], name[i][j], `auto p = name + k`. In
// emulation every index is bounds-checked and a bad one fails the launch; to
// pass one to a device function, take a template parameter or &name[0].
//
// DAE_CUDA_HARDWARE is 1 under nvcc and 0 in emulation: code that only a real
// GPU can run (inline PTX, tensor cores, cuBLAS/cuDNN) goes under it, with a
// plain fallback for the emulator.
#pragma once

#if defined(DAE_CUDA_EMULATION)

#include "kernels/emu/cuda_emu.h"

#define DAE_CUDA_HARDWARE 0

#define DAE_SHARED_ARRAY(T, name, N)                                                                   \
  static constexpr ::dae::emu::SharedArrayInfo dae_shared_info_##name{#name, sizeof(T) * (N), alignof(T)}; \
  const ::dae::emu::SharedArray<T, (N)> name(dae_shared_info_##name)

#define DAE_SHARED_ARRAY2(T, name, N, M)                                                      \
  static constexpr ::dae::emu::SharedArrayInfo dae_shared_info_##name{#name, sizeof(T) * (N) * (M), \
                                                                      alignof(T)};            \
  const ::dae::emu::SharedArray2<T, (N), (M)> name(dae_shared_info_##name)

#define DAE_DYNAMIC_SHARED(T, name) ::dae::emu::SharedPtr<T> name = ::dae::emu::dynamic_shared_as<T>(#name)

#elif defined(__CUDACC__)

#include <cuda_runtime.h>

#define DAE_CUDA_HARDWARE 1

#define DAE_SHARED_ARRAY(T, name, N) __shared__ T name[N]
#define DAE_SHARED_ARRAY2(T, name, N, M) __shared__ T name[N][M]
#define DAE_DYNAMIC_SHARED(T, name)                                        \
  extern __shared__ __align__(16) unsigned char dae_dynamic_shared_bytes[]; \
  T* name = reinterpret_cast<T*>(dae_dynamic_shared_bytes)

#else
#error "kernels/cuda/cuda_compat.h needs nvcc or DAE_CUDA_EMULATION"
#endif
