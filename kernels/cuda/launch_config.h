// Launch geometry helpers shared by the CUDA kernels.
#pragma once

#include <algorithm>
#include <cstdint>

namespace dae::kernels::cuda {

constexpr int kElementwiseBlock = 256;
// Elementwise kernels use grid-stride loops; the grid is capped so that huge
// tensors do not launch millions of blocks (each thread then does several elements).
constexpr std::int64_t kMaxElementwiseBlocks = 4096;

inline unsigned elementwise_grid(std::int64_t n_elements) {
  const std::int64_t blocks = (n_elements + kElementwiseBlock - 1) / kElementwiseBlock;
  return unsigned(std::clamp<std::int64_t>(blocks, 1, kMaxElementwiseBlocks));
}

}  // namespace dae::kernels::cuda
