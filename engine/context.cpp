#include "engine/context.h"

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "engine/errors.h"

#if DAE_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dae {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

// Caching allocator for device memory: freed blocks go to a per-size free list
// and are reused by later requests of the same rounded size on the same
// stream, so a training step does no cudaMalloc after the first one. Every use
// is ordered on the context's single stream, so a block freed by one op can be
// handed to the next op without synchronisation.
struct DeviceContext::Impl {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free_blocks;       // rounded size -> block
  std::unordered_map<void*, std::size_t> block_sizes;  // live and cached blocks
  std::unordered_map<void*, std::size_t> scratch_sizes;
  std::atomic<std::size_t> in_use{0};
  std::atomic<std::size_t> peak{0};
  std::size_t cached = 0;

  void note_alloc(std::size_t bytes) {
    const std::size_t now = in_use.fetch_add(bytes) + bytes;
    std::size_t old = peak.load();
    while (now > old && !peak.compare_exchange_weak(old, now)) {
    }
  }
};

DeviceContext& DeviceContext::get(Device device) {
  // Contexts live until the process ends (never destroyed: tensors held in
  // static objects may release their memory during static destruction).
  static std::mutex* mutex = new std::mutex;
  static auto* contexts = new std::map<std::pair<int, int>, DeviceContext*>;
  std::lock_guard<std::mutex> lock(*mutex);
  const auto key = std::make_pair(int(device.type), device.index);
  auto it = contexts->find(key);
  if (it != contexts->end()) return *it->second;
  auto* context = new DeviceContext(device);
  contexts->emplace(key, context);
  return *context;
}

DeviceContext::DeviceContext(Device device) : device_(device), impl_(std::make_unique<Impl>()) {
  if (device.is_cpu()) {
    DAE_CHECK(device.index == 0, DeviceError, "there is only one cpu device (got cpu:", device.index, ")");
    exec_.n_threads = std::max(1, omp_get_max_threads());
    exec_.scratch = nullptr;  // host scratch comes straight from the heap, per thread
    return;
  }
#if DAE_WITH_CUDA
  std::string why;
  const int count = kernels::cuda::device_count(&why);
  if (count == 0) {
    throw DeviceError("cannot use " + device.str() + ": no CUDA device is available (" + why + ")");
  }
  if (device.index >= count) {
    throw DeviceError(concat("cannot use ", device.str(), ": only ", count, " CUDA device(s) present"));
  }
  kernels::cuda::set_device(device.index);
  exec_.stream = kernels::cuda::stream_create();
  exec_.scratch = this;
  exec_.n_threads = 1;
#else
  throw DeviceError("cannot use " + device.str() +
                    ": this build has no CUDA backend (configure with -DDAE_CUDA=ON on a machine with nvcc)");
#endif
}

DeviceContext::~DeviceContext() = default;

void* DeviceContext::allocate(std::size_t bytes) {
  const std::size_t rounded = round_up(bytes == 0 ? 1 : bytes, device_.is_cpu() ? 64 : 512);
  if (device_.is_cpu()) {
    void* ptr = std::aligned_alloc(64, rounded);
    if (ptr == nullptr) throw std::bad_alloc();
    impl_->note_alloc(rounded);
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->block_sizes[ptr] = rounded;
    return ptr;
  }
#if DAE_WITH_CUDA
  std::lock_guard<std::mutex> lock(impl_->mutex);
  void* ptr = nullptr;
  auto it = impl_->free_blocks.find(rounded);
  if (it != impl_->free_blocks.end()) {
    ptr = it->second;
    impl_->free_blocks.erase(it);
    impl_->cached -= rounded;
  } else {
    try {
      ptr = kernels::cuda::malloc_async(rounded, exec_.stream);
    } catch (const DeviceError&) {
      // Out of memory: return the cache to the driver and try once more.
      for (auto& [size, block] : impl_->free_blocks) {
        kernels::cuda::free_async(block, exec_.stream);
        impl_->block_sizes.erase(block);
      }
      impl_->free_blocks.clear();
      impl_->cached = 0;
      ptr = kernels::cuda::malloc_async(rounded, exec_.stream);
    }
  }
  impl_->block_sizes[ptr] = rounded;
  impl_->note_alloc(rounded);
  return ptr;
#else
  throw DeviceError("no CUDA backend in this build");
#endif
}

void DeviceContext::deallocate(void* ptr, std::size_t) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->block_sizes.find(ptr);
  const std::size_t rounded = it != impl_->block_sizes.end() ? it->second : 0;
  impl_->in_use.fetch_sub(rounded);
  if (device_.is_cpu()) {
    if (it != impl_->block_sizes.end()) impl_->block_sizes.erase(it);
    std::free(ptr);
    return;
  }
  impl_->free_blocks.emplace(rounded, ptr);
  impl_->cached += rounded;
}

void* DeviceContext::acquire(std::size_t bytes) { return allocate(bytes); }
void DeviceContext::release(void* ptr) noexcept { deallocate(ptr, 0); }

void DeviceContext::copy_to_host(void* host_dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  if (device_.is_cpu()) {
    std::memcpy(host_dst, src, bytes);
    return;
  }
#if DAE_WITH_CUDA
  kernels::cuda::copy_device_to_host(host_dst, src, bytes, exec_.stream);
#endif
}

void DeviceContext::copy_from_host(void* dst, const void* host_src, std::size_t bytes) {
  if (bytes == 0) return;
  if (device_.is_cpu()) {
    std::memcpy(dst, host_src, bytes);
    return;
  }
#if DAE_WITH_CUDA
  kernels::cuda::copy_host_to_device(dst, host_src, bytes, exec_.stream);
#endif
}

void DeviceContext::copy_within(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  if (device_.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if DAE_WITH_CUDA
  kernels::cuda::copy_device_to_device(dst, src, bytes, exec_.stream);
#endif
}

void DeviceContext::synchronize() {
#if DAE_WITH_CUDA
  if (device_.is_cuda()) kernels::cuda::stream_synchronize(exec_.stream);
#endif
}

void DeviceContext::set_num_threads(int n_threads) {
  DAE_CHECK(n_threads >= 1, ArgumentError, "thread count must be at least 1 (got ", n_threads, ")");
  if (device_.is_cpu()) exec_.n_threads = n_threads;
}

std::size_t DeviceContext::bytes_in_use() const { return impl_->in_use.load(); }
std::size_t DeviceContext::peak_bytes_in_use() const { return impl_->peak.load(); }
void DeviceContext::reset_peak() { impl_->peak.store(impl_->in_use.load()); }

void set_num_threads(int n_threads) { DeviceContext::get(Device::cpu()).set_num_threads(n_threads); }

}  // namespace dae
