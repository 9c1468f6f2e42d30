#include "kernels/cuda/runtime.h"

#include "kernels/cuda/check.h"

namespace dae::kernels::cuda {

namespace {
cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
}  // namespace

int device_count(std::string* why_not) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    if (why_not != nullptr) *why_not = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_not != nullptr) *why_not = "the driver reports no CUDA device";
  return count;
}

void set_device(int index) { DAE_CUDA_CHECK(cudaSetDevice(index)); }

std::string device_name(int index) {
  cudaDeviceProp prop{};
  DAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

void* stream_create() {
  cudaStream_t stream = nullptr;
  DAE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return stream;
}

void stream_destroy(void* stream) noexcept { DAE_CUDA_CHECK_NOTHROW(cudaStreamDestroy(as_stream(stream))); }

void stream_synchronize(void* stream) { DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream))); }

void* malloc_async(std::size_t bytes, void* stream) {
  void* ptr = nullptr;
  DAE_CUDA_CHECK(cudaMallocAsync(&ptr, bytes, as_stream(stream)));
  return ptr;
}

void free_async(void* ptr, void* stream) noexcept { DAE_CUDA_CHECK_NOTHROW(cudaFreeAsync(ptr, as_stream(stream))); }

void copy_host_to_device(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(stream)));
  DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(stream)));
  DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(stream)));
}

void memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
  DAE_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
}

}  // namespace dae::kernels::cuda
