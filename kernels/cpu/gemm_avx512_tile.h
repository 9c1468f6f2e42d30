// AVX-512 pieces shared by the AVX-512 files (gemm_avx512.cpp,
// conv_direct_avx512.cpp): lane masks and the store of a finished tile
// through a ColumnMap (gemm_driver.h). Include after gemm_driver.h, inside
// the file's `#pragma GCC target("avx512f")` region; like gemm_driver.h
// everything here is in an anonymous namespace, one copy per file.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/gemm_driver.h"

namespace dae::kernels::cpu::detail {
namespace {

// Lanes [lo, hi) of a 16-lane mask (empty when hi <= lo), for any ints.
inline __mmask16 lane_range(int lo, int hi) {
  lo = std::max(lo, 0);
  hi = std::min(hi, 16);
  if (hi <= lo) return 0;
  return __mmask16((0xFFFFu >> (16 - hi)) & (0xFFFFu << lo));
}

// ---- the tile store ------------------------------------------------------------

// Lanes 8h..8h+7 of a vector spread to the even lanes (for stride-2 runs).
inline __m512 spread_half(__m512 v, int h) {
  const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  return _mm512_permutexvar_ps(h == 0 ? lo : hi, v);
}
// Bits b of an 8-bit mask moved to bit 2b, by table.
struct SpreadTable {
  std::uint16_t bits[256];
  constexpr SpreadTable() : bits() {
    for (unsigned m = 0; m < 256; ++m) {
      unsigned out = 0;
      for (int b = 0; b < 8; ++b) out |= ((m >> b) & 1u) << (2 * b);
      bits[m] = std::uint16_t(out);
    }
  }
};
constexpr SpreadTable kSpread;
inline __mmask16 spread_bits(unsigned m8) { return __mmask16(kSpread.bits[m8 & 0xFFu]); }

// One masked vector of a row: C = val (+ bias) (+ beta C) on the first depth
// block, C += val afterwards; lanes outside m are not touched.
template <int NR>
inline void store_lanes(float* addr, __mmask16 m, __m512 val, const TileDest<float, NR>& d, __m512 bias) {
  if (d.first) {
    val = _mm512_add_ps(val, bias);
    if (d.beta != 0.0f) val = _mm512_fmadd_ps(_mm512_set1_ps(d.beta), _mm512_maskz_loadu_ps(m, addr), val);
  } else {
    val = _mm512_add_ps(_mm512_maskz_loadu_ps(m, addr), val);
  }
  _mm512_mask_storeu_ps(addr, m, val);
}

// The store of a tile of up to MR rows of NV vectors held in memory
// (tile[r * 16 NV + l]), for any column map.
template <int MR, int NV>
void store_tile_avx512(const float* tile, const TileDest<float, 16 * NV>& d) {
  constexpr int kNR = 16 * NV;
  const ColumnMap<kNR>& map = *d.map;
  if (map.n_segments < 0) {
    store_tile_scalar<float, MR, kNR>(tile, d);
    return;
  }
  for (int r = 0; r < d.rows; ++r) {
    float* row = d.data + r * d.row_stride;
    const __m512 bias = _mm512_set1_ps(d.first && d.bias != nullptr ? d.bias[r] : 0.0f);
    __m512 val[NV];
    for (int v = 0; v < NV; ++v) val[v] = _mm512_load_ps(tile + r * kNR + 16 * v);
    for (int s = 0; s < map.n_segments; ++s) {
      const Segment& seg = map.segment[s];
      float* base = row + seg.base;
      if (seg.stride == 1) {
        for (int v = 0; v < NV; ++v) {
          const __mmask16 m = __mmask16(seg.lanes >> (16 * v));
          if (m != 0) store_lanes(base + 16 * v, m, val[v], d, bias);
        }
      } else {
        for (int v = 0; v < NV; ++v) {
          for (int h = 0; h < 2; ++h) {
            const unsigned m8 = unsigned(seg.lanes >> (16 * v + 8 * h)) & 0xFFu;
            if (m8 != 0) store_lanes(base + 2 * (16 * v + 8 * h), spread_bits(m8), spread_half(val[v], h), d, bias);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace dae::kernels::cpu::detail
