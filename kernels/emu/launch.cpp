// Launching a kernel: check the configuration like the driver, then run the
// blocks on the launching thread and the worker pool.
#include "kernels/emu/launch.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "kernels/emu/block_runner.h"
#include "kernels/emu/device_limits.h"
#include "kernels/emu/kernel_registry.h"
#include "kernels/emu/runtime_api.h"
#include "kernels/emu/runtime_state.h"
#include "kernels/emu/worker_pool.h"

namespace dae::emu {

namespace {

// Launches with fewer GPU threads than this run on the launching thread
// alone: waking the pool would cost more than it saves.
constexpr std::uint64_t kThreadsWorthThePool = 16 * 1024;

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int threads_from_environment() {
  if (const char* text = std::getenv("DAE_EMU_THREADS")) {
    const int n = std::atoi(text);
    if (n >= 1) return n;
  }
  return std::max(1, int(std::thread::hardware_concurrency()));
}

std::uint64_t seed_from_environment() {
  if (const char* text = std::getenv("DAE_EMU_SEED")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text, &end, 0);
    if (end != text) return v;
  }
  return kDefaultSeed;
}

// The emulated device's launch state. One launch runs at a time.
struct Device {
  std::mutex launch_mutex;
  std::uint64_t seed = seed_from_environment();
  std::uint64_t launch_count = 0;
  int threads = threads_from_environment();
  std::unique_ptr<WorkerPool> pool;  // created at the first launch that wants it
};

Device& device() {
  static Device* d = new Device;  // never destroyed: helpers may still wait on it at exit
  return *d;
}

std::string geometry_problem(dim3 grid, dim3 block) {
  const auto d3 = [](dim3 v) {
    char text[48];
    std::snprintf(text, sizeof text, "(%u, %u, %u)", v.x, v.y, v.z);
    return std::string(text);
  };
  if (block.x == 0 || block.y == 0 || block.z == 0) return "block dimensions " + d3(block) + " contain a zero";
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) return "grid dimensions " + d3(grid) + " contain a zero";
  if (block.x > kMaxBlockDimX) return "blockDim.x = " + std::to_string(block.x) + " exceeds the limit of 1024";
  if (block.y > kMaxBlockDimY) return "blockDim.y = " + std::to_string(block.y) + " exceeds the limit of 1024";
  if (block.z > kMaxBlockDimZ) return "blockDim.z = " + std::to_string(block.z) + " exceeds the limit of 64";
  const std::uint64_t threads = std::uint64_t(block.x) * block.y * block.z;
  if (threads > kMaxThreadsPerBlock) {
    return "block dimensions " + d3(block) + " make " + std::to_string(threads) +
           " threads, over the limit of 1024 threads per block";
  }
  if (grid.x > kMaxGridDimX) return "gridDim.x = " + std::to_string(grid.x) + " exceeds the limit of 2147483647";
  if (grid.y > kMaxGridDimY) return "gridDim.y = " + std::to_string(grid.y) + " exceeds the limit of 65535";
  if (grid.z > kMaxGridDimZ) return "gridDim.z = " + std::to_string(grid.z) + " exceeds the limit of 65535";
  return "";
}

// The blocks of one launch, handed out in chunks to whoever asks.
class GridRun {
 public:
  GridRun(const LaunchPlan& plan, std::uint64_t n_blocks, int n_workers)
      : plan_(plan), n_blocks_(n_blocks),
        chunk_(std::clamp<std::uint64_t>(n_blocks / (std::uint64_t(n_workers) * 8), 1, 64)) {}

  // Runs chunks of blocks until none are left or one failed. Never throws.
  void work() {
    std::size_t static_bytes = 0;
    try {
      for (;;) {
        if (failed_.load(std::memory_order_relaxed)) break;
        const std::uint64_t first = next_.fetch_add(chunk_, std::memory_order_relaxed);
        if (first >= n_blocks_) break;
        const std::uint64_t last = std::min(first + chunk_, n_blocks_);
        for (std::uint64_t b = first; b < last; ++b) {
          BlockFault fault;
          std::size_t used = 0;
          const bool ok = run_block(plan_, b, &fault, &used);
          static_bytes = std::max(static_bytes, used);
          if (!ok) {
            record(b, std::move(fault));
            break;
          }
        }
      }
    } catch (const std::bad_alloc&) {
      record(0, BlockFault{cudaErrorMemoryAllocation,
                           "kernel '" + std::string(plan_.kernel_name) + "': out of host memory for the emulator"});
    }
    std::lock_guard lock(mutex_);
    static_bytes_ = std::max(static_bytes_, static_bytes);
  }

