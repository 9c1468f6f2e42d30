// Compiled with -ffp-contract=off (see kernels/CMakeLists.txt) so the shared
// exact-math bodies give the same bits as the CUDA kernels.
//
// How the work is cut. Every draw is a pure function of the index of its
// draw unit (noise_body.h), so the batch is cut into fixed tiles of T
// consecutive draw units, and OpenMP gives each thread a contiguous run of
// tiles (schedule(static)); which thread runs a tile changes nothing.
//   element tiles  gaussian, and saltpepper / mask with per_channel = 1: the
//                  draw unit is the element, tile t = elements [t T, t T + T),
//                  T = kElementTile;
//   pixel tiles    saltpepper / mask with per_channel = 0, and block: the
//                  draw unit is the pixel n H W + i (image n, pixel i of the
//                  plane), tile t = pixels [t T, t T + T) of the batch's
//                  planes laid end to end, applied to every channel,
//                  T = kNoiseTile.
// T is a multiple of 4, so a tile starts at word 0 of a Philox block (four
// units of masking, two of salt and pepper, one Gaussian group per block).
// Element tiles draw and apply batch by batch; pixel tiles draw into a
// buffer on the thread's stack, then apply it to each channel
// (kernels/cpu/noise_tiles.h).
#include "kernels/cpu/noise.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__unix__)
#include <unistd.h>
#endif

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/noise_tiles.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

namespace {

// Below this many elements per thread the fork and join cost more than the work.
constexpr std::int64_t kNoiseGrain = 1 << 14;

// Elements per element tile. No buffer holds an element tile's draws, so the
// tile can be long, which keeps the software pipeline of the fused loops
// (noise_tiles_impl.h) running instead of refilling it every few batches.
constexpr int kElementTile = 8 * kNoiseTile;

// Whether y and the mask go out with non-temporal stores: when x, y and the
// mask together (12 bytes an element) exceed the last-level cache, plain
// stores would first read every output line from memory (write-allocate) only
// to evict it again, a third more memory traffic. Smaller batches keep plain
// stores, so that the next op finds them in the cache.
bool stream_outputs(NoiseStores stores, std::int64_t n_elements) {
  if (stores != NoiseStores::kAuto) return stores == NoiseStores::kStreaming;
  static const std::int64_t cache_bytes = [] {
    long bytes = 0;
#if defined(_SC_LEVEL3_CACHE_SIZE)
    bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    return bytes > 0 ? std::int64_t(bytes) : std::int64_t(32) << 20;
  }();
  return 12 * n_elements > cache_bytes;
}

bool cpu_has(const char* feature) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (std::strcmp(feature, "avx2") == 0) return __builtin_cpu_supports("avx2");
  if (std::strcmp(feature, "avx512f") == 0) return __builtin_cpu_supports("avx512f");
#endif
  (void)feature;
  return false;
}

const NoiseTileOps* tiles_for(NoiseIsa isa) {
  switch (isa) {
    case NoiseIsa::kPortable: return &noise_tiles_portable();
    case NoiseIsa::kAvx2: return cpu_has("avx2") ? noise_tiles_avx2() : nullptr;
    case NoiseIsa::kAvx512: return cpu_has("avx512f") ? noise_tiles_avx512() : nullptr;
  }
  return nullptr;
}

// The per-pixel draws of pixels [first, first + n) into `draws` (kNoiseTile +
// kNoiseTilePad values); first is a multiple of 4, so the tile starts at
// word 0 of a Philox block.
void draw_pixels(const NoiseTileOps& ops, const NoiseParams& p, std::int64_t first, int n, float* draws) {
  if (p.kind == NoiseKind::kSaltPepper) {
    ops.saltpepper_codes(p, std::uint64_t(first) / 2, (n + 1) / 2, draws);  // block b = pixels 2b, 2b + 1
  } else {
    ops.mask_codes(p, std::uint64_t(first) / 4, (n + 3) / 4, draws);  // block b = pixels 4b .. 4b + 3
  }
}

