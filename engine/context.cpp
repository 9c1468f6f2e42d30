#include "engine/context.h"

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/errors.h"

#if DAE_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dae {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
// Host memory kept for reuse at most; past it, freed blocks go back to the system.
constexpr std::size_t kMaxCachedHostBytes = std::size_t(2) << 30;
}  // namespace

// Caching allocator for device memory: freed blocks go to a free list sorted
// by size and are reused by later requests on the same stream, so a training
// step does no cudaMalloc after the first one. A request takes the smallest
// cached block that is at least its size and at most 1/8 larger (so that
// buffers whose size varies a little, such as cuDNN workspaces, still find a
// block, while a small request never pins a huge one). Every use is ordered
// on the context's single stream, so a block freed by one op can be handed to
// the next op without synchronisation. That also holds inside a CUDA graph
// capture (work on one stream is recorded as one chain, in issue order), but
// there a cache miss is refused: see DeviceContext::begin_capture.
struct DeviceContext::Impl {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free_blocks;       // block size -> block
  std::unordered_map<void*, std::size_t> block_sizes;  // live and cached blocks
  std::atomic<std::size_t> in_use{0};
  std::atomic<std::size_t> peak{0};
  std::size_t cached = 0;

  // Library handles, created on first use (guarded by `mutex`).
  void* cublas = nullptr;
  void* cudnn = nullptr;

  // CUDA graph capture: the stream is being captured (begin_capture), and the
  // guard that refuses cache misses and host synchronisation (on while
  // capturing, or alone to rehearse).
  bool capturing = false;
  std::atomic<bool> capture_guard{false};
  std::atomic<std::size_t> guarded_allocations{0};

  const char* guard_state() const {
    return capturing ? "being captured into a CUDA graph" : "under the capture guard (rehearsing a CUDA graph capture)";
  }
  // Throws when the guard is on: `what` is a host synchronisation.
  void refuse_host_sync(Device device, const char* what) const {
    if (!capture_guard.load()) return;
    throw DeviceError(concat(device.str(), ": ", what, " while the stream is ", guard_state(),
                             ": the host cannot wait for captured work (no .item(), .to_vector(), blocking copy or "
                             "synchronize inside the captured region)"));
  }

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
    exec_.scratch = this;  // kernels' temporary buffers come from the same cache
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
  exec_.libraries = this;
  exec_.n_threads = 1;
#else
  throw DeviceError("cannot use " + device.str() +
                    ": this build has no CUDA backend (configure with -DDAE_CUDA=ON on a machine with nvcc)");
#endif
}

DeviceContext::~DeviceContext() {
#if DAE_WITH_CUDA
  if (impl_ != nullptr) {
    kernels::cuda::cudnn_destroy(impl_->cudnn);
    kernels::cuda::cublas_destroy(impl_->cublas);
  }
#endif
}

void DeviceContext::set_conv_algo(kernels::ConvAlgo algo) {
  if (device_.is_cpu()) {
    DAE_CHECK(algo == kernels::ConvAlgo::kCustom, ArgumentError, "the cpu device has one convolution implementation;",
              " convolution algorithm '", kernels::to_string(algo), "' is for cuda devices");
    return;
  }
#if DAE_WITH_CUDA
  kernels::cuda::require_conv_algo(algo);
#endif
  exec_.conv_algo = algo;
}

void* DeviceContext::cublas() {
#if DAE_WITH_CUDA
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (device_.is_cuda() && impl_->cublas == nullptr) impl_->cublas = kernels::cuda::cublas_create(exec_.stream);
  if (impl_->cublas != nullptr) return impl_->cublas;
#endif
  throw DeviceError("cuBLAS is not available on " + device_.str());
}

void* DeviceContext::cudnn() {
#if DAE_WITH_CUDA
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (device_.is_cuda() && impl_->cudnn == nullptr) impl_->cudnn = kernels::cuda::cudnn_create(exec_.stream);
  if (impl_->cudnn != nullptr) return impl_->cudnn;
#endif
  throw DeviceError("cuDNN is not available on " + device_.str());
}

void* DeviceContext::allocate(std::size_t bytes) {
  const std::size_t rounded = round_up(bytes == 0 ? 1 : bytes, device_.is_cpu() ? 64 : 512);
  if (device_.is_cpu()) {
    // The same cache as on the GPU: a training step frees and allocates the
    // same sizes every step, and reusing a block avoids the page faults (and
    // the kernel's zeroing) of fresh memory from the system.
    std::lock_guard<std::mutex> lock(impl_->mutex);
    void* ptr = nullptr;
    std::size_t size = rounded;
    auto it = impl_->free_blocks.lower_bound(rounded);
    if (it != impl_->free_blocks.end() && it->first <= rounded + rounded / 8) {
      ptr = it->second;
      size = it->first;
      impl_->free_blocks.erase(it);
      impl_->cached -= size;
    } else {
      ptr = std::aligned_alloc(64, rounded);
      if (ptr == nullptr) {  // out of memory: give the cache back and try once more
        for (auto& [cached_size, block] : impl_->free_blocks) {
          (void)cached_size;
          impl_->block_sizes.erase(block);
          std::free(block);
        }
        impl_->free_blocks.clear();
        impl_->cached = 0;
        ptr = std::aligned_alloc(64, rounded);
        if (ptr == nullptr) throw std::bad_alloc();
      }
    }
    impl_->block_sizes[ptr] = size;
    impl_->note_alloc(size);
    return ptr;
  }
#if DAE_WITH_CUDA
  std::lock_guard<std::mutex> lock(impl_->mutex);
  void* ptr = nullptr;
  std::size_t size = rounded;
  auto it = impl_->free_blocks.lower_bound(rounded);
  if (it != impl_->free_blocks.end() && it->first <= rounded + rounded / 8) {
    ptr = it->second;
    size = it->first;
    impl_->free_blocks.erase(it);
    impl_->cached -= size;
    if (impl_->capture_guard.load()) impl_->guarded_allocations.fetch_add(1);
  } else if (impl_->capture_guard.load()) {
    throw DeviceError(concat(device_.str(), ": an allocation of ", rounded, " bytes found no cached block while the ",
                             "stream is ", impl_->guard_state(), ", so it would call cudaMallocAsync inside the ",
                             "captured region (", impl_->cached, " bytes cached in ", impl_->free_blocks.size(),
                             " blocks); run the work uncaptured first, so that the cache holds every buffer it needs"));
  } else {
    try {
      ptr = kernels::cuda::malloc_async(rounded, exec_.stream);
    } catch (const DeviceError&) {
      // Out of memory: return the cache to the driver and try once more.
      for (auto& [cached_size, block] : impl_->free_blocks) {
        (void)cached_size;
        kernels::cuda::free_async(block, exec_.stream);
        impl_->block_sizes.erase(block);
      }
      impl_->free_blocks.clear();
      impl_->cached = 0;
      ptr = kernels::cuda::malloc_async(rounded, exec_.stream);
    }
  }
  impl_->block_sizes[ptr] = size;
  impl_->note_alloc(size);
  return ptr;
#else
  throw DeviceError("no CUDA backend in this build");
#endif
}

