// Barriers and warp-level operations for kernels run by the emulator.
//
// Each one suspends the calling GPU thread (a fiber) until the threads it
// waits for have arrived, exactly where a GPU thread would wait:
//   __syncthreads      every thread of the block that has not exited
//   warp operations    every lane named in `mask` that has not exited
// Lanes of a warp operation must agree on the operation and the mask; a
// barrier that no schedule can complete is reported as a deadlock.
#pragma once

#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "kernels/emu/thread_registers.h"

namespace dae::emu {

enum class BarrierReduce : unsigned char { kNone, kCount, kAnd, kOr };

enum class WarpOp : unsigned char {
  kShuffleIndex,
  kShuffleUp,
  kShuffleDown,
  kShuffleXor,
  kBallot,
  kAny,
  kAll,
  kSyncWarp,
  kReduceAdd,
  kReduceMinSigned,
  kReduceMaxSigned,
  kReduceMinUnsigned,
  kReduceMaxUnsigned,
  kReduceAnd,
  kReduceOr,
  kReduceXor,
};

// __syncthreads and its reducing forms. `where` identifies the barrier: the
// threads of a block must all wait at the same one.
int sync_threads(BarrierReduce reduce, int predicate, std::source_location where);

// One warp collective: the calling lane contributes `value` (the bits of
// the variable, or the predicate) and `param` (source lane, delta or lane
// mask); returns the lane's result bits. `width` as in __shfl_sync.
std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int param, int width);

// The lanes of the calling warp that reach this __activemask (`where`) together.
unsigned active_mask(std::source_location where);

namespace detail {
template <typename T>
T shuffle(WarpOp op, unsigned mask, T var, int param, int width) {
  static_assert(std::is_arithmetic_v<T> && sizeof(T) <= 8, "warp shuffles move scalars of at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  bits = warp_collective(op, mask, bits, param, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
}  // namespace detail

}  // namespace dae::emu

inline void __syncthreads(std::source_location where = std::source_location::current()) {
  ::dae::emu::sync_threads(::dae::emu::BarrierReduce::kNone, 0, where);
}
inline int __syncthreads_count(int predicate, std::source_location where = std::source_location::current()) {
  return ::dae::emu::sync_threads(::dae::emu::BarrierReduce::kCount, predicate, where);
}
inline int __syncthreads_and(int predicate, std::source_location where = std::source_location::current()) {
  return ::dae::emu::sync_threads(::dae::emu::BarrierReduce::kAnd, predicate, where);
}
inline int __syncthreads_or(int predicate, std::source_location where = std::source_location::current()) {
  return ::dae::emu::sync_threads(::dae::emu::BarrierReduce::kOr, predicate, where);
}

inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::dae::emu::warp_collective(::dae::emu::WarpOp::kSyncWarp, mask, 0, 0, warpSize);
}
inline unsigned __activemask(std::source_location where = std::source_location::current()) {
  return ::dae::emu::active_mask(where);
}

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  return ::dae::emu::detail::shuffle(::dae::emu::WarpOp::kShuffleIndex, mask, var, src_lane, width);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return ::dae::emu::detail::shuffle(::dae::emu::WarpOp::kShuffleUp, mask, var, int(delta), width);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  return ::dae::emu::detail::shuffle(::dae::emu::WarpOp::kShuffleDown, mask, var, int(delta), width);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  return ::dae::emu::detail::shuffle(::dae::emu::WarpOp::kShuffleXor, mask, var, lane_mask, width);
}

inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return unsigned(::dae::emu::warp_collective(::dae::emu::WarpOp::kBallot, mask, predicate != 0, 0, warpSize));
}
inline int __any_sync(unsigned mask, int predicate) {
  return int(::dae::emu::warp_collective(::dae::emu::WarpOp::kAny, mask, predicate != 0, 0, warpSize));
}
inline int __all_sync(unsigned mask, int predicate) {
  return int(::dae::emu::warp_collective(::dae::emu::WarpOp::kAll, mask, predicate != 0, 0, warpSize));
}

// Warp reductions of sm_80 and later.
#define DAE_EMU_WARP_REDUCE(name, T, op)                                                            \
  inline T name(unsigned mask, T value) {                                                          \
    return T(std::uint32_t(::dae::emu::warp_collective(op, mask, std::uint32_t(value), 0, warpSize))); \
  }
DAE_EMU_WARP_REDUCE(__reduce_add_sync, int, ::dae::emu::WarpOp::kReduceAdd)
DAE_EMU_WARP_REDUCE(__reduce_add_sync, unsigned, ::dae::emu::WarpOp::kReduceAdd)
DAE_EMU_WARP_REDUCE(__reduce_min_sync, int, ::dae::emu::WarpOp::kReduceMinSigned)
DAE_EMU_WARP_REDUCE(__reduce_min_sync, unsigned, ::dae::emu::WarpOp::kReduceMinUnsigned)
DAE_EMU_WARP_REDUCE(__reduce_max_sync, int, ::dae::emu::WarpOp::kReduceMaxSigned)
DAE_EMU_WARP_REDUCE(__reduce_max_sync, unsigned, ::dae::emu::WarpOp::kReduceMaxUnsigned)
DAE_EMU_WARP_REDUCE(__reduce_and_sync, unsigned, ::dae::emu::WarpOp::kReduceAnd)
DAE_EMU_WARP_REDUCE(__reduce_or_sync, unsigned, ::dae::emu::WarpOp::kReduceOr)
DAE_EMU_WARP_REDUCE(__reduce_xor_sync, unsigned, ::dae::emu::WarpOp::kReduceXor)
#undef DAE_EMU_WARP_REDUCE