void corrupt_elements(const NoiseTileOps& ops, bool stream, const Exec& ex, const NoiseParams& p, std::int64_t n,
                      const float* x, float* y, float* mask) {
  const std::int64_t n_tiles = (n + kElementTile - 1) / kElementTile;
  const auto run = p.kind == NoiseKind::kGaussian     ? ops.gaussian_elements
                   : p.kind == NoiseKind::kSaltPepper ? ops.saltpepper_elements
                                                      : ops.mask_elements;
#pragma omp parallel num_threads(threads_for(ex, n, kNoiseGrain))
  {
#pragma omp for schedule(static) nowait
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      const std::int64_t first = t * kElementTile;  // first element, = first draw unit
      const int len = int(std::min<std::int64_t>(kElementTile, n - first));
      run(p, first, len, x + first, y + first, mask + first, stream);
    }
    if (stream) ops.store_fence();  // before the barrier that ends the parallel region
  }
}

// The block model's codes for pixels [first, first + len) of the batch's
// planes laid end to end: 0 inside one of the blocks of the pixel's image,
// kKeep elsewhere. corners[2 (n count + j)] and [.. + 1] are the top and left
// of block j of image n.
void block_codes(const NoiseParams& p, const ImageShape& s, const std::vector<int>& corners, std::int64_t first,
                 int len, float* code) {
  std::fill(code, code + len, kKeep);
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  const std::int64_t end = first + len;
  for (std::int64_t image = first / plane; image * plane < end; ++image) {
    const std::int64_t origin = image * plane;  // flat index of the image's pixel (0, 0)
    // The rows [row_lo, row_hi] of this image that the tile touches.
    const int row_lo = int((std::max(first, origin) - origin) / s.width);
    const int row_hi = int((std::min(end, origin + plane) - 1 - origin) / s.width);
    for (int j = 0; j < p.block_count; ++j) {
      const std::size_t corner = 2 * (std::size_t(image) * std::size_t(p.block_count) + std::size_t(j));
      const int top = corners[corner], left = corners[corner + 1];
      const int rows_from = std::max(top, row_lo), rows_to = std::min(top + p.block_h - 1, row_hi);
      for (int row = rows_from; row <= rows_to; ++row) {
        // Columns [left, left + block_w) of this row, as flat indices, cut to the tile.
        const std::int64_t row_start = origin + std::int64_t(row) * s.width;
        const std::int64_t a = std::max(row_start + left, first), b = std::min(row_start + left + p.block_w, end);
        if (a < b) std::fill(code + (a - first), code + (b - first), 0.0f);
      }
    }
  }
}

void corrupt_pixels(const NoiseTileOps& ops, bool stream, const Exec& ex, const NoiseParams& p, const ImageShape& s,
                    const float* x, float* y, float* mask) {
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  const std::int64_t n_pixels = std::int64_t(s.batch) * plane;
  const std::int64_t n_tiles = (n_pixels + kNoiseTile - 1) / kNoiseTile;
  const bool blocks = p.kind == NoiseKind::kBlock;
  const std::int64_t n_corners = blocks ? std::int64_t(s.batch) * p.block_count : 0;
  std::vector<int> corners(std::size_t(n_corners) * 2);
#pragma omp parallel num_threads(threads_for(ex, s.numel(), kNoiseGrain))
  {
    if (blocks) {
#pragma omp for schedule(static)
      for (std::int64_t b = 0; b < n_corners; ++b) {
        block_position(p, s, int(b / p.block_count), int(b % p.block_count), &corners[std::size_t(2 * b)],
                       &corners[std::size_t(2 * b + 1)]);
      }
      // (the implied barrier: any tile below may read any image's corners)
    }
#pragma omp for schedule(static) nowait
    for (std::int64_t t = 0; t < n_tiles; ++t) {
      const std::int64_t first = t * kNoiseTile;  // first pixel, = first draw unit
      const int len = int(std::min<std::int64_t>(kNoiseTile, n_pixels - first));
      alignas(64) float draws[kNoiseTile + kNoiseTilePad];
      if (blocks) {
        block_codes(p, s, corners, first, len, draws);
      } else {
        draw_pixels(ops, p, first, len, draws);
      }
      // A tile may end one image and start the next: apply each image's part
      // [a, b) (flat pixel indices) to all of that image's channels.
      for (std::int64_t image = first / plane; image * plane < first + len; ++image) {
        const std::int64_t a = std::max(first, image * plane), b = std::min(first + len, (image + 1) * plane);
        const std::int64_t pixel = a - image * plane;  // position of a in its plane
        for (int ch = 0; ch < s.channels; ++ch) {
          const std::int64_t e = (image * s.channels + ch) * plane + pixel;  // element (image, ch, pixel)
          ops.apply_codes(draws + (a - first), x + e, y + e, mask + e, int(b - a), stream);
        }
      }
    }
    if (stream) ops.store_fence();  // before the barrier that ends the parallel region
  }
}

