// Launching a kernel in the emulator, and the emulator's own settings.
//
// dae::emu::launch is what DAE_LAUNCH calls in emulation. It checks the
// launch like the CUDA driver does (block and grid dimensions, shared memory
// against the sm_90 limits, the stream) and then runs every block before it
// returns. Any failure, a refused configuration or a fault inside the kernel,
// becomes the calling thread's last error (cudaGetLastError), with a message
// from dae::emu::error_detail naming the kernel and what went wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/emu/types.h"

namespace dae::emu {

// One launch, with the kernel and its arguments behind a type-erased call.
struct KernelLaunch {
  const char* kernel_name;
  const void* kernel;  // identifies the kernel (cudaFuncSetAttribute's key)
  void (*invoke)(const void* bound);
  const void* bound;   // the kernel and its arguments, for invoke
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes;
  cudaStream_t stream;
};

void launch_kernel(const KernelLaunch& launch);

template <typename... Params>
struct BoundKernel {
  void (*kernel)(Params...);
  std::tuple<std::decay_t<Params>...> args;  // copied at launch, as CUDA copies kernel arguments

  static void invoke(const void* self) {
    const BoundKernel& b = *static_cast<const BoundKernel*>(self);
    std::apply(b.kernel, b.args);
  }
};

// kernel<<<grid, block, dynamic_shared_bytes, stream>>>(args...)
template <typename... Params, typename... Args>
void launch(const char* kernel_name, void (*kernel)(Params...), dim3 grid, dim3 block,
            std::size_t dynamic_shared_bytes, cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  const BoundKernel<Params...> bound{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  launch_kernel(KernelLaunch{kernel_name, reinterpret_cast<const void*>(kernel), &BoundKernel<Params...>::invoke,
                             &bound, grid, block, dynamic_shared_bytes, stream});
}

// The seed of the thread-order shuffling (environment DAE_EMU_SEED, default
// kDefaultSeed). Each launch and each block get their own order drawn from
// it; setting the seed restarts the launch count, so the same seed and the
// same launches give the same orders.
inline constexpr std::uint64_t kDefaultSeed = 0x5eed;
void set_seed(std::uint64_t seed);
std::uint64_t seed();

// OS threads that run blocks (environment DAE_EMU_THREADS, default the core
// count). Results never depend on it, except for the order of atomics.
void set_worker_threads(int n_threads);
int worker_threads();

}  // namespace dae::emu
