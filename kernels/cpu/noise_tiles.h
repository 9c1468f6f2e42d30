// The inner loops of the CPU noise kernels, one set per instruction-set path
// (portable C++, AVX2, AVX-512), all giving the same bits. kernels/cpu/noise.cpp
// cuts a batch into tiles of consecutive draw units, runs the tiles on
// OpenMP threads and calls these functions on each; they know nothing of
// images, channels or threads.
//
// Each Philox block is computed once and all four of its words are used.
// Element tiles (a draw per element) draw a vector batch of blocks and apply
// it to its elements at once. Pixel tiles (a draw per pixel, shared by the
// channels) draw the tile's codes into a small buffer that stays in L1, then
// apply it to each channel.
#pragma once

#include <cstdint>

#include "kernels/common/noise_body.h"

namespace dae::kernels::cpu {

// Draw units per pixel tile (a multiple of 4: tiles start at word 0 of a
// Philox block). The draw buffers hold kNoiseTile + kNoiseTilePad values: the
// draw functions compute whole batches of up to 32 Philox blocks
// (kMaxBatchBlocks), so the last batch of a short tile may run past its end.
constexpr int kNoiseTile = 2048;
constexpr int kMaxBatchBlocks = 32;
constexpr int kNoiseTilePad = 4 * kMaxBatchBlocks;

// The code of a draw unit, read by apply_codes:
//   kKeep (-1)  not corrupted: y = x, mask = 0
//   0 or 1      corrupted: y = the code, mask = 1
constexpr float kKeep = -1.0f;

struct NoiseTileOps {
  const char* name;  // "portable", "avx2", "avx512"

  // Element tiles: draw and apply fused. Elements first .. first + n - 1 of
  // the batch (first a multiple of 4; per element draws, per_channel = 1);
  // x, y and mask point at element `first`. stream: write y and the mask
  // with non-temporal stores (for outputs much larger than the cache; same
  // bits); a thread that streamed calls store_fence() once after its last
  // tile, before any other thread may read what it wrote.
  //   masking noise  (mask_element):       y = 0 with probability p
  //   salt, pepper   (saltpepper_element): y = 1 or 0 with probability amount
  //   gaussian       (gaussian_group):     y = x + sigma z, clipped when p.clip
  void (*mask_elements)(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y, float* mask,
                        bool stream);
  void (*saltpepper_elements)(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y,
                              float* mask, bool stream);
  void (*gaussian_elements)(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y,
                            float* mask, bool stream);

  // Pixel tiles, step 1: the draws into a buffer.
  // code[4 i + k] for k = 0..3, i = 0..n_blocks-1: masking noise for draw unit
  // 4 (first_block + i) + k, i.e. 0 if to_uniform(word k of Philox block
  // first_block + i) < p, else kKeep. Writes 4 values for each block of
  // n_blocks rounded up to a whole batch (at most kMaxBatchBlocks blocks).
  void (*mask_codes)(const NoiseParams& p, std::uint64_t first_block, int n_blocks, float* code);
  // code[2 i + h] for h = 0, 1: salt and pepper for draw unit 2 (first_block + i) + h,
  // from words 2h (hit) and 2h + 1 (salt) of block first_block + i.
  // Writes 2 values for each block of n_blocks rounded up to a whole batch.
  void (*saltpepper_codes)(const NoiseParams& p, std::uint64_t first_block, int n_blocks, float* code);

  // Pixel tiles, step 2, once per channel: for e < n,
  // y[e] = code[e] < 0 ? x[e] : code[e]; mask[e] = code[e] < 0 ? 0 : 1 (stream as above).
  void (*apply_codes)(const float* code, const float* x, float* y, float* mask, int n, bool stream);

  // Orders this thread's non-temporal stores before its later stores (x86
  // sfence), so that a barrier after it publishes them; a no-op on the
  // portable path, which has none. One fence per thread and kernel call: a
  // fence waits for every streamed line to reach memory, too slow per tile.
  void (*store_fence)();

  // For tests: the Box-Muller step alone, on words given directly:
  // (z_cos[i], z_sin[i]) = sqrt(-2 ln to_uniform_open0(w0[i])) * (cos, sin)(2 pi to_uniform(w1[i])).
  void (*box_muller)(const std::uint32_t* w0, const std::uint32_t* w1, int n, float* z_cos, float* z_sin);
};

// The three sets. The AVX2 and AVX-512 ones are null where the compiler does
// not target x86-64; callers check the CPU before using them.
const NoiseTileOps& noise_tiles_portable();
const NoiseTileOps* noise_tiles_avx2();
const NoiseTileOps* noise_tiles_avx512();

enum class NoiseIsa : int;  // kernels/cpu/noise.h

// The set corrupt_with(isa, ...) runs (noise.cpp); throws
// std::invalid_argument when this CPU cannot run it.
const NoiseTileOps& noise_tiles(NoiseIsa isa);

}  // namespace dae::kernels::cpu
