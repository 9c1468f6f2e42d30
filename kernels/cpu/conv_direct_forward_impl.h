// The driver of forward_small_m (conv_direct.h), written once for the AVX2
// and AVX-512 files: it gathers the weights, finds the runs of taps that read
// one plane, walks this part's super-tiles of kSpan columns, has the
// instruction set's span kernel sum them, and stores them through column maps
// in tiles of Isa::kNR columns.
//
// Isa provides
//   static constexpr int kNR;                      // columns per stored tile
//   template <int kRows> static void span(ad, a, run_ends, j_span, sums);
//   static void store(const float* tile, const TileDest<float, kNR>& d);
// where ad is a ForwardAdapter<DirectTile<kNR>>, a[t * kSmallRows + r] is
// A(r, t), run_ends the ends of the tap runs and sums [kRows][kSpan].
//
// Include this only from conv_direct_avx2.cpp / conv_direct_avx512.cpp,
// after the `#pragma GCC target` that picks the instruction set: everything
// here has internal linkage, so each file compiles its own copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/gemm_driver.h"

namespace dae::kernels::cpu::detail {
namespace {

// Columns (positions of the padded layout) per super-tile.
constexpr int kSpan = 512;

template <int NR>
struct DirectTile {
  using T = float;
  static constexpr int kMR = kSmallRows, kNR = NR;
};

template <class Isa>
void forward_small_m_impl(const ConvForwardProblem<float>& p, int part, int n_parts) {
  constexpr int kNR = Isa::kNR;
  static_assert(kSpan % kNR == 0, "a span holds whole store tiles");
  const ForwardAdapter<DirectTile<kNR>> ad(p);
  const int k = p.k;
  // a[t * kSmallRows + r] = A(r, t), gathered once.
  std::vector<float> a(std::size_t(std::max(k, 1)) * kSmallRows, 0.0f);
  for (int t = 0; t < k; ++t) {
    for (int r = 0; r < p.m_rows; ++r) a[std::size_t(t) * kSmallRows + r] = p.a[r * p.a_row_stride + p.taps[t].a_offset];
  }
  // Runs of consecutive taps on one plane: their ends.
  std::vector<int> run_ends;
  for (int t = 1; t <= k; ++t) {
    if (t == k || p.taps[t].plane != p.taps[t - 1].plane) run_ends.push_back(t);
  }
  const std::int64_t n = ad.n(), spans = ceil_div(n, kSpan);
  alignas(64) float sums[kSmallRows * kSpan];
  alignas(64) float tile[kSmallRows * kNR];
  ColumnMap<kNR> map;
  for (std::int64_t sp = spans * part / n_parts; sp < spans * (part + 1) / n_parts; ++sp) {
    const std::int64_t j_span = sp * kSpan;
    switch (p.m_rows) {
      case 1: Isa::template span<1>(ad, a.data(), run_ends, j_span, sums); break;
      case 2: Isa::template span<2>(ad, a.data(), run_ends, j_span, sums); break;
      case 3: Isa::template span<3>(ad, a.data(), run_ends, j_span, sums); break;
      default: Isa::template span<4>(ad, a.data(), run_ends, j_span, sums); break;
    }
    for (int c0 = 0; c0 < kSpan && j_span + c0 < n; c0 += kNR) {
      ad.column_map(j_span + c0, int(std::min<std::int64_t>(kNR, n - j_span - c0)), map);
      if (map.n_segments == 0) continue;
      for (int r = 0; r < p.m_rows; ++r) std::copy(sums + r * kSpan + c0, sums + r * kSpan + c0 + kNR, tile + r * kNR);
      const TileDest<float, kNR> d{p.out.data, p.out.channel_stride, p.m_rows, &map, p.bias, true, 0.0f};
      Isa::store(tile, d);
    }
  }
}

}  // namespace
}  // namespace dae::kernels::cpu::detail
