// The AVX-512 GEMM path (float): the micro-kernel and its tile store, and
// the routines that pack convolution operands from the padded input copy
// (gemm_problems.h) and make that copy. Only AVX512F instructions are used;
// gemm.cpp's dispatch calls in here only after checking the CPU.
//
// Register tile: kMR x kNR = 8 x 48, i.e. 8 rows of 3 zmm = 24 accumulators,
// plus 3 zmm of B and 1 broadcast of A per depth step (28 of 32 registers).
// Each step issues 24 FMAs against 3 vector loads and 8 broadcasts, so the
// two FMA ports, not the load ports, set the pace; 24 independent sums hide
// the 4-cycle FMA latency three times over. 8 rows divide every channel
// count of the reference models (32, 64, 128, 256), and 48 columns are pixels
// of a whole chunk of images, so edge waste is small. (6 x 64, 12 x 32 and
// 4 x 64 tiles measured the same within noise on the model's shapes; 8 x 48
// wastes least on 32-channel layers.)
//
// Cache blocks (48 KiB L1d, 2 MiB L2 per core): the A sliver (8 x KC floats,
// 8 KiB at KC = 256) stays in L1 while it sweeps a B panel (KC x NC = 256 x
// 576 floats, 576 KiB) that stays in L2 next to the padded input chunk
// (about 1 MiB). Depth blocks are K cut evenly (depth_block), so that no
// block is a short remainder: the model's depths 288 (32 channels x 9 taps)
// and 576 become 2 x 144 and 3 x 192. (KC = 320 measured the same within the
// noise but changes the summation order, and the gray case of
// tests/parity/vgg_parity.py, which compares with double precision through
// the ReLUs, is sensitive to that order: one pre-activation near zero.)
#include "kernels/cpu/gemm_driver.h"

#include "kernels/common/macros.h"

#if defined(__x86_64__) && defined(__GNUC__)

// GCC 12 reports its own AVX-512 intrinsics (which start from
// _mm512_undefined_*) as "used uninitialized" once inlined; the warning is
// spurious and is silenced for this file's AVX-512 code only.
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

#include "kernels/cpu/gemm_avx512_tile.h"

namespace dae::kernels::cpu::detail {
namespace {

constexpr int kMR = 8, kNV = 3, kNR = 16 * kNV;

// The tile store for this tile width (gemm_avx512_tile.h).
inline void store_tile(const float* tile, const TileDest<float, kNR>& d) { store_tile_avx512<kMR, kNV>(tile, d); }

// ---- the micro-kernel -----------------------------------------------------------

// The 24 accumulators over kc depth steps; step p reads B row `row(p)` (48
// floats) and 8 values of the packed A sliver.
template <typename Row>
DAE_ALWAYS_INLINE void accumulate(int kc, const float* DAE_RESTRICT ap, Row row, __m512 (&acc)[kMR][kNV]) {
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  for (int p = 0; p < kc; ++p) {
    const float* bp = row(p);
    __m512 b[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) b[v] = _mm512_loadu_ps(bp + 16 * v);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      const __m512 a = _mm512_set1_ps(ap[r]);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
    ap += kMR;
  }
}

// The tile's rows of C are read (or written) after the depth loop; fetch
// them first so that the loop hides the latency (C is often out of cache).
DAE_ALWAYS_INLINE void prefetch_tile(const TileDest<float, kNR>& d) {
  const ColumnMap<kNR>& map = *d.map;
  if (map.n_segments <= 0) return;
  const float* c0 = d.data + map.segment[0].base;
  for (int r = 0; r < d.rows; ++r) {
    const float* row = c0 + r * d.row_stride;
    _mm_prefetch(reinterpret_cast<const char*>(row), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(row + 16), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(row + 32), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(row + 47), _MM_HINT_T0);
  }
}

// Stores the accumulators: a full tile onto contiguous rows straight from
// registers (the common case), anything else through memory and store_tile.
DAE_ALWAYS_INLINE void store_acc(__m512 (&acc)[kMR][kNV], const TileDest<float, kNR>& d) {
  const ColumnMap<kNR>& map = *d.map;
  if (d.rows == kMR && map.n_segments == 1 && map.segment[0].stride == 1 && map.segment[0].lanes == (kNR >= 64 ? ~0ull : (1ull << (kNR & 63)) - 1)) {
    float* base = d.data + map.segment[0].base;
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      float* row = base + r * d.row_stride;
      if (d.first) {
        const __m512 bias = _mm512_set1_ps(d.bias != nullptr ? d.bias[r] : 0.0f);
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) {
          __m512 val = _mm512_add_ps(acc[r][v], bias);
          if (d.beta != 0.0f) val = _mm512_fmadd_ps(_mm512_set1_ps(d.beta), _mm512_loadu_ps(row + 16 * v), val);
          _mm512_storeu_ps(row + 16 * v, val);
        }
      } else {
#pragma GCC unroll 4
        for (int v = 0; v < kNV; ++v) {
          _mm512_storeu_ps(row + 16 * v, _mm512_add_ps(_mm512_loadu_ps(row + 16 * v), acc[r][v]));
        }
      }
    }
    return;
  }
  alignas(64) float tile[kMR * kNR];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) _mm512_store_ps(tile + r * kNR + 16 * v, acc[r][v]);
  }
  store_tile(tile, d);
}

