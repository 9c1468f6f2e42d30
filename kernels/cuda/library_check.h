// Check macros for cuBLAS and cuDNN calls (real CUDA builds only): a failed
// call throws dae::DeviceError carrying the library's status text, the
// call's text and file:line, like DAE_CUDA_CHECK (kernels/cuda/check.h).
#pragma once

#include "kernels/cuda/cuda_compat.h"

#if !DAE_CUDA_HARDWARE
#error "kernels/cuda/library_check.h is for real CUDA builds; guard its use with #if DAE_CUDA_HARDWARE"
#endif

#include <cublas_v2.h>

#include <cstdio>
#include <string>

#include "kernels/common/errors.h"

#if DAE_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace dae::kernels::cuda {

[[noreturn]] inline void throw_library_error(const char* library, const char* status, const char* call,
                                             const char* file, int line) {
  throw DeviceError(std::string(library) + " error: " + status + " in " + call + " at " + file + ":" +
                    std::to_string(line));
}

}  // namespace dae::kernels::cuda

#define DAE_CUBLAS_CHECK(call)                                                                               \
  do {                                                                                                       \
    const cublasStatus_t dae_status_ = (call);                                                               \
    if (dae_status_ != CUBLAS_STATUS_SUCCESS) {                                                              \
      ::dae::kernels::cuda::throw_library_error("cuBLAS", cublasGetStatusString(dae_status_), #call, __FILE__, \
                                                __LINE__);                                                   \
    }                                                                                                        \
  } while (0)

#define DAE_CUBLAS_CHECK_NOTHROW(call)                                                                 \
  do {                                                                                                 \
    const cublasStatus_t dae_status_ = (call);                                                         \
    if (dae_status_ != CUBLAS_STATUS_SUCCESS) {                                                        \
      std::fprintf(stderr, "cuBLAS error: %s in %s at %s:%d\n", cublasGetStatusString(dae_status_), #call, \
                   __FILE__, __LINE__);                                                                \
    }                                                                                                  \
  } while (0)

#if DAE_HAVE_CUDNN
#define DAE_CUDNN_CHECK(call)                                                                                       \
  do {                                                                                                              \
    const cudnnStatus_t dae_status_ = (call);                                                                       \
    if (dae_status_ != CUDNN_STATUS_SUCCESS) {                                                                      \
      ::dae::kernels::cuda::throw_library_error("cuDNN", cudnnGetErrorString(dae_status_), #call, __FILE__, __LINE__); \
    }                                                                                                               \
  } while (0)

#define DAE_CUDNN_CHECK_NOTHROW(call)                                                                  \
  do {                                                                                                 \
    const cudnnStatus_t dae_status_ = (call);                                                          \
    if (dae_status_ != CUDNN_STATUS_SUCCESS) {                                                         \
      std::fprintf(stderr, "cuDNN error: %s in %s at %s:%d\n", cudnnGetErrorString(dae_status_), #call, \
                   __FILE__, __LINE__);                                                                \
    }                                                                                                  \
  } while (0)
#endif
