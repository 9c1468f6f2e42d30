// The AVX2+FMA GEMM path (float): a 6 x 16 register tile, 12 ymm
// accumulators, 2 loads of B and 6 broadcasts of A per depth step (12 FMAs for
// 8 loads: enough to keep both FMA ports busy). Packing uses the portable
// routines of gemm_driver.h. Only gemm.cpp's dispatch calls in here, after
// checking the CPU.
#include "kernels/cpu/gemm_driver.h"

#include <algorithm>
#include <cmath>

#include "kernels/common/macros.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

namespace dae::kernels::cpu::detail {
namespace {

// ---- the store of a tile held in memory --------------------------------------------
//
// Row r of the tile (16 floats at tile + 16 r) goes through the column map
// run by run: a run of stride 1 is stored 8 lanes at a time, then 4, then
// one by one (no masked stores: they are slow on some CPUs), a run of stride
// 2 lane by lane. Each element gets the arithmetic of the register path:
// C = acc + bias (+ beta C) on the first depth block, C += acc after it.

__attribute__((target("avx2,fma"), always_inline)) inline __m256 store_value8(__m256 v, const float* c,
                                                                             const TileDest<float, 16>& d,
                                                                             float bias) {
  if (d.first) {
    v = _mm256_add_ps(v, _mm256_set1_ps(bias));
    if (d.beta != 0.0f) v = _mm256_fmadd_ps(_mm256_set1_ps(d.beta), _mm256_loadu_ps(c), v);
    return v;
  }
  return _mm256_add_ps(_mm256_loadu_ps(c), v);
}
__attribute__((target("avx2,fma"), always_inline)) inline __m128 store_value4(__m128 v, const float* c,
                                                                             const TileDest<float, 16>& d,
                                                                             float bias) {
  if (d.first) {
    v = _mm_add_ps(v, _mm_set1_ps(bias));
    if (d.beta != 0.0f) v = _mm_fmadd_ps(_mm_set1_ps(d.beta), _mm_loadu_ps(c), v);
    return v;
  }
  return _mm_add_ps(_mm_loadu_ps(c), v);
}
__attribute__((target("avx2,fma"), always_inline)) inline float store_value1(float v, const float* c,
                                                                            const TileDest<float, 16>& d,
                                                                            float bias) {
  if (d.first) {
    v += bias;
    if (d.beta != 0.0f) v = std::fma(d.beta, *c, v);
    return v;
  }
  return *c + v;
}

template <int MR>
__attribute__((target("avx2,fma"))) void store_tile_avx2(const float* tile, const TileDest<float, 16>& d) {
  const ColumnMap<16>& map = *d.map;
  if (map.n_segments < 0) {
    store_tile_scalar<float, MR, 16>(tile, d);
    return;
  }
  for (int r = 0; r < d.rows; ++r) {
    float* row = d.data + r * d.row_stride;
    const float* t = tile + r * 16;
    const float bias = d.first && d.bias != nullptr ? d.bias[r] : 0.0f;
    for (int s = 0; s < map.n_segments; ++s) {
      const Segment& seg = map.segment[s];
      int l = __builtin_ctzll(seg.lanes);
      const int end = l + __builtin_popcountll(seg.lanes);
      float* base = row + seg.base;
      if (seg.stride == 1) {
        for (; l + 8 <= end; l += 8) _mm256_storeu_ps(base + l, store_value8(_mm256_loadu_ps(t + l), base + l, d, bias));
        if (l + 4 <= end) {
          _mm_storeu_ps(base + l, store_value4(_mm_loadu_ps(t + l), base + l, d, bias));
          l += 4;
        }
        for (; l < end; ++l) base[l] = store_value1(t[l], base + l, d, bias);
      } else {
        for (; l < end; ++l) base[2 * l] = store_value1(t[l], base + 2 * l, d, bias);
      }
    }
  }
}

struct Avx2Policy {
  using T = float;
  static constexpr int kMR = 6, kNR = 16;
  static constexpr int kKC = 256, kMC = 96, kNC = 1024;
  static constexpr int kDirectRows = 0;  // B is always packed

