// Running one block: the fibers, the rounds of shuffled threads, the
// barrier, deadlock detection and abandoning a failed block.
#include "kernels/emu/block_runner.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sstream>

#include <boost/context/protected_fixedsize_stack.hpp>

#include "kernels/emu/block_scheduler.h"
#include "kernels/emu/kernel_registry.h"

namespace dae::emu {

namespace detail {
constinit thread_local const uint3* t_thread_idx = nullptr;
constinit thread_local const BlockRegisters* t_block = nullptr;
}  // namespace detail

constinit thread_local BlockScheduler* t_scheduler = nullptr;
constinit thread_local FiberSlot* t_slot = nullptr;

namespace {

namespace ctx = boost::context;

// Each GPU thread's stack. Kernels keep a few locals; printf and the
// exception that reports a fault need a few KiB more. A guard page below it
// turns an overflow into a crash instead of silent corruption.
constexpr std::size_t kFiberStackBytes = 128 * 1024;
constexpr std::size_t kStaticArenaBytes = kSharedBytesDefault;
constexpr std::size_t kArenaAlign = 256;
// Fresh shared memory reads as this byte: NaN as float or double, -1 as an integer.
constexpr unsigned char kPoisonByte = 0xFF;

// Thrown into the suspended threads of an abandoned block to unwind them.
struct BlockAborted {};

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint3 unflatten(std::uint64_t index, dim3 extent) {
  const std::uint64_t x = index % extent.x, rest = index / extent.x;
  return uint3{unsigned(x), unsigned(rest % extent.y), unsigned(rest / extent.y)};
}

std::string triple(uint3 v) {
  char text[48];
  std::snprintf(text, sizeof text, "(%u,%u,%u)", v.x, v.y, v.z);
  return text;
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && (a.file_name() == b.file_name() || std::strcmp(a.file_name(), b.file_name()) == 0);
}

std::string site_text(const std::source_location& s) {
  return std::string(base_name(s.file_name())) + ":" + std::to_string(s.line());
}

unsigned char* aligned_bytes(std::size_t bytes) {
  void* p = std::aligned_alloc(kArenaAlign, (bytes + kArenaAlign - 1) / kArenaAlign * kArenaAlign);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<unsigned char*>(p);
}

}  // namespace

BlockScheduler::BlockScheduler() : static_arena_(aligned_bytes(kStaticArenaBytes)) {}

BlockScheduler::~BlockScheduler() {
  slots_.clear();  // unwinds the idle fibers (Boost.Context's forced unwind) and frees their stacks
  std::free(static_arena_);
  std::free(dynamic_);
}

// --------------------------------------------------------------------------
// Fibers
// --------------------------------------------------------------------------

void BlockScheduler::ensure_fibers(int n_threads) {
  while (int(slots_.size()) < n_threads) {
    auto slot = std::make_unique<FiberSlot>();
    FiberSlot* s = slot.get();
    s->state.linear = int(slots_.size());
    s->fiber = ctx::fiber(std::allocator_arg, ctx::protected_fixedsize_stack(kFiberStackBytes),
                          [this, s](ctx::fiber&& scheduler) {
                            s->scheduler = std::move(scheduler);
                            fiber_main(*s);
                            return std::move(s->scheduler);
                          });
    slots_.push_back(std::move(slot));
  }
}

// The life of a fiber: run the kernel as one GPU thread, report how it
// ended, wait to be resumed for the next block; forever (until the
// scheduler is destroyed, which unwinds it).
void BlockScheduler::fiber_main(FiberSlot& slot) {
  for (;;) {
    ThreadState& s = slot.state;
    try {
      plan_->invoke(plan_->bound);
      s.status = ThreadStatus::kFinished;
    } catch (const BlockAborted&) {
      s.status = ThreadStatus::kFinished;
    } catch (const ctx::detail::forced_unwind&) {
      throw;  // the fiber is being destroyed: let Boost.Context unwind it
    } catch (const KernelFault& f) {
      s.status = ThreadStatus::kFaulted;
      s.fault_code = f.code();
      s.fault_message = f.what();
    } catch (const std::exception& e) {
      s.status = ThreadStatus::kFaulted;
      s.fault_code = cudaErrorLaunchFailure;
      s.fault_message = std::string("the kernel threw an exception: ") + e.what();
    } catch (...) {
      s.status = ThreadStatus::kFaulted;
      s.fault_code = cudaErrorLaunchFailure;
      s.fault_message = "the kernel threw an exception that is not a std::exception";
    }
    slot.scheduler = std::move(slot.scheduler).resume();
  }
}

void BlockScheduler::resume(int thread) {
  FiberSlot& slot = *slots_[std::size_t(thread)];
  t_slot = &slot;
  detail::t_thread_idx = &slot.state.thread_idx;
  slot.state.started = true;
  slot.fiber = std::move(slot.fiber).resume();
}

// Called on the GPU thread's fiber: back to the scheduler until resumed.
void BlockScheduler::suspend(FiberSlot& slot) {
  slot.scheduler = std::move(slot.scheduler).resume();
  if (slot.state.abort) throw BlockAborted{};
}

FiberSlot& BlockScheduler::running_slot() {
  FiberSlot& slot = *t_slot;
  if (slot.state.abort) throw BlockAborted{};
  return slot;
}

// --------------------------------------------------------------------------
// One block
// --------------------------------------------------------------------------

void BlockScheduler::start_block(const LaunchPlan& plan, std::uint64_t block_index) {
  plan_ = &plan;
  n_threads_ = int(plan.block.x * plan.block.y * plan.block.z);
  n_warps_ = (n_threads_ + kWarpSize - 1) / kWarpSize;
  ensure_fibers(n_threads_);
  if (plan.block.x != laid_out_.x || plan.block.y != laid_out_.y || plan.block.z != laid_out_.z) {
    for (int t = 0; t < int(slots_.size()); ++t) {
      slots_[std::size_t(t)]->state.thread_idx = unflatten(std::uint64_t(t), plan.block);
    }
    laid_out_ = plan.block;
  }
  registers_.block_idx = unflatten(block_index, plan.grid);
  registers_.block_dim = plan.block;
  registers_.grid_dim = plan.grid;

  for (int t = 0; t < n_threads_; ++t) {
    ThreadState& s = state(t);
    s.status = ThreadStatus::kReady;
    s.started = false;
    s.abort = false;
  }
  for (int w = 0; w < n_warps_; ++w) {
    const int lanes = std::min(kWarpSize, n_threads_ - w * kWarpSize);
    warps_[std::size_t(w)] = WarpState{lanes == kWarpSize ? ~0u : (1u << lanes) - 1u, 0, 0};
  }
  finished_ = 0;
  activemask_waiting_ = 0;
  barrier_waiters_.clear();
  failed_ = false;
  fault_ = BlockFault{};

  bindings_.clear();
  static_used_ = 0;
  const std::size_t dynamic_bytes = plan.dynamic_shared_bytes;
  if (dynamic_ == nullptr || dynamic_capacity_ < dynamic_bytes) {
    std::free(dynamic_);
    dynamic_ = nullptr;
    dynamic_ = aligned_bytes(std::max<std::size_t>(dynamic_bytes, kArenaAlign));
    dynamic_capacity_ = std::max<std::size_t>(dynamic_bytes, kArenaAlign);
  }
  std::memset(dynamic_, kPoisonByte, dynamic_bytes);

  rng_state_ = plan.order_seed ^ (block_index * 0xd1b54a32d192ed03ull);
  splitmix64(rng_state_);
  ready_.resize(std::size_t(n_threads_));
  std::iota(ready_.begin(), ready_.end(), 0);
  next_.clear();
  detail::t_block = &registers_;
  t_scheduler = this;
}

bool BlockScheduler::run(const LaunchPlan& plan, std::uint64_t block_index, BlockFault* fault,
                         std::size_t* static_shared_bytes) {
  start_block(plan, block_index);
  // Rounds: every runnable thread runs, in a fresh random order, until it
  // waits or ends; the threads its wait released run in the next round.
  while (!ready_.empty() && !failed_) {
    shuffle_ready();
    for (const int t : ready_) {
      resume(t);
      after_yield(t);
      if (failed_) break;
    }
    if (!failed_ && activemask_waiting_ > 0) resolve_active_masks();
    ready_.swap(next_);
    next_.clear();
  }
  if (!failed_ && finished_ != n_threads_) report_deadlock();
  if (failed_) {
    abandon_block();
    *fault = fault_;
  }
  *static_shared_bytes = static_used_;
  detail::t_block = nullptr;
  detail::t_thread_idx = nullptr;
  t_scheduler = nullptr;
  t_slot = nullptr;
  return !failed_;
}

void BlockScheduler::shuffle_ready() {
  // Fisher-Yates with 32-bit draws mapped onto [0, i] by a multiply.
  for (std::size_t i = ready_.size(); i > 1; --i) {
    const std::uint64_t r = splitmix64(rng_state_) >> 32;
    const std::size_t j = std::size_t((r * i) >> 32);
    std::swap(ready_[i - 1], ready_[j]);
  }
}

// Book-keeping after thread `thread` came back to the scheduler.
void BlockScheduler::after_yield(int thread) {
  ThreadState& s = state(thread);
  const int warp = thread / kWarpSize;
  const unsigned lane_bit = 1u << (thread % kWarpSize);
  WarpState& w = warps_[std::size_t(warp)];
  switch (s.status) {
    case ThreadStatus::kFinished:
      ++finished_;
      w.live &= ~lane_bit;
      if (w.at_op != 0) try_complete_all(warp);  // an exited lane no longer holds back its warp
      if (!barrier_waiters_.empty()) try_release_barrier();
      break;
    case ThreadStatus::kAtBarrier:
      barrier_waiters_.push_back(thread);
      try_release_barrier();
      break;
    case ThreadStatus::kAtWarp:
      w.at_op |= lane_bit;
      try_complete_warp(warp, s.mask);
      break;
    case ThreadStatus::kAtActiveMask:
      w.at_activemask |= lane_bit;
      ++activemask_waiting_;
      break;
    case ThreadStatus::kFaulted:
      fail(s.fault_code, where_thread(thread) + s.fault_message);
      break;
    case ThreadStatus::kReady:
      break;
  }
}

// __syncthreads completes when every thread that has not exited waits at it.
void BlockScheduler::try_release_barrier() {
  if (int(barrier_waiters_.size()) + finished_ < n_threads_) return;
  const std::source_location& site = state(barrier_waiters_.front()).site;
  int count = 0;
  for (const int t : barrier_waiters_) {
    const ThreadState& s = state(t);
    if (!same_site(s.site, site)) {
      int here = 0;
      for (const int u : barrier_waiters_) here += same_site(state(u).site, site) ? 1 : 0;
      fail(cudaErrorLaunchFailure,
           "deadlock: the threads wait at different __syncthreads (" + std::to_string(here) + " at " +
               site_text(site) + ", " + std::to_string(int(barrier_waiters_.size()) - here) + " elsewhere, e.g. " +
               site_text(s.site) + "): a __syncthreads inside code that not every thread of the block runs");
      return;
    }
    count += s.predicate != 0 ? 1 : 0;
  }
  const int waiting = int(barrier_waiters_.size());
  for (const int t : barrier_waiters_) {
    ThreadState& s = state(t);
    switch (s.reduce) {
      case BarrierReduce::kNone: s.barrier_result = 0; break;
      case BarrierReduce::kCount: s.barrier_result = count; break;
      case BarrierReduce::kAnd: s.barrier_result = count == waiting ? 1 : 0; break;
      case BarrierReduce::kOr: s.barrier_result = count > 0 ? 1 : 0; break;
    }
    s.status = ThreadStatus::kReady;
    next_.push_back(t);
  }
  barrier_waiters_.clear();
}

void BlockScheduler::report_deadlock() {
  std::ostringstream m;
  m << "deadlock: no thread can continue (" << finished_ << " of " << n_threads_ << " threads have exited)";
  std::vector<int> sites_shown;
  for (const int t : barrier_waiters_) {
    const std::source_location& site = state(t).site;
    bool shown = false;
    for (const int u : sites_shown) shown = shown || same_site(state(u).site, site);
    if (shown) continue;
    sites_shown.push_back(t);
    int here = 0;
    for (const int u : barrier_waiters_) here += same_site(state(u).site, site) ? 1 : 0;
    m << "; " << here << " threads wait at __syncthreads at " << site_text(site);
  }
  for (int w = 0; w < n_warps_; ++w) m << describe_warp_waits(w);
  fail(cudaErrorLaunchFailure, m.str());
}

std::string BlockScheduler::where_thread(int thread) const {
  return "thread " + triple(slots_[std::size_t(thread)]->state.thread_idx) + ": ";
}

void BlockScheduler::fail(cudaError_t code, const std::string& message) {
  if (failed_) return;
  failed_ = true;
  fault_.code = code;
  fault_.message = "kernel '" + std::string(plan_->kernel_name) + "' failed in block " +
                   triple(registers_.block_idx) + ", " + message;
}

// Unwinds every thread that is suspended inside the kernel, so the fibers
// are back at their start for the next block.
void BlockScheduler::abandon_block() {
  for (int t = 0; t < n_threads_; ++t) {
    ThreadState& s = state(t);
    if (!s.started || s.status == ThreadStatus::kFinished || s.status == ThreadStatus::kFaulted) continue;
    s.abort = true;
    resume(t);
    s.abort = false;
  }
}

// --------------------------------------------------------------------------
// Barriers and shared memory, as the running GPU thread calls them
// --------------------------------------------------------------------------

int BlockScheduler::sync_threads(BarrierReduce reduce, int predicate, std::source_location where) {
  FiberSlot& slot = running_slot();
  ThreadState& s = slot.state;
  s.status = ThreadStatus::kAtBarrier;
  s.site = where;
  s.reduce = reduce;
  s.predicate = predicate;
  suspend(slot);
  return s.barrier_result;
}

void* BlockScheduler::static_shared(const SharedArrayInfo& info) {
  for (const Binding& b : bindings_) {
    if (b.info == &info) return b.memory;
  }
  // First declaration in this block: place it, check the limits, poison it.
  const std::size_t align = std::max<std::size_t>(info.align, 16);
  const std::size_t offset = (static_used_ + align - 1) / align * align;
  const std::size_t used = offset + info.bytes;
  const std::string problem =
      shared_memory_problem(used, plan_->dynamic_shared_bytes, plan_->max_dynamic_shared_attribute);
  if (!problem.empty()) {
    static_used_ = std::max(static_used_, used);  // so later launches of this kernel are refused up front
    throw KernelFault(cudaErrorInvalidValue, "declaring shared array '" + std::string(info.name) + "': " + problem);
  }
  unsigned char* memory = static_arena_ + offset;
  std::memset(memory, kPoisonByte, info.bytes);
  bindings_.push_back(Binding{&info, memory});
  static_used_ = used;
  return memory;
}

void* BlockScheduler::dynamic_shared(std::size_t* bytes) {
  *bytes = plan_->dynamic_shared_bytes;
  return dynamic_;
}

bool running_a_kernel() { return t_scheduler != nullptr; }

bool run_block(const LaunchPlan& plan, std::uint64_t block_index, BlockFault* fault,
               std::size_t* static_shared_bytes) {
  static thread_local BlockScheduler scheduler;
  return scheduler.run(plan, block_index, fault, static_shared_bytes);
}

}  // namespace dae::emu
