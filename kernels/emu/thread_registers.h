// The built-in variables of a CUDA thread (threadIdx, blockIdx, blockDim,
// gridDim, warpSize) for kernels run by the emulator.
//
// Each emulated GPU thread is a fiber. The scheduler points two thread-local
// pointers at the running fiber's registers before it resumes that fiber, so
// `threadIdx.x` reads the index of whichever GPU thread is running on this OS
// thread right now. (Fibers never move between OS threads.)
#pragma once

#include "kernels/emu/device_limits.h"
#include "kernels/emu/types.h"

namespace dae::emu {

// What every thread of one block shares.
struct BlockRegisters {
  uint3 block_idx{0, 0, 0};
  dim3 block_dim;
  dim3 grid_dim;
};

namespace detail {
// Set by the block scheduler; null outside a kernel.
extern constinit thread_local const uint3* t_thread_idx __attribute__((tls_model("initial-exec")));
extern constinit thread_local const BlockRegisters* t_block __attribute__((tls_model("initial-exec")));
}  // namespace detail

inline const uint3& thread_idx() { return *detail::t_thread_idx; }
inline const uint3& block_idx() { return detail::t_block->block_idx; }
inline const dim3& block_dim() { return detail::t_block->block_dim; }
inline const dim3& grid_dim() { return detail::t_block->grid_dim; }

}  // namespace dae::emu

#define threadIdx (::dae::emu::thread_idx())
#define blockIdx (::dae::emu::block_idx())
#define blockDim (::dae::emu::block_dim())
#define gridDim (::dae::emu::grid_dim())
// A variable, not a macro: cudaDeviceProp has a field of the same name.
inline constexpr int warpSize = ::dae::emu::kWarpSize;
