// Host-side interface to the CUDA runtime, callable from code compiled by the
// host compiler (the engine never includes CUDA headers). Every call checks
// its result and throws dae::DeviceError naming the failed call and file:line.
// `stream` arguments are cudaStream_t values carried as void*.
#pragma once

#include <cstddef>
#include <string>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

// Number of usable CUDA devices; 0 (with the reason in *why_not) when there is
// no driver or no GPU. Never throws.
int device_count(std::string* why_not = nullptr);
void set_device(int index);
std::string device_name(int index);

void* stream_create();
void stream_destroy(void* stream) noexcept;
void stream_synchronize(void* stream);

// Stream-ordered raw allocations (cudaMallocAsync / cudaFreeAsync).
void* malloc_async(std::size_t bytes, void* stream);
void free_async(void* ptr, void* stream) noexcept;

// Copies on `stream`; the host<->device ones return when the copy is complete.
void copy_host_to_device(void* dst, const void* src, std::size_t bytes, void* stream);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes, void* stream);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes, void* stream);

// Free and total device memory in bytes.
void memory_info(std::size_t* free_bytes, std::size_t* total_bytes);

// ---- Convolution algorithms and the vendor libraries behind them ----------

// Whether `algo` can run in this build: custom always; cublas and cudnn only
// in a real CUDA build (not under the emulator), cudnn only when cuDNN was
// found at configure time. *why_not gets one sentence when not.
bool conv_algo_available(ConvAlgo algo, std::string* why_not = nullptr);
// Throws dae::DeviceError with that sentence when `algo` is not available.
void require_conv_algo(ConvAlgo algo);

// A cublasHandle_t on `stream` with FP32 math (CUBLAS_DEFAULT_MATH: no TF32).
void* cublas_create(void* stream);
void cublas_destroy(void* handle) noexcept;
// A cuDNN handle on `stream` plus its algorithm cache (a CudnnState*).
void* cudnn_create(void* stream);
void cudnn_destroy(void* state) noexcept;

// ---- Events, for timing work on a stream (benchmarks) ---------------------
void* event_create();
void event_destroy(void* event) noexcept;
void event_record(void* event, void* stream);
// Milliseconds between two recorded events; waits for `end` to complete.
float event_elapsed_ms(void* start, void* end);

}  // namespace dae::kernels::cuda
