// Grid sizes for the kernels of this backend that loop (grid-stride or
// chunk-stride), honouring the Exec's test hook `max_blocks`.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

constexpr int kBlockThreads = 256;
// Enough blocks to fill any current GPU several times over; beyond this each
// thread loops instead of launching more blocks.
constexpr std::int64_t kMaxLoopBlocks = 8192;

// Blocks for `work_items` items handled `items_per_block` at a time, capped
// (grid-stride kernels then loop) at kMaxLoopBlocks and at ex.max_blocks when set.
inline unsigned loop_grid(const Exec& ex, std::int64_t work_items, std::int64_t items_per_block) {
  std::int64_t blocks = (work_items + items_per_block - 1) / items_per_block;
  blocks = std::clamp<std::int64_t>(blocks, 1, kMaxLoopBlocks);
  if (ex.max_blocks > 0) blocks = std::min<std::int64_t>(blocks, ex.max_blocks);
  return unsigned(blocks);
}

}  // namespace dae::kernels::cuda
