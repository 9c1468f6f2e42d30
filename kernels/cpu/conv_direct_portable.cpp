// Portable versions of the direct kernels of conv_direct.h (float and
// double; the gradient checks run these in double), and the dispatch.
#include <algorithm>
#include <vector>

#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm_driver.h"

namespace dae::kernels::cpu::detail {
namespace {

template <typename Scalar>
struct DirectTile {
  using T = Scalar;
  static constexpr int kMR = kSmallRows, kNR = 16;
};

template <typename T>
void forward_small_m(const ConvForwardProblem<T>& p, int part, int n_parts) {
  using Tile = DirectTile<T>;
  constexpr int NR = Tile::kNR;
  const ForwardAdapter<Tile> ad(p);
  const int m = p.m_rows, k = p.k;
  std::vector<T> a(std::size_t(k) * kSmallRows, T(0));  // a[t * kSmallRows + r] = A(r, t)
  for (int t = 0; t < k; ++t) {
    for (int r = 0; r < m; ++r) a[std::size_t(t) * kSmallRows + r] = p.a[r * p.a_row_stride + p.taps[t].a_offset];
  }
  const std::int64_t n = ad.n(), tiles = ceil_div(n, NR);
  ColumnMap<NR> map;
  for (std::int64_t tile = tiles * part / n_parts; tile < tiles * (part + 1) / n_parts; ++tile) {
    const std::int64_t j0 = tile * NR;
    ad.column_map(j0, int(std::min<std::int64_t>(NR, n - j0)), map);
    if (map.n_segments == 0) continue;
    T acc[kSmallRows * NR] = {};
    const T* b = p.in.data + j0;
    for (int t = 0; t < k; ++t) {
      const T* row = b + ad.tap_off[std::size_t(t)];
      for (int r = 0; r < m; ++r) {
        const T w = a[std::size_t(t) * kSmallRows + r];
        for (int l = 0; l < NR; ++l) acc[r * NR + l] += w * row[l];
      }
    }
    const TileDest<T, NR> d{p.out.data, p.out.channel_stride, m, &map, p.bias, true, T(0)};
    store_tile_scalar<T, kSmallRows, NR>(acc, d);
  }
}

// Sums per vector lane (kLanes positions at a time), lanes combined at the
// end in a fixed tree: the same order as the vector version.
constexpr int kLanes = 16;

template <typename T>
T combine_lanes(const T* lanes) {
  T l8[8], l4[4];
  for (int i = 0; i < 8; ++i) l8[i] = lanes[i] + lanes[i + 8];
  for (int i = 0; i < 4; ++i) l4[i] = l8[i] + l8[i + 4];
  return (l4[0] + l4[2]) + (l4[1] + l4[3]);
}

template <typename T>
void weight_grad_dot(const DotWeightGradProblem<T>& p, int part, int n_parts) {
  const std::int64_t outputs = std::int64_t(p.m_rows) * p.k;
  for (std::int64_t o = outputs * part / n_parts; o < outputs * (part + 1) / n_parts; ++o) {
    const int m = int(o / p.k), t = int(o % p.k);
    const T* g = p.g + m * p.g_plane_stride;
    const T* x = p.in.data + p.in.tap_offset(p.taps[t]);
    T lanes[kLanes] = {};
    for (std::int64_t q = 0; q < p.positions; ++q) lanes[q % kLanes] += g[q] * x[q];
    const T sum = combine_lanes(lanes);
    T& out = p.c[m * p.g_row_stride_c + t];
    out = p.accumulate ? out + sum : sum;
  }
}

const ConvDirectOps<float> kPortableFloat = {&forward_small_m<float>, &weight_grad_dot<float>};
const ConvDirectOps<double> kPortableDouble = {&forward_small_m<double>, &weight_grad_dot<double>};

}  // namespace

template <>
const ConvDirectOps<float>& conv_direct_ops_portable<float>() {
  return kPortableFloat;
}
template <>
const ConvDirectOps<double>& conv_direct_ops_portable<double>() {
  return kPortableDouble;
}

template <>
const ConvDirectOps<float>& conv_direct_ops<float>() {
  static const ConvDirectOps<float>* const ops = [] {
    if (cpu_features().avx512f && conv_direct_ops_avx512() != nullptr) return conv_direct_ops_avx512();
    if (cpu_features().avx2_fma && conv_direct_ops_avx2() != nullptr) return conv_direct_ops_avx2();
    return &kPortableFloat;
  }();
  return *ops;
}
template <>
const ConvDirectOps<double>& conv_direct_ops<double>() {
  return kPortableDouble;
}

}  // namespace dae::kernels::cpu::detail
