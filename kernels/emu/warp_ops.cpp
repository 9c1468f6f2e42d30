// Warp collectives: shuffles, votes, __syncwarp, reductions and __activemask.
//
// A lane arriving at a collective waits (kAtWarp) with its operation, mask
// and value. The collective of a mask completes when every lane the mask
// names that has not exited waits in the same operation with the same mask;
// then every lane gets its result and becomes runnable in the next round.
// Reading from a lane that does not take part (exited, or not in the mask)
// gives all-one bits: NaN as a float, so the mistake shows.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <sstream>

#include "kernels/emu/block_scheduler.h"

namespace dae::emu {

namespace {

constexpr std::uint64_t kUndefinedValue = ~std::uint64_t(0);

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::kShuffleIndex: return "__shfl_sync";
    case WarpOp::kShuffleUp: return "__shfl_up_sync";
    case WarpOp::kShuffleDown: return "__shfl_down_sync";
    case WarpOp::kShuffleXor: return "__shfl_xor_sync";
    case WarpOp::kBallot: return "__ballot_sync";
    case WarpOp::kAny: return "__any_sync";
    case WarpOp::kAll: return "__all_sync";
    case WarpOp::kSyncWarp: return "__syncwarp";
    case WarpOp::kReduceAdd: return "__reduce_add_sync";
    case WarpOp::kReduceMinSigned:
    case WarpOp::kReduceMinUnsigned: return "__reduce_min_sync";
    case WarpOp::kReduceMaxSigned:
    case WarpOp::kReduceMaxUnsigned: return "__reduce_max_sync";
    case WarpOp::kReduceAnd: return "__reduce_and_sync";
    case WarpOp::kReduceOr: return "__reduce_or_sync";
    case WarpOp::kReduceXor: return "__reduce_xor_sync";
  }
  return "a warp operation";
}

std::string hex(unsigned v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08x", v);
  return buffer;
}

// The lane whose value `lane` reads in a shuffle, or -1 for its own value.
int shuffle_source(WarpOp op, int lane, int param, int width) {
  const unsigned w = unsigned(width);
  const unsigned segment = unsigned(lane) & ~(w - 1);  // first lane of the lane's group of `width`
  const unsigned in_segment = unsigned(lane) & (w - 1);
  switch (op) {
    case WarpOp::kShuffleIndex:
      return int(segment + (unsigned(param) & (w - 1)));  // srcLane modulo width, within the group
    case WarpOp::kShuffleUp:
      return in_segment < unsigned(param) ? -1 : lane - param;
    case WarpOp::kShuffleDown:
      return std::uint64_t(in_segment) + unsigned(param) >= w ? -1 : lane + param;
    case WarpOp::kShuffleXor: {
      const unsigned source = unsigned(lane) ^ unsigned(param);
      return source > segment + w - 1 ? -1 : int(source);  // later groups read their own value
    }
    default:
      return -1;
  }
}

}  // namespace

// The lane that just arrived asks for `mask`: complete that collective if
// every lane it needs is there.
void BlockScheduler::try_complete_warp(int warp, unsigned mask) {
  WarpState& w = warps_[std::size_t(warp)];
  const unsigned group = mask & w.live;
  if ((w.at_op & group) != group) return;
  const ThreadState& first = state(warp * kWarpSize + std::countr_zero(group));
  for (unsigned rest = group; rest != 0; rest &= rest - 1) {
    const ThreadState& s = state(warp * kWarpSize + std::countr_zero(rest));
    if (s.op != first.op || s.mask != first.mask) return;  // a lane it needs waits in another collective
  }
  complete_warp_op(warp, group);
}

// A lane exited: any collective waiting only for it can complete now.
void BlockScheduler::try_complete_all(int warp) {
  for (unsigned pending = warps_[std::size_t(warp)].at_op; pending != 0; pending &= pending - 1) {
    const int lane = std::countr_zero(pending);
    if ((warps_[std::size_t(warp)].at_op & (1u << lane)) == 0) continue;  // completed meanwhile
    try_complete_warp(warp, state(warp * kWarpSize + lane).mask);
  }
}