// The tile store of a staged block (row r at src + r * src_stride).
void store_staged(const float* src, std::int64_t src_stride, const TileDest<float, kNR>& d) {
  alignas(64) float tile[kMR * kNR];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) _mm512_store_ps(tile + r * kNR + 16 * v, _mm512_loadu_ps(src + r * src_stride + 16 * v));
  }
  store_tile(tile, d);
}

// Packed B: sliver row p at bp + p * kNR.
void micro_kernel(int kc, const float* DAE_RESTRICT ap, const float* DAE_RESTRICT bp, const TileDest<float, kNR>& d) {
  prefetch_tile(d);
  __m512 acc[kMR][kNV];
  accumulate(kc, ap, [bp](int p) { return bp + p * kNR; }, acc);
  store_acc(acc, d);
}

// B read in place: depth row p at b + tap_off[p] (the padded input).
void micro_kernel_direct(int kc, const float* DAE_RESTRICT ap, const float* b, const std::int64_t* tap_off,
                         const TileDest<float, kNR>& d) {
  prefetch_tile(d);
  __m512 acc[kMR][kNV];
  accumulate(kc, ap, [b, tap_off](int p) { return b + tap_off[p]; }, acc);
  store_acc(acc, d);
}

// A forward B panel from the padded input, one depth row at a time (each a
// contiguous stretch): sliver s gets dst[s * kc * kNR + q * kNR + l] =
// b[tap_off[q] + s * kNR + l].
void pack_forward_b(const float* b, const std::int64_t* tap_off, int kc, int slivers, float* dst) {
  for (int q = 0; q < kc; ++q) {
    const float* row = b + tap_off[q];
    float* out = dst + q * kNR;
    for (int s = 0; s < slivers; ++s) {
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) {
        _mm512_store_ps(out + std::size_t(s) * kc * kNR + 16 * v, _mm512_loadu_ps(row + s * kNR + 16 * v));
      }
    }
  }
}

// ---- reading the weight-gradient operand from the images -------------------------
//
// The weight gradient's depth runs over the pixels (n, y, x) of the grid in
// order. 16 consecutive pixels cross output rows (and images) where a row
// ends, so they are cut into sub-runs, each within one row: lane l of a
// sub-run is pixel x0 + l of its row, at position base + l of the padded
// layout, for the lanes in `lanes`. A tap then reads each sub-run as one
// masked load at base + tap offset: the padding makes every lane's address
// valid, so the mask depends only on the pixels, not on the tap.

struct SubRun {
  std::int64_t base;  // padded position of the run's lane 0
  __mmask16 lanes;
};

// Sub-runs of pixels j .. j + valid - 1 (valid <= 16); returns their count.
int make_subruns(const PixelGrid& g, const PaddedPlanes<float>& in, std::int64_t j, int valid, SubRun* out) {
  if (valid <= 0) return 0;
  const std::int64_t plane = g.plane();
  int n = int(j / plane);
  const std::int64_t rest = j % plane;
  int y = int(rest / g.width), x = int(rest % g.width);
  int count = 0;
  for (int l = 0; l < valid;) {
    const int len = std::min(valid - l, g.width - x);
    out[count++] = SubRun{in.position(n, y, x) - l, lane_range(l, l + len)};
    l += len;
    x += len;
    if (x == g.width) {
      x = 0;
      if (++y == g.height) {
        y = 0;
        ++n;
      }
    }
  }
  return count;
}

// The 16 pixels of tap offset `off` over the sub-runs.
inline __m512 load_tap(const float* data, const SubRun* runs, int n_runs, std::int64_t off) {
  __m512 v = _mm512_maskz_loadu_ps(runs[0].lanes, data + runs[0].base + off);
  for (int s = 1; s < n_runs; ++s) v = _mm512_mask_loadu_ps(v, runs[s].lanes, data + runs[s].base + off);
  return v;
}

