// The scheduler of one block (internal to the emulator; see block_runner.h).
//
// Every OS thread that runs blocks owns one BlockScheduler and its fibers,
// one per GPU thread of the largest block it has run. A GPU thread is in one
// of a few states; the scheduler keeps, per block, the runnable threads of
// the current round and of the next one, the threads waiting at the
// barrier, and per warp the lanes waiting in warp collectives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include <boost/context/fiber.hpp>

#include "kernels/emu/block_runner.h"
#include "kernels/emu/shared_memory.h"
#include "kernels/emu/sync.h"
#include "kernels/emu/thread_registers.h"

namespace dae::emu {

// A fault inside a kernel (a bad index, a trap, a failed assert, misuse of a
// warp operation): thrown in the GPU thread, it ends the launch with `code`.
class KernelFault : public std::exception {
 public:
  KernelFault(cudaError_t code, std::string message) : code_(code), message_(std::move(message)) {}
  cudaError_t code() const { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  cudaError_t code_;
  std::string message_;
};

enum class ThreadStatus : unsigned char {
  kReady,         // runnable (not started yet, or released from a wait)
  kAtBarrier,     // waiting in __syncthreads
  kAtWarp,        // waiting in a warp collective
  kAtActiveMask,  // waiting in __activemask
  kFinished,      // returned from the kernel
  kFaulted,       // ended by an exception; fault_* say why
};

struct ThreadState {
  uint3 thread_idx{0, 0, 0};  // what threadIdx reads
  int linear = 0;             // x fastest; lane = linear % 32, warp = linear / 32
  ThreadStatus status = ThreadStatus::kReady;
  bool started = false;  // has run in the current block
  bool abort = false;    // set to unwind the thread when its block is abandoned
  // __syncthreads and __activemask
  std::source_location site;
  BarrierReduce reduce = BarrierReduce::kNone;
  int predicate = 0;
  int barrier_result = 0;
  // warp collectives and __activemask
  WarpOp op = WarpOp::kSyncWarp;
  unsigned mask = 0;
  std::uint64_t value = 0;
  int param = 0;
  int width = kWarpSize;
  std::uint64_t result = 0;
  // a fault
  cudaError_t fault_code = cudaSuccess;
  std::string fault_message;
};

struct FiberSlot {
  boost::context::fiber fiber;      // the GPU thread, while it is suspended
  boost::context::fiber scheduler;  // the scheduler, while the GPU thread runs
  ThreadState state;
};

struct WarpState {
  unsigned live = 0;           // lanes that exist and have not exited
  unsigned at_op = 0;          // lanes waiting in a warp collective
  unsigned at_activemask = 0;  // lanes waiting in __activemask
};

class BlockScheduler {
 public:
  BlockScheduler();
  ~BlockScheduler();
  BlockScheduler(const BlockScheduler&) = delete;
  BlockScheduler& operator=(const BlockScheduler&) = delete;

  bool run(const LaunchPlan& plan, std::uint64_t block_index, BlockFault* fault, std::size_t* static_shared_bytes);

  // Called by the running GPU thread (on its fiber).
  int sync_threads(BarrierReduce reduce, int predicate, std::source_location where);
  std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int param, int width);
  unsigned active_mask(std::source_location where);
  void* static_shared(const SharedArrayInfo& info);
  void* dynamic_shared(std::size_t* bytes);

 private:
  // block_runner.cpp: fibers, rounds, barriers, failure
  void ensure_fibers(int n_threads);
  void fiber_main(FiberSlot& slot);
  void start_block(const LaunchPlan& plan, std::uint64_t block_index);
  void resume(int thread);
  void suspend(FiberSlot& slot);
  void after_yield(int thread);
  void try_release_barrier();
  void report_deadlock();
  void fail(cudaError_t code, const std::string& message);
  void abandon_block();
  void shuffle_ready();
  std::string where_thread(int thread) const;
  FiberSlot& running_slot();
  ThreadState& state(int thread) { return slots_[std::size_t(thread)]->state; }

  // warp_ops.cpp: completing warp collectives
  void try_complete_warp(int warp, unsigned group_of_lane);
  void try_complete_all(int warp);
  void complete_warp_op(int warp, unsigned group);
  void resolve_active_masks();
  std::string describe_warp_waits(int warp);

  std::vector<std::unique_ptr<FiberSlot>> slots_;
  const LaunchPlan* plan_ = nullptr;
  BlockRegisters registers_;
  dim3 laid_out_{0, 0, 0};  // block shape the slots' thread indices were computed for
  int n_threads_ = 0;
  int n_warps_ = 0;
  int finished_ = 0;
  std::vector<int> ready_;            // runnable in this round, in the order they run
  std::vector<int> next_;             // runnable in the next round
  std::vector<int> barrier_waiters_;  // at __syncthreads
  std::array<WarpState, kMaxThreadsPerBlock / kWarpSize> warps_{};
  int activemask_waiting_ = 0;
  std::uint64_t rng_state_ = 0;
  bool failed_ = false;
  BlockFault fault_;

  // Shared memory: static arrays are bound to offsets of static_arena_ the
  // first time a thread of the block declares them.
  struct Binding {
    const SharedArrayInfo* info;
    void* memory;
  };
  std::vector<Binding> bindings_;
  std::size_t static_used_ = 0;
  unsigned char* static_arena_ = nullptr;
  unsigned char* dynamic_ = nullptr;
  std::size_t dynamic_capacity_ = 0;
};

// The scheduler running a block on this OS thread (null between blocks), and
// the GPU thread it is running.
extern constinit thread_local BlockScheduler* t_scheduler;
extern constinit thread_local FiberSlot* t_slot;

}  // namespace dae::emu
