// AVX2+FMA versions of the direct kernels of conv_direct.h (float), for CPUs
// without AVX-512. Same algorithms, and each sum is built in the same order
// as in the AVX-512 file:
//
// - forward_small_m sums each output over its taps in order with one fused
//   multiply-add per tap, whatever the vector width; with 16 ymm registers
//   a column tile is 8 * kNV wide (rows x kNV sums, the rows' weights and
//   one vector of B live per step).
// - weight_grad_dot keeps the AVX-512 file's 16 lanes per sum (lane l sums
//   the positions q = l mod 16, in order) and combines them in the same
//   tree; a ymm holds half of those lanes, so each block runs over a chunk
//   twice, once for lanes 0-7 and once for lanes 8-15. The two halves are
//   independent sums, and 12 of them fit in registers per pass.
//
// conv_direct_ops() calls in here only after checking the CPU.
#include <algorithm>
#include <vector>

#include "kernels/common/macros.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/gemm_driver.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "kernels/cpu/conv_direct_forward_impl.h"

namespace dae::kernels::cpu::detail {
namespace {

// ---- forward with few output rows ---------------------------------------------------
//
// As in the AVX-512 file: columns go in super-tiles of kSpan positions; the
// taps are taken in runs that read one plane, and for each run each column
// tile loads its sums from a small buffer, adds the run's taps and puts them
// back, so B comes from L1 and every output is summed over its taps in order.
// The store goes through 64-column tiles and their column maps.

constexpr int kStoreNR = 64;

// Vectors per row of a column tile: rows x kNV sums + rows weights + 1 B <= 16 ymm.
template <int kRows>
constexpr int vectors_per_row() {
  return kRows == 1 ? 8 : kRows == 4 ? 2 : 4;
}

template <int kRows>
void forward_span(const ForwardAdapter<DirectTile<kStoreNR>>& ad, const float* a, const std::vector<int>& run_ends,
                  std::int64_t j_span, float* sums /* [kRows][kSpan] */) {
  constexpr int kNV = vectors_per_row<kRows>(), kWidth = 8 * kNV;
  static_assert(kSpan % kWidth == 0, "a span holds whole tiles");
  const ConvForwardProblem<float>& p = ad.p;
  const std::int64_t* off = ad.tap_off.data();
  std::fill(sums, sums + kRows * kSpan, 0.0f);
  int t_begin = 0;
  for (const int t_end : run_ends) {
    for (int c0 = 0; c0 < kSpan; c0 += kWidth) {
      __m256 acc[kRows][kNV];
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < kNV; ++v) acc[r][v] = _mm256_load_ps(sums + r * kSpan + c0 + 8 * v);
      }
      const float* b = p.in.data + j_span + c0;
      for (int t = t_begin; t < t_end; ++t) {
        const float* row = b + off[t];
        __m256 w[kRows];
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) w[r] = _mm256_broadcast_ss(a + t * kSmallRows + r);
#pragma GCC unroll 8
        for (int v = 0; v < kNV; ++v) {
          const __m256 bv = _mm256_loadu_ps(row + 8 * v);
#pragma GCC unroll 4
          for (int r = 0; r < kRows; ++r) acc[r][v] = _mm256_fmadd_ps(w[r], bv, acc[r][v]);
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < kNV; ++v) _mm256_store_ps(sums + r * kSpan + c0 + 8 * v, acc[r][v]);
      }
    }
    t_begin = t_end;
  }
}

// The span kernel and the tile store for forward_small_m_impl.
struct Avx2Forward {
  static constexpr int kNR = kStoreNR;
  template <int kRows>
  static void span(const ForwardAdapter<DirectTile<kNR>>& ad, const float* a, const std::vector<int>& run_ends,
                   std::int64_t j_span, float* sums) {
    forward_span<kRows>(ad, a, run_ends, j_span, sums);
  }
  static void store(const float* tile, const TileDest<float, kNR>& d) {
    store_tile_scalar<float, kSmallRows, kNR>(tile, d);
  }
};

void forward_small_m(const ConvForwardProblem<float>& p, int part, int n_parts) {
  forward_small_m_impl<Avx2Forward>(p, part, n_parts);
}

// ---- weight gradient by dot products -------------------------------------------------
//
// A block is kRows rows of g x kTaps taps (12 sums of 16 lanes, half of them
// per pass). Positions go in chunks of kChunk, a block's sums parked in
// memory between chunks (so each lane's order of additions stays fixed);
// rows and taps past the edge of the last block repeat the last real one
// (their sums are dropped).

constexpr std::int64_t kChunk = 1024;
constexpr int kLanes = 16;

// The 16 lanes of a sum combined in the AVX-512 file's tree.
inline float reduce_lanes(const float* l) {
  float l8[8], l4[4];
  for (int i = 0; i < 8; ++i) l8[i] = l[i] + l[i + 8];
  for (int i = 0; i < 4; ++i) l4[i] = l8[i] + l8[i + 4];
  return (l4[0] + l4[2]) + (l4[1] + l4[3]);
}

// Lanes 0 .. n-1 of 8 (n in 0..8) as a maskload mask.
inline __m256i first_lanes(int n) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

