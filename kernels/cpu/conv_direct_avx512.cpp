// AVX-512 versions of the direct kernels of conv_direct.h (float). Only
// AVX512F instructions; conv_direct_ops() calls in here only after checking
// the CPU.
#include <algorithm>
#include <vector>

#include "kernels/common/macros.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/gemm_driver.h"

#if defined(__x86_64__) && defined(__GNUC__)

// GCC 12 reports its own AVX-512 intrinsics as "used uninitialized" once
// inlined; the warning is spurious and is silenced for this file only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#include "kernels/cpu/conv_direct_forward_impl.h"
#include "kernels/cpu/gemm_avx512_tile.h"

namespace dae::kernels::cpu::detail {
namespace {

// ---- forward with few output rows ---------------------------------------------------
//
// Columns (positions of the padded layout) go in super-tiles of kSpan = 512
// (conv_direct_forward_impl.h, the driver shared with the AVX2 file).
// The taps are taken in runs that read one plane (a channel's 9 taps, say);
// for each run, each 64-column tile of the super-tile loads its rows x 4
// sums from a small buffer, adds the run's taps (4 loads of B and `rows`
// broadcasts of A for 4 * rows FMAs per tap) and puts the sums back. A run
// reads one plane's window of a few KiB, so B comes from L1, and the input is
// swept plane by plane rather than all planes at once. Every output is still
// summed over its taps in order.

constexpr int kNV = 4, kNR = 16 * kNV;

template <int kRows>
void forward_span(const ForwardAdapter<DirectTile<kNR>>& ad, const float* a, const std::vector<int>& run_ends,
                  std::int64_t j_span, float* sums /* [kRows][kSpan] */) {
  const ConvForwardProblem<float>& p = ad.p;
  const std::int64_t* off = ad.tap_off.data();
  std::fill(sums, sums + kRows * kSpan, 0.0f);
  int t_begin = 0;
  for (const int t_end : run_ends) {
    for (int c0 = 0; c0 < kSpan; c0 += kNR) {
      __m512 acc[kRows][kNV];
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_load_ps(sums + r * kSpan + c0 + 16 * v);
      }
      const float* b = p.in.data + j_span + c0;
      for (int t = t_begin; t < t_end; ++t) {
        const float* row = b + off[t];
        __m512 bv[kNV];
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) bv[v] = _mm512_loadu_ps(row + 16 * v);
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          const __m512 w = _mm512_set1_ps(a[t * kSmallRows + r]);
#pragma GCC unroll 4
          for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_fmadd_ps(w, bv[v], acc[r][v]);
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) _mm512_store_ps(sums + r * kSpan + c0 + 16 * v, acc[r][v]);
      }
    }
    t_begin = t_end;
  }
}

// The span kernel and the tile store for forward_small_m_impl.
struct Avx512Forward {
  static constexpr int kNR = detail::kNR;
  template <int kRows>
  static void span(const ForwardAdapter<DirectTile<kNR>>& ad, const float* a, const std::vector<int>& run_ends,
                   std::int64_t j_span, float* sums) {
    forward_span<kRows>(ad, a, run_ends, j_span, sums);
  }
  static void store(const float* tile, const TileDest<float, kNR>& d) { store_tile_avx512<kSmallRows, kNV>(tile, d); }
};

void forward_small_m(const ConvForwardProblem<float>& p, int part, int n_parts) {
  forward_small_m_impl<Avx512Forward>(p, part, n_parts);
}

// ---- weight gradient by dot products -------------------------------------------------
//
// A block is kRows rows of g x kTaps taps (24 sums of 16 lanes). Positions go
// in chunks of kChunk (4 KiB per row, so a block's rows stay in L1 while every
// block of the part passes over the chunk); a block's sums are parked in
// memory between chunks, which keeps each lane's order of additions fixed.
// Rows and taps past the edge of the last block repeat the last real one
// (their sums are dropped).

constexpr std::int64_t kChunk = 1024;

// Lanes of a vector summed in a fixed tree (as combine_lanes in the portable file).
inline float reduce_lanes(__m512 v) {
  alignas(64) float l[16];
  _mm512_store_ps(l, v);
  float l8[8], l4[4];
  for (int i = 0; i < 8; ++i) l8[i] = l[i] + l[i + 8];
  for (int i = 0; i < 4; ++i) l4[i] = l8[i] + l8[i + 4];
  return (l4[0] + l4[2]) + (l4[1] + l4[3]);
}