  bool failed() const { return failed_.load(); }
  const BlockFault& fault() const { return fault_; }
  std::size_t static_bytes() const { return static_bytes_; }

 private:
  // Keeps the fault of the lowest block, so one OS thread or several report the same one.
  void record(std::uint64_t block, BlockFault fault) {
    std::lock_guard lock(mutex_);
    if (!failed_.load() || block < fault_block_) {
      fault_ = std::move(fault);
      fault_block_ = block;
    }
    failed_.store(true);
  }

  const LaunchPlan& plan_;
  const std::uint64_t n_blocks_;
  const std::uint64_t chunk_;
  std::atomic<std::uint64_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  BlockFault fault_;
  std::uint64_t fault_block_ = 0;
  std::size_t static_bytes_ = 0;
};

}  // namespace

void launch_kernel(const KernelLaunch& k) {
  const std::string kernel = "launch of kernel '" + std::string(k.kernel_name) + "': ";
  if (running_a_kernel()) {  // dynamic parallelism
    record_error(cudaErrorNotSupported, kernel + "launching a kernel from a kernel is not emulated");
    return;
  }
  if (const std::string problem = geometry_problem(k.grid, k.block); !problem.empty()) {
    record_error(cudaErrorInvalidConfiguration, kernel + problem);
    return;
  }
  if (!stream_is_valid(k.stream)) {
    record_error(cudaErrorInvalidResourceHandle, kernel + "the stream is not a live stream");
    return;
  }
  const KernelInfo info = kernel_info(k.kernel);
  if (const std::string problem = shared_memory_problem(info.static_shared_bytes, k.dynamic_shared_bytes,
                                                        info.max_dynamic_shared_bytes);
      !problem.empty()) {
    record_error(cudaErrorInvalidValue, kernel + problem);
    return;
  }

  Device& d = device();
  std::lock_guard lock(d.launch_mutex);
  const LaunchPlan plan{k.kernel_name, k.invoke, k.bound, k.grid, k.block, k.dynamic_shared_bytes,
                        info.max_dynamic_shared_bytes, mix(d.seed, d.launch_count++)};
  const std::uint64_t n_blocks = std::uint64_t(k.grid.x) * k.grid.y * k.grid.z;
  const std::uint64_t n_threads = n_blocks * (std::uint64_t(k.block.x) * k.block.y * k.block.z);
  const bool use_pool = d.threads > 1 && n_blocks > 1 && n_threads >= kThreadsWorthThePool;
  if (use_pool && !d.pool) d.pool = std::make_unique<WorkerPool>(d.threads - 1);

  GridRun run(plan, n_blocks, use_pool ? d.threads : 1);
  if (use_pool) {
    d.pool->run_everywhere([&run] { run.work(); });
  } else {
    run.work();
  }
  note_static_shared_bytes(k.kernel, run.static_bytes());
  if (run.failed()) record_error(run.fault().code, run.fault().message);
}

void set_seed(std::uint64_t seed) {
  Device& d = device();
  std::lock_guard lock(d.launch_mutex);
  d.seed = seed;
  d.launch_count = 0;
}

std::uint64_t seed() {
  Device& d = device();
  std::lock_guard lock(d.launch_mutex);
  return d.seed;
}

void set_worker_threads(int n_threads) {
  Device& d = device();
  std::lock_guard lock(d.launch_mutex);
  d.threads = std::max(1, n_threads);
  d.pool.reset();
}

int worker_threads() {
  Device& d = device();
  std::lock_guard lock(d.launch_mutex);
  return d.threads;
}

}  // namespace dae::emu
