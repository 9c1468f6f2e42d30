// Direct convolution kernels for tiny channel counts (1 to 4), where a
// packed GEMM would waste most of its register tile and repack operands it
// uses only once:
//
//   forward_small_m  the forward tap product (gemm_problems.h) with at most
//                    kSmallRows output rows (e.g. a convolution to 1 or 3
//                    channels, or the backward-data pass of one from 3
//                    channels). Each B element is used by so few rows that
//                    packing it would cost more than using it: the kernel
//                    reads B straight from the padded input, 96 columns per
//                    tile, all taps in one pass, rows x 6 zmm of sums.
//
//   weight_grad_dot  c[m][t] = sum over positions p of g(m, p) * B_t(p) as
//                    dot products along the pixels, for few rows or few taps
//                    (a first layer has 9 or 27 taps, a last one 1 or 3
//                    output channels). Both operands are in the padded layout
//                    (grad_y padded like the input, zero off the pixels), so
//                    B_t(p) = x[p + tap offset] and every step is two
//                    contiguous loads. Blocks of 4 rows x 6 taps keep 24
//                    vector sums; positions go in chunks that stay in L1.
//
// Both are deterministic: each output is summed by one thread in a fixed
// order (positions in order, per vector lane; lanes combined in a fixed
// tree), whatever the thread count.
#pragma once

#include <cstdint>

#include "kernels/cpu/gemm_problems.h"

namespace dae::kernels::cpu::detail {

// forward_small_m handles up to this many output rows.
constexpr int kSmallRows = 4;

// Weight gradient by dot products: g and in share the padded layout of `in`
// (positions 0 .. positions-1 of every plane; g's plane m at g + m * g_plane_stride).
// c[m * g_row_stride_c + t] (+)= sum_p g[m][p] * in.data[p + in.tap_offset(taps[t])].
// Overwrites c, or adds to it with accumulate (a batch taken in chunks).
template <typename T>
struct DotWeightGradProblem {
  int m_rows = 0;
  int k = 0;
  const ConvTap* taps = nullptr;
  PaddedPlanes<T> in;
  const T* g = nullptr;
  std::int64_t g_plane_stride = 0;
  std::int64_t g_row_stride_c = 0;  // row stride of c (the full tap count)
  std::int64_t positions = 0;
  T* c = nullptr;
  bool accumulate = false;
};

template <typename T>
struct ConvDirectOps {
  // Part `part` of `n_parts` of a forward tap product with p.m_rows <= kSmallRows.
  void (*forward_small_m)(const ConvForwardProblem<T>& p, int part, int n_parts);
  // Part `part` of `n_parts` of a dot-product weight gradient.
  void (*weight_grad_dot)(const DotWeightGradProblem<T>& p, int part, int n_parts);
};

template <typename T>
const ConvDirectOps<T>& conv_direct_ops_portable();
const ConvDirectOps<float>* conv_direct_ops_avx512();  // null where the compiler cannot target it
const ConvDirectOps<float>* conv_direct_ops_avx2();    // likewise

// The widest implementation this CPU runs (as gemm_ops()).
template <typename T>
const ConvDirectOps<T>& conv_direct_ops();

}  // namespace dae::kernels::cpu::detail