  // The tile store shared by both kernels: straight from registers onto
  // contiguous full rows, otherwise through memory and the scalar store.
  __attribute__((target("avx2,fma"))) static void store(__m256 (&c)[kMR][2], const TileDest<float, kNR>& d) {
    const ColumnMap<kNR>& map = *d.map;
    const bool contiguous = map.n_segments == 1 && map.segment[0].stride == 1 && map.segment[0].lanes == 0xFFFFu;
    if (contiguous) {
      for (int r = 0; r < d.rows; ++r) {
        float* row = d.data + r * d.row_stride + map.segment[0].base;
        __m256 v0 = c[r][0], v1 = c[r][1];
        if (d.first) {
          if (d.bias != nullptr) {
            const __m256 b = _mm256_set1_ps(d.bias[r]);
            v0 = _mm256_add_ps(v0, b);
            v1 = _mm256_add_ps(v1, b);
          }
          if (d.beta != 0.0f) {
            const __m256 beta = _mm256_set1_ps(d.beta);
            v0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(row), v0);
            v1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(row + 8), v1);
          }
        } else {
          v0 = _mm256_add_ps(_mm256_loadu_ps(row), v0);
          v1 = _mm256_add_ps(_mm256_loadu_ps(row + 8), v1);
        }
        _mm256_storeu_ps(row, v0);
        _mm256_storeu_ps(row + 8, v1);
      }
      return;
    }
    alignas(32) float acc[kMR * kNR];
    for (int r = 0; r < kMR; ++r) {
      _mm256_store_ps(acc + r * kNR, c[r][0]);
      _mm256_store_ps(acc + r * kNR + 8, c[r][1]);
    }
    store_tile_avx2<kMR>(acc, d);
  }

  // 12 accumulators; depth step p reads B row `row(p)` (16 floats). The
  // sums live in a local array that nothing else sees until the loop ends:
  // summing into the caller's array (whose address the store takes) made
  // GCC 12 write all 12 accumulators to the stack on every depth step, which
  // held the kernel to the store port (30% of the FMA peak on Zen 3).
  template <typename Row>
  __attribute__((target("avx2,fma"), always_inline)) static inline void accumulate(int kc, const float* DAE_RESTRICT ap,
                                                                                  Row row, __m256 (&c)[kMR][2]) {
    __m256 acc[kMR][2];
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int p = 0; p < kc; ++p) {
      const float* bp = row(p);
      const __m256 b0 = _mm256_loadu_ps(bp);
      const __m256 b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
      for (int r = 0; r < kMR; ++r) {
        const __m256 a = _mm256_broadcast_ss(ap + r);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
      ap += kMR;
    }
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r) {
      c[r][0] = acc[r][0];
      c[r][1] = acc[r][1];
    }
  }

  __attribute__((target("avx2,fma"))) static void kernel(int kc, const float* DAE_RESTRICT ap,
                                                         const float* DAE_RESTRICT bp, const TileDest<float, kNR>& d) {
    __m256 c[kMR][2];
    accumulate(kc, ap, [bp](int p) { return bp + p * kNR; }, c);
    store(c, d);
  }
  static void store_staged(const float* src, std::int64_t src_stride, const TileDest<float, kNR>& d) {
    alignas(32) float tile[kMR * kNR];
    for (int r = 0; r < kMR; ++r) std::copy(src + r * src_stride, src + r * src_stride + kNR, tile + r * kNR);
    store_tile_avx2<kMR>(tile, d);
  }
  static void pack_forward_b(const float* b, const std::int64_t* tap_off, int kc, int slivers, float* dst) {
    pack_forward_b_portable<Avx2Policy>(b, tap_off, kc, slivers, dst);
  }
  static void pack_wgrad_b(const ConvWeightGradProblem<float>& p, const std::int64_t* tap_off, int j0, int nr,
                           std::int64_t p0, int kc, float* dst) {
    pack_wgrad_b_portable<Avx2Policy>(p, tap_off, j0, nr, p0, kc, dst);
  }
  static void pack_wgrad_a(const ConvWeightGradProblem<float>& p, int i0, int mr, std::int64_t p0, int kc,
                           float* dst) {
    pack_wgrad_a_portable<Avx2Policy>(p, i0, mr, p0, kc, dst);
  }
};

const GemmIsaOps<float> kAvx2Ops = {
    "avx2-fma 6x16",
    &run_matrix<Avx2Policy>,
    &run_conv_forward<Avx2Policy>,
    &run_conv_weight_grad<Avx2Policy>,
    &pad_channel_portable<float>,
    &policy_part_range<Avx2Policy>,
};

}  // namespace

const GemmIsaOps<float>* gemm_ops_avx2() { return &kAvx2Ops; }

}  // namespace dae::kernels::cpu::detail

#else
namespace dae::kernels::cpu::detail {
const GemmIsaOps<float>* gemm_ops_avx2() { return nullptr; }
}  // namespace dae::kernels::cpu::detail
#endif
