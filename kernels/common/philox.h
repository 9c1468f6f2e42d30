// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): a counter-based generator. The i-th random block is a pure function
// of (key, counter), so any thread on any device can produce element i's draws
// without a sequential state, and the CPU and the GPU agree bit for bit.
//
// Keying used throughout the engine:
//   key     = the 64-bit seed, split into two 32-bit words
//   counter = { block_lo, block_hi, step_lo, step_hi ^ stream }
// where `block` counts blocks of four 32-bit outputs, `step` is the training
// step (or any caller-chosen sequence number) and `stream` separates the uses
// of one (seed, step) pair (noise draws, block positions, initialisation).
#pragma once

#include <cstdint>

#include "kernels/common/macros.h"

namespace dae::philox {

struct Key {
  std::uint32_t k0, k1;
};
struct Counter {
  std::uint32_t c0, c1, c2, c3;
};
struct Block {
  std::uint32_t v[4];
};

DAE_HOST_DEVICE inline void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = std::uint64_t(a) * std::uint64_t(b);
  hi = std::uint32_t(p >> 32);
  lo = std::uint32_t(p);
}

// Ten rounds of the Philox 4x32 bijection.
DAE_HOST_DEVICE inline Block philox4x32_10(Counter ctr, Key key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  std::uint32_t c0 = ctr.c0, c1 = ctr.c1, c2 = ctr.c2, c3 = ctr.c3;
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c0, hi0, lo0);
    mulhilo(kMul1, c2, hi1, lo1);
    const std::uint32_t n0 = hi1 ^ c1 ^ k0;
    const std::uint32_t n1 = lo1;
    const std::uint32_t n2 = hi0 ^ c3 ^ k1;
    const std::uint32_t n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Block{{c0, c1, c2, c3}};
}

DAE_HOST_DEVICE inline Key make_key(std::uint64_t seed) {
  return Key{std::uint32_t(seed), std::uint32_t(seed >> 32)};
}

DAE_HOST_DEVICE inline Counter make_counter(std::uint64_t block, std::uint64_t step, std::uint32_t stream) {
  return Counter{std::uint32_t(block), std::uint32_t(block >> 32), std::uint32_t(step),
                 std::uint32_t(step >> 32) ^ stream};
}

// Uniform float in [0, 1): the top 24 bits scaled by 2^-24 (exact, no rounding).
DAE_HOST_DEVICE inline float to_uniform(std::uint32_t bits) {
  return float(bits >> 8) * (1.0f / 16777216.0f);
}

// Uniform float in (0, 1]: never zero, safe for log().
DAE_HOST_DEVICE inline float to_uniform_open0(std::uint32_t bits) {
  return float((bits >> 8) + 1u) * (1.0f / 16777216.0f);
}

// Well-known stream identifiers (the `stream` word of the counter).
enum Stream : std::uint32_t {
  kStreamInit = 0x1u,       // tensor factories (uniform/normal initialisation)
  kStreamNoise = 0x2u,      // per-element corruption draws
  kStreamNoiseBlock = 0x3u, // block-mask positions
  kStreamNoiseKind = 0x4u,  // which spec of a mixed-noise list a batch draws
  kStreamData = 0x5u,       // data order and augmentation
};

}  // namespace dae::philox