template <int kRows, int kTaps>
void dot_blocks(const DotWeightGradProblem<float>& p, std::int64_t block_begin, std::int64_t block_end) {
  constexpr int kSums = kRows * kTaps;
  const int row_blocks = int(ceil_div(p.m_rows, kRows));
  const std::int64_t n_blocks = block_end - block_begin;
  const std::size_t saved_floats = std::size_t(std::max<std::int64_t>(n_blocks, 1)) * kSums * kLanes;
  Buffer<float> sums(saved_floats);
  std::fill(sums.ptr, sums.ptr + saved_floats, 0.0f);
  std::vector<std::int64_t> off(std::size_t(p.k));
  for (int t = 0; t < p.k; ++t) off[std::size_t(t)] = p.in.tap_offset(p.taps[t]);
  for (std::int64_t c0 = 0; c0 < p.positions; c0 += kChunk) {
    const std::int64_t c1 = std::min(p.positions, c0 + kChunk);
    for (std::int64_t b = block_begin; b < block_end; ++b) {
      const int m0 = int(b % row_blocks) * kRows, t0 = int(b / row_blocks) * kTaps;
      const float* g[kRows];
      const float* x[kTaps];
      for (int r = 0; r < kRows; ++r) g[r] = p.g + std::min(m0 + r, p.m_rows - 1) * p.g_plane_stride;
      for (int t = 0; t < kTaps; ++t) x[t] = p.in.data + off[std::size_t(std::min(t0 + t, p.k - 1))];
      float* saved = sums.ptr + std::size_t(b - block_begin) * kSums * kLanes;
      for (int half = 0; half < kLanes; half += 8) {
        __m256 acc[kSums];
#pragma GCC unroll 12
        for (int i = 0; i < kSums; ++i) acc[i] = _mm256_load_ps(saved + kLanes * i + half);
        std::int64_t q = c0 + half;
        for (; q + 8 <= c1; q += kLanes) {
          __m256 gv[kRows];
#pragma GCC unroll 4
          for (int r = 0; r < kRows; ++r) gv[r] = _mm256_loadu_ps(g[r] + q);
#pragma GCC unroll 12
          for (int t = 0; t < kTaps; ++t) {
            const __m256 xv = _mm256_loadu_ps(x[t] + q);
#pragma GCC unroll 4
            for (int r = 0; r < kRows; ++r) acc[r * kTaps + t] = _mm256_fmadd_ps(gv[r], xv, acc[r * kTaps + t]);
          }
        }
        if (q < c1) {  // the last positions of this half: lanes past the end read as zero
          const __m256i m = first_lanes(int(c1 - q));
          __m256 gv[kRows];
          for (int r = 0; r < kRows; ++r) gv[r] = _mm256_maskload_ps(g[r] + q, m);
          for (int t = 0; t < kTaps; ++t) {
            const __m256 xv = _mm256_maskload_ps(x[t] + q, m);
            for (int r = 0; r < kRows; ++r) acc[r * kTaps + t] = _mm256_fmadd_ps(gv[r], xv, acc[r * kTaps + t]);
          }
        }
#pragma GCC unroll 12
        for (int i = 0; i < kSums; ++i) _mm256_store_ps(saved + kLanes * i + half, acc[i]);
      }
    }
  }
  for (std::int64_t b = block_begin; b < block_end; ++b) {
    const int m0 = int(b % row_blocks) * kRows, t0 = int(b / row_blocks) * kTaps;
    const float* saved = sums.ptr + std::size_t(b - block_begin) * kSums * kLanes;
    for (int r = 0; r < kRows && m0 + r < p.m_rows; ++r) {
      for (int t = 0; t < kTaps && t0 + t < p.k; ++t) {
        float& out = p.c[std::int64_t(m0 + r) * p.g_row_stride_c + t0 + t];
        const float sum = reduce_lanes(saved + kLanes * (r * kTaps + t));
        out = p.accumulate ? out + sum : sum;
      }
    }
  }
}

// Block shapes of at most 12 sums: one row of g against 12 taps up to 4 rows x 3 taps.
template <int kRows, int kTaps>
void dot_part(const DotWeightGradProblem<float>& p, int part, int n_parts) {
  const std::int64_t blocks = ceil_div(p.m_rows, kRows) * ceil_div(p.k, kTaps);
  dot_blocks<kRows, kTaps>(p, blocks * part / n_parts, blocks * (part + 1) / n_parts);
}

void weight_grad_dot(const DotWeightGradProblem<float>& p, int part, int n_parts) {
  switch (std::min(p.m_rows, 4)) {
    case 1: dot_part<1, 12>(p, part, n_parts); break;
    case 2: dot_part<2, 6>(p, part, n_parts); break;
    case 3: dot_part<3, 4>(p, part, n_parts); break;
    default: dot_part<4, 3>(p, part, n_parts); break;
  }
}

const ConvDirectOps<float> kAvx2Ops = {&forward_small_m, &weight_grad_dot};

}  // namespace

const ConvDirectOps<float>* conv_direct_ops_avx2() { return &kAvx2Ops; }

}  // namespace dae::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
namespace dae::kernels::cpu::detail {
const ConvDirectOps<float>* conv_direct_ops_avx2() { return nullptr; }
}  // namespace dae::kernels::cpu::detail
#endif