// In-register transpose of a 16 x 16 block: r[i] lane j becomes r[j] lane i.
inline void transpose16(__m512 (&r)[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4i + c], 128-bit lane L: rows 4i..4i+3 of column 4L + c.
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // Column 4L + c gathers lane L of r[c], r[4 + c], r[8 + c], r[12 + c].
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512 x0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44);
    const __m512 x1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xEE);
    const __m512 y0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
    const __m512 y1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xEE);
    t[c + 0] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    t[c + 4] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    t[c + 8] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    t[c + 12] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// dst[q * kNR + l] = B_{tap j0+l}(pixel p0 + q): 16 taps x 16 pixels are
// loaded as 16 tap vectors and transposed into 16 pixel rows.
void pack_wgrad_b(const ConvWeightGradProblem<float>& p, const std::int64_t* tap_off, int j0, int nr, std::int64_t p0,
                  int kc, float* dst) {
  SubRun runs[16];
  for (int q16 = 0; q16 < kc; q16 += 16) {
    const int rows = std::min(16, kc - q16);
    const int n_runs = make_subruns(p.grid, p.in, p0 + q16, rows, runs);
    for (int v = 0; v < kNV; ++v) {
      __m512 block[16];
#pragma GCC unroll 16
      for (int t = 0; t < 16; ++t) {
        const int lane = 16 * v + t;
        block[t] = lane < nr ? load_tap(p.in.data, runs, n_runs, tap_off[j0 + lane]) : _mm512_setzero_ps();
      }
      transpose16(block);
      float* out = dst + std::size_t(q16) * kNR + 16 * v;
      for (int r = 0; r < rows; ++r) _mm512_store_ps(out + r * kNR, block[r]);
    }
  }
}

// ---- the padded copy of the input ------------------------------------------------

// Zeroes count floats.
inline void zero_floats(float* dst, std::int64_t count) {
  const __m512 z = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= count; i += 16) _mm512_storeu_ps(dst + i, z);
  if (i < count) _mm512_mask_storeu_ps(dst + i, lane_range(0, int(count - i)), z);
}

// GemmIsaOps::pad_channel for strides 1 and 2: the sub-plane blocks are
// zeroed whole with vector stores, then each input row is copied in: 16
// columns at a time for stride 1; for stride 2, 32 input columns are split
// into their even and odd columns (one permute each) for the two planes rx
// = 0, 1. Loads and stores past the row's end are masked off.
void pad_channel(const PadCopy<float>& c) {
  if (c.stride > 2) {
    pad_channel_portable<float>(c);
    return;
  }
  const int st = c.stride;
  const std::int64_t block = std::int64_t(c.rows) * c.pitch;
  for (int sub = 0; sub < st * st; ++sub) zero_floats(c.block[sub], block);
  if (st == 1) {
    for (int r = 0; r < c.plane_h; ++r) {
      const float* in = c.src + std::int64_t(r) * c.width;
      float* out = c.block[0] + std::int64_t(c.top + r) * c.pitch + c.left;
      for (int i = 0; i < c.width; i += 16) {
        const __mmask16 m = lane_range(0, c.width - i);
        _mm512_mask_storeu_ps(out + i, m, _mm512_maskz_loadu_ps(m, in + i));
      }
    }
    return;
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const int even_w = (c.width + 1) / 2, odd_w = c.width / 2;  // columns of planes rx = 0 and rx = 1
  for (int iy = 0; iy < c.height; ++iy) {
    const int r = iy / 2, ry = iy % 2;
    const float* in = c.src + std::int64_t(iy) * c.width;
    float* out0 = c.block[ry * 2] + std::int64_t(c.top + r) * c.pitch + c.left;
    float* out1 = c.block[ry * 2 + 1] + std::int64_t(c.top + r) * c.pitch + c.left;
    for (int i = 0; i < c.width; i += 32) {
      const __m512 lo = _mm512_maskz_loadu_ps(lane_range(0, c.width - i), in + i);
      const __m512 hi = _mm512_maskz_loadu_ps(lane_range(0, c.width - i - 16), in + i + 16);
      const int q = i / 2;  // output column of this chunk's first lane
      _mm512_mask_storeu_ps(out0 + q, lane_range(0, even_w - q), _mm512_permutex2var_ps(lo, even, hi));
      _mm512_mask_storeu_ps(out1 + q, lane_range(0, odd_w - q), _mm512_permutex2var_ps(lo, odd, hi));
    }
  }
}

// The tile shape, for the portable packing routines.
struct Tile {
  using T = float;
  static constexpr int kMR = detail::kMR, kNR = detail::kNR;
};

// dst[q * kMR + r] = g(i0 + r, pixel p0 + q): 16 pixels of 8 rows of g at a
// time (when they lie in one image) are loaded as 8 vectors and transposed
// with 8 zero rows; each of the 16 result rows stores its first 8 lanes.
void pack_wgrad_a(const ConvWeightGradProblem<float>& p, int i0, int mr, std::int64_t p0, int kc, float* dst) {
  static_assert(kMR <= 16, "one transposed block holds a sliver's rows");
  const std::int64_t plane = p.grid.plane();
  int q = 0;
  for (; q + 16 <= kc; q += 16) {
    const std::int64_t j = p0 + q, n = j / plane, f = j % plane;
    if (f + 16 > plane) {  // the pixels cross into the next image
      pack_wgrad_a_portable<Tile>(p, i0, mr, j, 16, dst + q * kMR);
      continue;
    }
    const float* col = p.g + n * p.g_image_stride + std::int64_t(i0) * p.g_channel_stride + f;
    __m512 block[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) {
      block[r] = r < mr && r < kMR ? _mm512_loadu_ps(col + r * p.g_channel_stride) : _mm512_setzero_ps();
    }
    transpose16(block);
    constexpr __mmask16 kRowLanes = __mmask16((1u << kMR) - 1);
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) _mm512_mask_storeu_ps(dst + (q + i) * kMR, kRowLanes, block[i]);
  }
  if (q < kc) pack_wgrad_a_portable<Tile>(p, i0, mr, p0 + q, kc - q, dst + q * kMR);
}

