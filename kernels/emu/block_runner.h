// Runs one block of a launch: its threads as cooperative fibers on the
// calling OS thread (internal to the emulator).
//
// A thread runs until it reaches a barrier, a warp operation or its end.
// Then the scheduler picks the next runnable thread; the order of the
// runnable threads is shuffled for every round with a generator seeded from
// (launch seed, block index), so it is the same whichever OS thread runs the
// block. Fibers and their stacks belong to the OS thread and are reused for
// every block it runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/emu/types.h"

namespace dae::emu {

// One launch, as every block of it sees it.
struct LaunchPlan {
  const char* kernel_name;
  void (*invoke)(const void* bound);
  const void* bound;
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes;
  int max_dynamic_shared_attribute;  // -1 when the kernel did not opt in
  std::uint64_t order_seed;          // seeds the thread orders of this launch
};

struct BlockFault {
  cudaError_t code = cudaSuccess;
  std::string message;  // names the kernel, the block and (when one) the thread
};

// Runs block `block_index` (linear, x fastest) of `plan` to its end. Returns
// false with *fault filled when it failed (a fault in a thread, a deadlock);
// *static_shared_bytes gets the static shared memory the block declared.
bool run_block(const LaunchPlan& plan, std::uint64_t block_index, BlockFault* fault,
               std::size_t* static_shared_bytes);

// True while the calling OS thread runs a block (i.e. inside kernel code).
bool running_a_kernel();

}  // namespace dae::emu