// kNone: y = x, mask = 0. One contiguous slice per thread, so that memcpy and
// memset see the whole slice and pick their own best stores for its size.
void copy_unchanged(const Exec& ex, std::int64_t n, const float* x, float* y, float* mask) {
  const int threads = threads_for(ex, n, kNoiseGrain);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int t = 0; t < threads; ++t) {
    const std::int64_t first = n * t / threads, end = n * (t + 1) / threads;
    const std::size_t bytes = std::size_t(end - first) * sizeof(float);
    std::memcpy(y + first, x + first, bytes);
    std::memset(mask + first, 0, bytes);  // all bits zero: 0.0f
  }
}

}  // namespace

const char* noise_isa_name(NoiseIsa isa) {
  switch (isa) {
    case NoiseIsa::kPortable: return "portable";
    case NoiseIsa::kAvx2: return "avx2";
    case NoiseIsa::kAvx512: return "avx512";
  }
  return "?";
}

std::vector<NoiseIsa> supported_noise_isas() {
  std::vector<NoiseIsa> isas;
  for (NoiseIsa isa : {NoiseIsa::kPortable, NoiseIsa::kAvx2, NoiseIsa::kAvx512}) {
    if (tiles_for(isa) != nullptr) isas.push_back(isa);
  }
  return isas;
}

NoiseIsa best_noise_isa() {
  static const NoiseIsa best = [] {
    const CpuFeatures& f = cpu_features();  // all false under DAE_CPU_BASELINE=1
    if (f.avx512f && tiles_for(NoiseIsa::kAvx512) != nullptr) return NoiseIsa::kAvx512;
    if (f.avx2_fma && tiles_for(NoiseIsa::kAvx2) != nullptr) return NoiseIsa::kAvx2;
    return NoiseIsa::kPortable;
  }();
  return best;
}

const NoiseTileOps& noise_tiles(NoiseIsa isa) {
  const NoiseTileOps* ops = tiles_for(isa);
  if (ops == nullptr) {
    throw std::invalid_argument(std::string("noise: this CPU cannot run the ") + noise_isa_name(isa) + " path");
  }
  return *ops;
}

void corrupt_with(NoiseIsa isa, NoiseStores stores, const Exec& ex, const NoiseParams& p, const ImageShape& s,
                  const float* x, float* y, float* mask) {
  const NoiseTileOps* ops = &noise_tiles(isa);
  const std::int64_t n = s.numel();
  const bool stream = stream_outputs(stores, n);
  switch (p.kind) {
    case NoiseKind::kNone:
      copy_unchanged(ex, n, x, y, mask);
      return;
    case NoiseKind::kGaussian:
      corrupt_elements(*ops, stream, ex, p, n, x, y, mask);
      return;
    case NoiseKind::kSaltPepper:
    case NoiseKind::kMask:
      if (p.per_channel) {
        corrupt_elements(*ops, stream, ex, p, n, x, y, mask);
      } else {
        corrupt_pixels(*ops, stream, ex, p, s, x, y, mask);
      }
      return;
    case NoiseKind::kBlock:
      corrupt_pixels(*ops, stream, ex, p, s, x, y, mask);
      return;
  }
}

void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask) {
  corrupt_with(best_noise_isa(), NoiseStores::kAuto, ex, p, s, x, y, mask);
}

}  // namespace dae::kernels::cpu