void DeviceContext::deallocate(void* ptr, std::size_t) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->block_sizes.find(ptr);
  if (it == impl_->block_sizes.end()) return;  // not ours: never cache (or free) a foreign pointer
  const std::size_t size = it->second;
  impl_->in_use.fetch_sub(size);
  if (device_.is_cpu() && impl_->cached + size > kMaxCachedHostBytes) {
    impl_->block_sizes.erase(it);
    std::free(ptr);
    return;
  }
  impl_->free_blocks.emplace(size, ptr);
  impl_->cached += size;
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
  impl_->refuse_host_sync(device_, "a copy to the host");
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
  impl_->refuse_host_sync(device_, "a copy from the host");
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
  if (device_.is_cuda()) {
    impl_->refuse_host_sync(device_, "a synchronisation");
    kernels::cuda::stream_synchronize(exec_.stream);
  }
#endif
}

// ---- CUDA graphs ---------------------------------------------------------------

void DeviceContext::begin_capture() {
  DAE_CHECK(device_.is_cuda(), DeviceError, "CUDA graphs need a cuda device, not ", device_.str());
#if DAE_WITH_CUDA
  DAE_CHECK(!impl_->capturing, DeviceError, device_.str(), ": a CUDA graph capture is already under way");
  std::string why;
  if (!kernels::cuda::graph_capture_available(&why)) throw DeviceError(why);
  set_capture_guard(true);
  try {
    kernels::cuda::stream_begin_capture(exec_.stream);
  } catch (...) {
    set_capture_guard(false);
    throw;
  }
  impl_->capturing = true;
#endif
}

CapturedGraph DeviceContext::end_capture() {
  DAE_CHECK(impl_->capturing, DeviceError, device_.str(), ": end_capture without begin_capture");
  CapturedGraph out;
#if DAE_WITH_CUDA
  impl_->capturing = false;
  impl_->capture_guard.store(false);
  void* graph = kernels::cuda::stream_end_capture(exec_.stream);  // throws when the capture was invalidated
  try {
    out.context_ = this;
    out.nodes_ = kernels::cuda::graph_node_count(graph);
    out.alloc_nodes_ = kernels::cuda::graph_alloc_node_count(graph);
    out.exec_ = kernels::cuda::graph_instantiate(graph);
  } catch (...) {
    kernels::cuda::graph_destroy(graph);
    throw;
  }
  kernels::cuda::graph_destroy(graph);  // the executable graph does not need it
#endif
  return out;
}

void DeviceContext::abort_capture() noexcept {
#if DAE_WITH_CUDA
  if (device_.is_cuda()) kernels::cuda::stream_abort_capture(exec_.stream);  // a no-op when not capturing
#endif
  impl_->capturing = false;
  impl_->capture_guard.store(false);
}

bool DeviceContext::capturing() const { return impl_->capturing; }

void DeviceContext::set_capture_guard(bool on) {
  if (on) impl_->guarded_allocations.store(0);
  impl_->capture_guard.store(on);
}

std::size_t DeviceContext::guarded_allocations() const { return impl_->guarded_allocations.load(); }

CapturedGraph::CapturedGraph(CapturedGraph&& other) noexcept
    : context_(other.context_), exec_(other.exec_), nodes_(other.nodes_), alloc_nodes_(other.alloc_nodes_) {
  other.exec_ = nullptr;
}

CapturedGraph& CapturedGraph::operator=(CapturedGraph&& other) noexcept {
  if (this != &other) {
    CapturedGraph old(std::move(*this));
    context_ = other.context_;
    exec_ = other.exec_;
    nodes_ = other.nodes_;
    alloc_nodes_ = other.alloc_nodes_;
    other.exec_ = nullptr;
  }
  return *this;
}

CapturedGraph::~CapturedGraph() {
#if DAE_WITH_CUDA
  kernels::cuda::graph_exec_destroy(exec_);
#endif
}

void CapturedGraph::replay() {
  DAE_CHECK(exec_ != nullptr && context_ != nullptr, DeviceError, "replay of an empty CUDA graph");
#if DAE_WITH_CUDA
  kernels::cuda::graph_launch(exec_, context_->exec().stream);
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
