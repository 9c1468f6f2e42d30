// Host-side interface to the CUDA runtime, callable from code compiled by the
// host compiler (the engine never includes CUDA headers). Every call checks
// its result and throws dae::DeviceError naming the failed call and file:line.
// `stream` arguments are cudaStream_t values carried as void*.
#pragma once

#include <cstddef>
#include <string>

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

}  // namespace dae::kernels::cuda