template <int kRows, int kTaps>
void dot_blocks(const DotWeightGradProblem<float>& p, std::int64_t block_begin, std::int64_t block_end) {
  const int row_blocks = int(ceil_div(p.m_rows, kRows));
  const std::int64_t n_blocks = block_end - block_begin;
  Buffer<float> sums(std::size_t(std::max<std::int64_t>(n_blocks, 1)) * kRows * kTaps * 16);  // 16 lanes per sum
  std::fill(sums.ptr, sums.ptr + std::max<std::int64_t>(n_blocks, 1) * kRows * kTaps * 16, 0.0f);
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
      float* saved = sums.ptr + std::size_t(b - block_begin) * kRows * kTaps * 16;
      __m512 acc[kRows * kTaps];
#pragma GCC unroll 24
      for (int i = 0; i < kRows * kTaps; ++i) acc[i] = _mm512_load_ps(saved + 16 * i);
      std::int64_t q = c0;
      for (; q + 16 <= c1; q += 16) {
        __m512 gv[kRows];
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) gv[r] = _mm512_loadu_ps(g[r] + q);
#pragma GCC unroll 24
        for (int t = 0; t < kTaps; ++t) {
          const __m512 xv = _mm512_loadu_ps(x[t] + q);
#pragma GCC unroll 4
          for (int r = 0; r < kRows; ++r) acc[r * kTaps + t] = _mm512_fmadd_ps(gv[r], xv, acc[r * kTaps + t]);
        }
      }
      if (q < c1) {  // the last positions: g lanes past the end read as zero
        const __mmask16 m = __mmask16((1u << (c1 - q)) - 1);
        __m512 gv[kRows];
        for (int r = 0; r < kRows; ++r) gv[r] = _mm512_maskz_loadu_ps(m, g[r] + q);
        for (int t = 0; t < kTaps; ++t) {
          const __m512 xv = _mm512_maskz_loadu_ps(m, x[t] + q);
          for (int r = 0; r < kRows; ++r) acc[r * kTaps + t] = _mm512_fmadd_ps(gv[r], xv, acc[r * kTaps + t]);
        }
      }
#pragma GCC unroll 24
      for (int i = 0; i < kRows * kTaps; ++i) _mm512_store_ps(saved + 16 * i, acc[i]);
    }
  }
  for (std::int64_t b = block_begin; b < block_end; ++b) {
    const int m0 = int(b % row_blocks) * kRows, t0 = int(b / row_blocks) * kTaps;
    const float* saved = sums.ptr + std::size_t(b - block_begin) * kRows * kTaps * 16;
    for (int r = 0; r < kRows && m0 + r < p.m_rows; ++r) {
      for (int t = 0; t < kTaps && t0 + t < p.k; ++t) {
        float& out = p.c[std::int64_t(m0 + r) * p.g_row_stride_c + t0 + t];
        const float sum = reduce_lanes(_mm512_load_ps(saved + 16 * (r * kTaps + t)));
        out = p.accumulate ? out + sum : sum;
      }
    }
  }
}

// Block shapes of 24 sums: one row of g against 24 taps up to 4 rows x 6 taps.
template <int kRows, int kTaps>
void dot_part(const DotWeightGradProblem<float>& p, int part, int n_parts) {
  const std::int64_t blocks = ceil_div(p.m_rows, kRows) * ceil_div(p.k, kTaps);
  dot_blocks<kRows, kTaps>(p, blocks * part / n_parts, blocks * (part + 1) / n_parts);
}

void weight_grad_dot(const DotWeightGradProblem<float>& p, int part, int n_parts) {
  switch (std::min(p.m_rows, 4)) {
    case 1: dot_part<1, 24>(p, part, n_parts); break;
    case 2: dot_part<2, 12>(p, part, n_parts); break;
    case 3: dot_part<3, 8>(p, part, n_parts); break;
    default: dot_part<4, 6>(p, part, n_parts); break;
  }
}

const ConvDirectOps<float> kAvx512Ops = {&forward_small_m, &weight_grad_dot};

}  // namespace

const ConvDirectOps<float>* conv_direct_ops_avx512() { return &kAvx512Ops; }

}  // namespace dae::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#pragma GCC diagnostic pop

#else
namespace dae::kernels::cpu::detail {
const ConvDirectOps<float>* conv_direct_ops_avx512() { return nullptr; }
}  // namespace dae::kernels::cpu::detail
#endif
