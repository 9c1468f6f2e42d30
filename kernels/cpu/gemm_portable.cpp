// The portable GEMM path: plain loops the compiler vectorises for the
// baseline instruction set, for float and double (the gradient checks run
// this path in double). Same driver, blocking and summation order as the
// vector paths, with a 6 x 16 register tile.
#include "kernels/cpu/gemm_driver.h"

#include <algorithm>

#include "kernels/common/macros.h"

namespace dae::kernels::cpu::detail {
namespace {

template <typename Scalar>
struct PortablePolicy {
  using T = Scalar;
  static constexpr int kMR = 6, kNR = 16;
  static constexpr int kKC = 256, kMC = 96, kNC = 1024;
  static constexpr int kDirectRows = 0;  // B is always packed

  static void kernel(int kc, const T* DAE_RESTRICT ap, const T* DAE_RESTRICT bp, const TileDest<T, kNR>& d) {
    T acc[kMR * kNR] = {};
    for (int p = 0; p < kc; ++p) {
      for (int r = 0; r < kMR; ++r) {
        const T a = ap[r];
        for (int l = 0; l < kNR; ++l) acc[r * kNR + l] += a * bp[l];
      }
      ap += kMR;
      bp += kNR;
    }
    store_tile_scalar<T, kMR, kNR>(acc, d);
  }
  static void store_staged(const T* src, std::int64_t src_stride, const TileDest<T, kNR>& d) {
    T tile[kMR * kNR];
    for (int r = 0; r < kMR; ++r) std::copy(src + r * src_stride, src + r * src_stride + kNR, tile + r * kNR);
    store_tile_scalar<T, kMR, kNR>(tile, d);
  }
  static void pack_forward_b(const T* b, const std::int64_t* tap_off, int kc, int slivers, T* dst) {
    pack_forward_b_portable<PortablePolicy>(b, tap_off, kc, slivers, dst);
  }
  static void pack_wgrad_b(const ConvWeightGradProblem<T>& p, const std::int64_t* tap_off, int j0, int nr,
                           std::int64_t p0, int kc, T* dst) {
    pack_wgrad_b_portable<PortablePolicy>(p, tap_off, j0, nr, p0, kc, dst);
  }
  static void pack_wgrad_a(const ConvWeightGradProblem<T>& p, int i0, int mr, std::int64_t p0, int kc, T* dst) {
    pack_wgrad_a_portable<PortablePolicy>(p, i0, mr, p0, kc, dst);
  }
};

template <typename T>
const GemmIsaOps<T> kPortableOps = {
    "generic 6x16",
    &run_matrix<PortablePolicy<T>>,
    &run_conv_forward<PortablePolicy<T>>,
    &run_conv_weight_grad<PortablePolicy<T>>,
    &pad_channel_portable<T>,
    &policy_part_range<PortablePolicy<T>>,
};

}  // namespace

template <typename T>
void pad_channel_portable(const PadCopy<T>& c) {
  const int n_sub = c.stride * c.stride;
  const std::int64_t block = std::int64_t(c.rows) * c.pitch;
  for (int sub = 0; sub < n_sub; ++sub) std::fill(c.block[sub], c.block[sub] + block, T(0));
  for (int iy = 0; iy < c.height; ++iy) {
    const int r = iy / c.stride, ry = iy % c.stride;
    const T* in = c.src + std::int64_t(iy) * c.width;
    for (int rx = 0; rx < c.stride; ++rx) {
      T* out = c.block[ry * c.stride + rx] + std::int64_t(c.top + r) * c.pitch + c.left;
      // Columns of this plane inside the image: stride*q + rx < width.
      const int count = std::max(0, std::min(c.plane_w, (c.width - rx + c.stride - 1) / c.stride));
      for (int q = 0; q < count; ++q) out[q] = in[q * c.stride + rx];
    }
  }
}

template void pad_channel_portable<float>(const PadCopy<float>&);
template void pad_channel_portable<double>(const PadCopy<double>&);

template <typename T>
const GemmIsaOps<T>& gemm_ops_portable() {
  return kPortableOps<T>;
}
template const GemmIsaOps<float>& gemm_ops_portable<float>();
template const GemmIsaOps<double>& gemm_ops_portable<double>();

}  // namespace dae::kernels::cpu::detail