void BlockScheduler::complete_warp_op(int warp, unsigned group) {
  const int base = warp * kWarpSize;
  const WarpOp op = state(base + std::countr_zero(group)).op;
  unsigned votes = 0;
  std::uint32_t sum = 0, bits_and = ~0u, bits_or = 0, bits_xor = 0;
  std::int32_t min_signed = INT32_MAX, max_signed = INT32_MIN;
  std::uint32_t min_unsigned = UINT32_MAX, max_unsigned = 0;
  for (unsigned rest = group; rest != 0; rest &= rest - 1) {
    const int lane = std::countr_zero(rest);
    const std::uint64_t v = state(base + lane).value;
    const std::uint32_t v32 = std::uint32_t(v);
    if (v != 0) votes |= 1u << lane;
    sum += v32;
    bits_and &= v32;
    bits_or |= v32;
    bits_xor ^= v32;
    min_signed = std::min(min_signed, std::int32_t(v32));
    max_signed = std::max(max_signed, std::int32_t(v32));
    min_unsigned = std::min(min_unsigned, v32);
    max_unsigned = std::max(max_unsigned, v32);
  }
  for (unsigned rest = group; rest != 0; rest &= rest - 1) {
    const int lane = std::countr_zero(rest);
    ThreadState& s = state(base + lane);
    switch (op) {
      case WarpOp::kShuffleIndex:
      case WarpOp::kShuffleUp:
      case WarpOp::kShuffleDown:
      case WarpOp::kShuffleXor: {
        const int source = shuffle_source(op, lane, s.param, s.width);
        if (source < 0) {
          s.result = s.value;
        } else {
          const bool takes_part = source < kWarpSize && (group & (1u << source)) != 0;
          s.result = takes_part ? state(base + source).value : kUndefinedValue;
        }
        break;
      }
      case WarpOp::kBallot: s.result = votes; break;
      case WarpOp::kAny: s.result = votes != 0 ? 1 : 0; break;
      case WarpOp::kAll: s.result = votes == group ? 1 : 0; break;
      case WarpOp::kSyncWarp: s.result = 0; break;
      case WarpOp::kReduceAdd: s.result = sum; break;
      case WarpOp::kReduceMinSigned: s.result = std::uint32_t(min_signed); break;
      case WarpOp::kReduceMaxSigned: s.result = std::uint32_t(max_signed); break;
      case WarpOp::kReduceMinUnsigned: s.result = min_unsigned; break;
      case WarpOp::kReduceMaxUnsigned: s.result = max_unsigned; break;
      case WarpOp::kReduceAnd: s.result = bits_and; break;
      case WarpOp::kReduceOr: s.result = bits_or; break;
      case WarpOp::kReduceXor: s.result = bits_xor; break;
    }
  }
  // Only now: the results above read the values of the whole group.
  for (unsigned rest = group; rest != 0; rest &= rest - 1) {
    const int t = base + std::countr_zero(rest);
    state(t).status = ThreadStatus::kReady;
    next_.push_back(t);
  }
  warps_[std::size_t(warp)].at_op &= ~group;
}

// After a round: once no lane of a warp can run any more, the lanes waiting
// at one __activemask are its active mask (the lanes that reached it
// together; exited lanes and lanes waiting elsewhere are not in it).
void BlockScheduler::resolve_active_masks() {
  unsigned warps_runnable = 0;
  for (const int t : next_) warps_runnable |= 1u << (t / kWarpSize);
  for (int warp = 0; warp < n_warps_; ++warp) {
    WarpState& w = warps_[std::size_t(warp)];
    if ((warps_runnable & (1u << warp)) != 0) continue;
    while (w.at_activemask != 0) {
      const int base = warp * kWarpSize;
      const std::source_location where = state(base + std::countr_zero(w.at_activemask)).site;
      unsigned together = 0;
      for (unsigned rest = w.at_activemask; rest != 0; rest &= rest - 1) {
        const int lane = std::countr_zero(rest);
        const std::source_location& s = state(base + lane).site;
        if (s.line() == where.line() && s.file_name() == where.file_name()) together |= 1u << lane;
      }
      for (unsigned rest = together; rest != 0; rest &= rest - 1) {
        const int t = base + std::countr_zero(rest);
        state(t).result = together;
        state(t).status = ThreadStatus::kReady;
        next_.push_back(t);
      }
      activemask_waiting_ -= std::popcount(together);
      w.at_activemask &= ~together;
    }
  }
}

// For a deadlock report: who waits in which collective of `warp`.
std::string BlockScheduler::describe_warp_waits(int warp) {
  const WarpState& w = warps_[std::size_t(warp)];
  std::string out;
  unsigned pending = w.at_op;
  while (pending != 0) {
    const ThreadState& first = state(warp * kWarpSize + std::countr_zero(pending));
    unsigned same = 0;
    for (unsigned rest = pending; rest != 0; rest &= rest - 1) {
      const int lane = std::countr_zero(rest);
      const ThreadState& s = state(warp * kWarpSize + lane);
      if (s.op == first.op && s.mask == first.mask) same |= 1u << lane;
    }
    const unsigned missing = first.mask & w.live & ~same;
    out += "; warp " + std::to_string(warp) + ": lanes " + hex(same) + " wait in " + op_name(first.op) +
           "(mask " + hex(first.mask) + ") for lanes " + hex(missing) + " that are elsewhere";
    pending &= ~same;
  }
  return out;
}

// --------------------------------------------------------------------------
// As the running GPU thread calls them
// --------------------------------------------------------------------------

std::uint64_t BlockScheduler::warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int param, int width) {
  FiberSlot& slot = running_slot();
  ThreadState& s = slot.state;
  const int lane = s.linear % kWarpSize;
  if ((mask & (1u << lane)) == 0) {
    throw KernelFault(cudaErrorLaunchFailure, std::string(op_name(op)) + " with mask " + hex(mask) +
                                                  ", which leaves out the calling lane " + std::to_string(lane) +
                                                  " (the mask must name every lane that calls it)");
  }
  if (width < 1 || width > kWarpSize || (width & (width - 1)) != 0) {
    throw KernelFault(cudaErrorLaunchFailure, std::string(op_name(op)) + " with width " + std::to_string(width) +
                                                  ", which is not a power of two from 1 to 32");
  }
  s.status = ThreadStatus::kAtWarp;
  s.op = op;
  s.mask = mask;
  s.value = value;
  s.param = param;
  s.width = width;
  suspend(slot);
  return s.result;
}

unsigned BlockScheduler::active_mask(std::source_location where) {
  FiberSlot& slot = running_slot();
  slot.state.status = ThreadStatus::kAtActiveMask;
  slot.state.site = where;
  suspend(slot);
  return unsigned(slot.state.result);
}

}  // namespace dae::emu