struct Avx512Policy {
  using T = float;
  static constexpr int kMR = detail::kMR, kNR = detail::kNR;
  // Cache blocks KC (depth), MC (rows of A) and NC (columns of B), see
  // gemm_driver.h; -DDAE_BLOCKS=KC,MC,NC (and -DDAE_DIRECT_ROWS=R below)
  // override them when tuning for another CPU.
#ifndef DAE_BLOCKS
#define DAE_BLOCKS 256, 128, 576
#endif
  static constexpr int kBlocks[3] = {DAE_BLOCKS};
  static constexpr int kKC = kBlocks[0], kMC = kBlocks[1], kNC = kBlocks[2];
#ifndef DAE_DIRECT_ROWS
#define DAE_DIRECT_ROWS 64
#endif
  // Forward products with at most this many rows read B in place.
  static constexpr int kDirectRows = DAE_DIRECT_ROWS;


  static void kernel(int kc, const float* ap, const float* bp, const TileDest<float, kNR>& d) {
    micro_kernel(kc, ap, bp, d);
  }
  static void kernel_direct(int kc, const float* ap, const float* b, const std::int64_t* tap_off,
                            const TileDest<float, kNR>& d) {
    micro_kernel_direct(kc, ap, b, tap_off, d);
  }
  static void pack_forward_b(const float* b, const std::int64_t* tap_off, int kc, int slivers, float* dst) {
    detail::pack_forward_b(b, tap_off, kc, slivers, dst);
  }
  static void store_staged(const float* src, std::int64_t src_stride, const TileDest<float, kNR>& d) {
    detail::store_staged(src, src_stride, d);
  }
  static void pack_wgrad_b(const ConvWeightGradProblem<float>& p, const std::int64_t* tap_off, int j0, int nr,
                           std::int64_t p0, int kc, float* dst) {
    detail::pack_wgrad_b(p, tap_off, j0, nr, p0, kc, dst);
  }
  static void pack_wgrad_a(const ConvWeightGradProblem<float>& p, int i0, int mr, std::int64_t p0, int kc,
                           float* dst) {
    detail::pack_wgrad_a(p, i0, mr, p0, kc, dst);
  }
};

const GemmIsaOps<float> kAvx512Ops = {
    "avx512 8x48",
    &run_matrix<Avx512Policy>,
    &run_conv_forward<Avx512Policy>,
    &run_conv_weight_grad<Avx512Policy>,
    &pad_channel,
    &policy_part_range<Avx512Policy>,
};

}  // namespace

const GemmIsaOps<float>* gemm_ops_avx512() { return &kAvx512Ops; }

}  // namespace dae::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#pragma GCC diagnostic pop

#else
namespace dae::kernels::cpu::detail {
const GemmIsaOps<float>* gemm_ops_avx512() { return nullptr; }
}  // namespace dae::kernels::cpu::detail
#endif
