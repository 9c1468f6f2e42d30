// The corruption models of SPEC §4, as per-element functions shared by the
// CPU and CUDA kernels. Every draw is a pure function of (seed, step, element
// index), so the result is independent of thread layout, thread count and
// device, bit for bit.
//
// Random streams (Philox 4x32-10, kernels/common/philox.h; key = seed,
// counter = (block, step, stream)):
//   gaussian     4 normals per Philox block: elements 4b..4b+3 use block b;
//                Box-Muller on the pairs (v0, v1) and (v2, v3):
//                z = sqrt(-2 ln u0) * (cos, sin)(2 pi u1), u0 in (0, 1], u1 in [0, 1)
//   saltpepper   2 uniforms per element: draw unit d uses block d/2, lanes
//                2(d%2) (hit if < amount) and 2(d%2)+1 (salt if < salt)
//   mask         1 uniform per draw unit: block d/4, lane d%4 (hit if < p)
//   block        the top-left corner of block j of image n comes from block
//                (n * count + j) of the kNoiseBlock stream: top = (v0 * (H - bh + 1)) >> 32,
//                left = (v1 * (W - bw + 1)) >> 32
// where the draw unit d is the element index, or the pixel index
// (n*H + y)*W + x when per_channel = 0 (all channels of a pixel share one draw).
#pragma once

#include <cstdint>

#include "kernels/common/exact_math.h"
#include "kernels/common/macros.h"
#include "kernels/common/philox.h"

namespace dae::kernels {

enum class NoiseKind : int { kNone = 0, kGaussian = 1, kSaltPepper = 2, kMask = 3, kBlock = 4 };

struct NoiseParams {
  NoiseKind kind = NoiseKind::kNone;
  float sigma = 0.1f;        // gaussian
  bool clip = true;          // gaussian: clamp to [0, 1]
  float amount = 0.1f;       // saltpepper: probability an element is hit
  float salt = 0.5f;         // saltpepper: probability a hit becomes 1
  float p = 0.25f;           // mask: probability an element is set to 0
  bool per_channel = true;   // saltpepper, mask: independent draws per channel
  int block_h = 8, block_w = 8, block_count = 1;  // block
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
};

struct ImageShape {
  int batch = 0, channels = 0, height = 0, width = 0;
  std::int64_t numel() const { return std::int64_t(batch) * channels * height * width; }
};

// The draw unit of element e (see above).
DAE_HOST_DEVICE inline std::uint64_t noise_draw_unit(const ImageShape& s, const NoiseParams& p, std::int64_t e) {
  if (p.per_channel) return std::uint64_t(e);
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  const std::int64_t image = e / (plane * s.channels);
  return std::uint64_t(image * plane + e % plane);
}

// Gaussian: four consecutive elements [4g, 4g+4) share one Philox block. Writes
// y and mask (1 = corrupted: every element) for the `count` <= 4 valid ones.
DAE_HOST_DEVICE inline void gaussian_group(const NoiseParams& p, std::int64_t group, int count, const float* x,
                                           float* y, float* mask) {
  const philox::Block r = philox::philox4x32_10(
      philox::make_counter(std::uint64_t(group), p.step, philox::kStreamNoise), philox::make_key(p.seed));
  float z[4];
  for (int pair = 0; pair < 2; ++pair) {
    const float u0 = philox::to_uniform_open0(r.v[2 * pair]);
    const float u1 = philox::to_uniform(r.v[2 * pair + 1]);
    const float radius = exact::sqrt(exact::mul(-2.0f, exact::log(u0)));
    float s, c;
    exact::sincos_2pi(u1, &s, &c);
    z[2 * pair] = exact::mul(radius, c);
    z[2 * pair + 1] = exact::mul(radius, s);
  }
  for (int k = 0; k < count; ++k) {
    float v = exact::add(x[k], exact::mul(p.sigma, z[k]));
    if (p.clip) v = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    y[k] = v;
    mask[k] = 1.0f;
  }
}

// Salt and pepper for element e with value v: returns the corrupted value and sets *hit.
DAE_HOST_DEVICE inline float saltpepper_element(const NoiseParams& p, std::uint64_t unit, float v, float* hit) {
  const philox::Block r = philox::philox4x32_10(philox::make_counter(unit >> 1, p.step, philox::kStreamNoise),
                                                philox::make_key(p.seed));
  const int lane = int(unit & 1u) * 2;
  const bool is_hit = philox::to_uniform(r.v[lane]) < p.amount;
  *hit = is_hit ? 1.0f : 0.0f;
  if (!is_hit) return v;
  return philox::to_uniform(r.v[lane + 1]) < p.salt ? 1.0f : 0.0f;
}

// Masking noise for element e: 0 with probability p.
DAE_HOST_DEVICE inline float mask_element(const NoiseParams& p, std::uint64_t unit, float v, float* hit) {
  const philox::Block r = philox::philox4x32_10(philox::make_counter(unit >> 2, p.step, philox::kStreamNoise),
                                                philox::make_key(p.seed));
  const bool is_hit = philox::to_uniform(r.v[unit & 3u]) < p.p;
  *hit = is_hit ? 1.0f : 0.0f;
  return is_hit ? 0.0f : v;
}

// Top-left corner of block j of image n (the block must fit: bh <= H, bw <= W).
DAE_HOST_DEVICE inline void block_position(const NoiseParams& p, const ImageShape& s, int n, int j, int* top,
                                           int* left) {
  const philox::Block r = philox::philox4x32_10(
      philox::make_counter(std::uint64_t(n) * std::uint64_t(p.block_count) + std::uint64_t(j), p.step,
                           philox::kStreamNoiseBlock),
      philox::make_key(p.seed));
  *top = int((std::uint64_t(r.v[0]) * std::uint64_t(s.height - p.block_h + 1)) >> 32);
  *left = int((std::uint64_t(r.v[1]) * std::uint64_t(s.width - p.block_w + 1)) >> 32);
}

}  // namespace dae::kernels
