// The blocked GEMM driver shared by every instruction-set path, and the
// portable packing routines. Included by gemm_portable.cpp, gemm_avx2.cpp and
// gemm_avx512.cpp only; everything here sits in an anonymous namespace and is
// templated on the path's policy P, so each file gets its own copy, compiled
// for its own instruction set (no inline function is shared between files
// built for different CPUs).
//
// The scheme is Goto's (the BLIS papers): C = A B is cut into
//
//   NC columns  a panel of B (KC x NC, packed) stays in L2
//   KC depth    one pass of the micro-kernel over a KC-long slice of the depth
//   MC rows     a block of A (MC x KC, packed)
//   MR x NR     the register tile: the micro-kernel keeps MR x NR sums in
//               registers and reads an MR-row sliver of packed A (which stays
//               in L1 while it sweeps the panel) and an NR-column sliver of
//               packed B per depth step.
//
// Packed layouts: an A sliver holds ap[p * MR + r] = A(i0 + r, p0 + p), a B
// sliver bp[p * NR + l] = B(p0 + p, j0 + l); rows and columns past the edge
// are zero, so the micro-kernel always computes a full tile and only the
// store looks at the edge.
//
// For the forward convolution product B comes from the padded input copy
// (gemm_problems.h): depth row t over NR consecutive columns is the
// contiguous run in[j0 + tap_offset[t] ...], so packing it is a plain copy
// with no bounds checks (pack_forward_b).
//
// The depth is always cut at multiples of KC from 0: every C element is the
// same sum, in the same order, whatever part of the output a thread computes.
//
// A policy P provides:
//   using T; kMR, kNR, kKC, kMC, kNC
//   kernel(kc, ap, bp, dest)                      the micro-kernel + tile store
//   store_staged(src, src_stride, dest)           the tile store of an MR x NR block in memory
//   pack_forward_b / pack_wgrad_b / pack_wgrad_a  (may forward to the portable ones below)
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/cpu/gemm_problems.h"

namespace dae::kernels::cpu::detail {
namespace {

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The depth block for depth k and the policy's largest block kc_max: k cut
// into equal blocks (a multiple of 8, the last one shorter), so that no block
// is a short remainder with little work per tile store.
inline int depth_block(std::int64_t k, int kc_max) {
  if (k <= kc_max) return int(std::max<std::int64_t>(k, 1));
  const std::int64_t blocks = ceil_div(k, kc_max);
  return int(std::min<std::int64_t>(kc_max, (ceil_div(k, blocks) + 7) / 8 * 8));
}

template <typename T>
struct Buffer {
  T* ptr = nullptr;
  explicit Buffer(std::size_t count) {
    const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    ptr = static_cast<T*>(std::aligned_alloc(64, bytes > 0 ? bytes : 64));
    if (ptr == nullptr) throw std::bad_alloc();
  }
  ~Buffer() { std::free(ptr); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
};

// ---- where a tile goes ----------------------------------------------------------

// The destinations of the NR columns of one B sliver, relative to the output
// element of row 0: lane l goes to offset[l] (-1: the lane is past the edge).
// The lanes are also described as at most kMaxSegments runs, each with a base
// and a lane stride of 1 or 2 (lane l of a run goes to base + l * stride), for
// vector stores; n_segments = -1 when they do not fit (scalar stores then).
constexpr int kMaxSegments = 16;
struct Segment {
  std::int64_t base;
  std::uint64_t lanes;  // bit l: lane l belongs to this run
  int stride;
};
template <int NR>
struct ColumnMap {
  std::int64_t offset[NR];
  int n_segments;
  Segment segment[kMaxSegments];

  // Builds the runs from offset[]. A run grows while consecutive lanes step
  // by its stride (set by its first two lanes; 1 or 2).
  void build_segments() {
    n_segments = 0;
    for (int l = 0; l < NR;) {
      if (offset[l] < 0) {
        ++l;
        continue;
      }
      int stride = 1;
      if (l + 1 < NR && offset[l + 1] >= 0 && offset[l + 1] - offset[l] == 2) stride = 2;
      int end = l + 1;
      while (end < NR && offset[end] >= 0 && offset[end] - offset[end - 1] == stride) ++end;
      if (n_segments == kMaxSegments) {
        n_segments = -1;
        return;
      }
      Segment& s = segment[n_segments++];
      s.base = offset[l] - std::int64_t(l) * stride;
      s.lanes = (end - l >= 64 ? ~0ull : ((1ull << (end - l)) - 1)) << l;
      s.stride = stride;
      l = end;
    }
  }
};

// One tile's store: rows r < rows go to data + r * row_stride + map->offset[l].
// First depth block: C = acc (+ bias[r]) (+ beta * C); later blocks: C += acc.
template <typename T, int NR>
struct TileDest {
  T* data;
  std::int64_t row_stride;
  int rows;
  const ColumnMap<NR>* map;
  const T* bias;  // indexed by tile row, or null
  bool first;
  T beta;
};

// Scalar store of a finished MR x NR tile, for any column map.
template <typename T, int MR, int NR>
inline void store_tile_scalar(const T* acc /* [MR][NR] */, const TileDest<T, NR>& d) {
  for (int r = 0; r < d.rows; ++r) {
    T* row = d.data + r * d.row_stride;
    const T* a = acc + r * NR;
    for (int l = 0; l < NR; ++l) {
      const std::int64_t off = d.map->offset[l];
      if (off < 0) continue;
      T v = a[l];
      if (d.first) {
        if (d.bias != nullptr) v += d.bias[r];
        if (d.beta != T(0)) v += d.beta * row[off];
      } else {
        v += row[off];
      }
      row[off] = v;
    }
  }
}

// ---- problems as the driver sees them -----------------------------------------
//
// An adapter gives a problem's sizes (m rows, n columns, k depth), packs its
// operands, and maps columns to output addresses.

// The offset of each tap in the padded layout.
template <typename T>
std::vector<std::int64_t> tap_offsets(const ConvTap* taps, int k, const PaddedPlanes<T>& in) {
  std::vector<std::int64_t> off(static_cast<std::size_t>(k));
  for (int t = 0; t < k; ++t) off[std::size_t(t)] = in.tap_offset(taps[t]);
  return off;
}

// Portable packing of a forward B panel of `slivers` slivers:
// sliver s holds dst[s * kc * NR + q * NR + l] = b[tap_off[q] + s * NR + l].
template <class P>
void pack_forward_b_portable(const typename P::T* b, const std::int64_t* tap_off, int kc, int slivers,
                             typename P::T* dst) {
  constexpr int NR = P::kNR;
  for (int q = 0; q < kc; ++q) {
    const typename P::T* row = b + tap_off[q];
    for (int s = 0; s < slivers; ++s) {
      std::memcpy(dst + (std::size_t(s) * kc + q) * NR, row + s * NR, sizeof(typename P::T) * NR);
    }
  }
}

// Portable packing of weight-gradient B: dst[q * NR + l] = B_{tap j0+l}(pixel p0 + q).
template <class P>
void pack_wgrad_b_portable(const ConvWeightGradProblem<typename P::T>& p, const std::int64_t* tap_off, int j0, int nr,
                           std::int64_t p0, int kc, typename P::T* dst) {
  using T = typename P::T;
  constexpr int NR = P::kNR;
  const std::int64_t plane = p.grid.plane();
  for (int q = 0; q < kc; ++q) {
    const std::int64_t j = p0 + q, n = j / plane, rest = j % plane;
    const T* pixel = p.in.data + p.in.position(int(n), int(rest / p.grid.width), int(rest % p.grid.width));
    T* out = dst + q * NR;
    for (int l = 0; l < NR; ++l) out[l] = l < nr ? pixel[tap_off[j0 + l]] : T(0);
  }
}

// Portable packing of weight-gradient A: dst[q * MR + r] = g(i0 + r, pixel p0 + q).
template <class P>
void pack_wgrad_a_portable(const ConvWeightGradProblem<typename P::T>& p, int i0, int mr, std::int64_t p0, int kc,
                           typename P::T* dst) {
  using T = typename P::T;
  constexpr int MR = P::kMR;
  const std::int64_t plane = p.grid.plane();
  std::int64_t n = p0 / plane, f = p0 % plane;  // image and pixel within it, stepped along
  for (int q = 0; q < kc; ++q) {
    const T* col = p.g + n * p.g_image_stride + std::int64_t(i0) * p.g_channel_stride + f;
    T* out = dst + q * MR;
    for (int r = 0; r < MR; ++r) out[r] = r < mr ? col[r * p.g_channel_stride] : T(0);
    if (++f == plane) {
      f = 0;
      ++n;
    }
  }
}

template <class P>
struct ForwardAdapter {
  using T = typename P::T;
  static constexpr int MR = P::kMR, NR = P::kNR;
  static constexpr bool kStaticA = true;  // A is the weights
  static constexpr bool kStageC = true;   // scattered output: sum depth blocks in a staging panel
  // Compact columns: the grid's pixels only, for grids whose rows are whole
  // runs of 16 pixels. Every 16 consecutive columns then lie in one row, a
  // contiguous stretch of the padded layout, so packing B is still one copy
  // per 16 columns and depth row, and no padding position is multiplied
  // (a 16 x 16 grid with 1-pixel margins computes 324 positions for 256
  // pixels otherwise). Only the packed path supports it (B read in place
  // needs the positions).
  static constexpr int kRun = 16;
  const ConvForwardProblem<T>& p;
  std::vector<std::int64_t> tap_off;
  bool compact = false;

  explicit ForwardAdapter(const ConvForwardProblem<T>& problem, bool compact_columns = false)
      : p(problem), tap_off(tap_offsets(problem.taps, problem.k, problem.in)),
        compact(compact_columns && NR % kRun == 0 && problem.grid.width % kRun == 0) {}
  int m() const { return p.m_rows; }
  // Columns: every position of the padded layout up to the last pixel, or
  // (compact) every pixel of the grid.
  std::int64_t n() const {
    if (compact) return std::int64_t(p.grid.batch) * p.grid.height * p.grid.width;
    return p.in.position(p.grid.batch - 1, p.grid.height - 1, p.grid.width - 1) + 1;
  }
  int k() const { return p.k; }
  T* out() const { return p.out.data; }
  std::int64_t row_stride() const { return p.out.channel_stride; }
  const T* bias() const { return p.bias; }
  T beta() const { return T(0); }
  bool accumulate() const { return false; }
  // B rows over columns jc .. jc + nc - 1 are contiguous runs of the padded
  // input: the panel is packed one depth row at a time, each a single
  // stretch of memory (padding columns are computed and dropped anyway).
  void pack_b_panel(std::int64_t jc, int nc, std::int64_t p0, int kc, T* dst) const {
    if (!compact) {
      P::pack_forward_b(p.in.data + jc, tap_off.data() + p0, kc, int(ceil_div(nc, NR)), dst);
      return;
    }
    // Sliver s, run v: pixels j .. j + 15 of one row, at position(pixel j) + l.
    const std::int64_t plane = std::int64_t(p.grid.height) * p.grid.width;
    const int slivers = int(ceil_div(nc, NR));
    for (int s = 0; s < slivers; ++s) {
      for (int v = 0; v < NR / kRun; ++v) {
        const std::int64_t j = jc + std::int64_t(s) * NR + v * kRun;
        T* out = dst + std::size_t(s) * kc * NR + v * kRun;
        if (j >= jc + nc) {
          for (int q = 0; q < kc; ++q) std::fill(out + std::size_t(q) * NR, out + std::size_t(q) * NR + kRun, T(0));
          continue;
        }
        const std::int64_t rest = j % plane;
        const T* base = p.in.data + p.in.position(int(j / plane), int(rest / p.grid.width), int(rest % p.grid.width));
        for (int q = 0; q < kc; ++q) std::memcpy(out + std::size_t(q) * NR, base + tap_off[p0 + q], kRun * sizeof(T));
      }
    }
  }

  void pack_a(int i0, int mr, std::int64_t p0, int kc, T* dst) const {
    for (int q = 0; q < kc; ++q) {
      const std::int64_t off = p.taps[p0 + q].a_offset;
      T* out = dst + q * MR;
      for (int r = 0; r < MR; ++r) out[r] = r < mr ? p.a[(i0 + r) * p.a_row_stride + off] : T(0);
    }
  }
  // Where pixel (n, y, x) of the grid goes in the output.
  std::int64_t out_offset(std::int64_t n, int y, int x) const {
    return n * p.out.image_stride + std::int64_t(y * p.out.y_step + p.out.y_offset) * p.out.row_stride +
           std::int64_t(x) * p.out.x_step + p.out.x_offset;
  }

  // Lane l is column j0 + l: a pixel of the grid (stored), or padding (dropped).
  // The position is decoded once and then stepped along.
  void column_map(std::int64_t j0, int nr, ColumnMap<NR>& map) const {
    if (compact) {
      const std::int64_t plane = std::int64_t(p.grid.height) * p.grid.width;
      std::int64_t n = j0 / plane;
      const std::int64_t rest = j0 % plane;
      int y = int(rest / p.grid.width), x = int(rest % p.grid.width);
      for (int l = 0; l < NR; ++l) {
        map.offset[l] = l < nr && n < p.grid.batch ? out_offset(n, y, x) : -1;
        if (++x == p.grid.width) {
          x = 0;
          if (++y == p.grid.height) {
            y = 0;
            ++n;
          }
        }
      }
      map.build_segments();
      return;
    }
    const std::int64_t image = p.in.image_pitch();
    std::int64_t n = j0 / image;
    const std::int64_t rest = j0 % image;
    int row = int(rest / p.in.pitch), col = int(rest % p.in.pitch);
    for (int l = 0; l < NR; ++l) {
      const int y = row - p.in.top, x = col - p.in.left;
      const bool pixel =
          l < nr && n < p.grid.batch && unsigned(y) < unsigned(p.grid.height) && unsigned(x) < unsigned(p.grid.width);
      map.offset[l] = pixel ? out_offset(n, y, x) : -1;
      if (++col == p.in.pitch) {
        col = 0;
        if (++row == p.in.rows) {
          row = 0;
          ++n;
        }
      }
    }
    map.build_segments();
  }
};

template <class P>
struct WeightGradAdapter {
  using T = typename P::T;
  static constexpr int MR = P::kMR, NR = P::kNR;
  static constexpr bool kStaticA = false;  // A (grad_y) is packed per depth block
  static constexpr bool kStageC = false;
  const ConvWeightGradProblem<T>& p;
  std::vector<std::int64_t> tap_off;

  explicit WeightGradAdapter(const ConvWeightGradProblem<T>& problem)
      : p(problem), tap_off(tap_offsets(problem.taps, problem.k, problem.in)) {}
  int m() const { return p.m_rows; }
  std::int64_t n() const { return p.k; }
  std::int64_t k() const { return p.grid.size(); }
  T* out() const { return p.c; }
  std::int64_t row_stride() const { return p.k; }
  const T* bias() const { return nullptr; }
  T beta() const { return T(0); }
  bool accumulate() const { return p.accumulate; }

  void pack_a(int i0, int mr, std::int64_t p0, int kc, T* dst) const { P::pack_wgrad_a(p, i0, mr, p0, kc, dst); }
  void pack_b(std::int64_t j0, int nr, std::int64_t p0, int kc, T* dst) const {
    P::pack_wgrad_b(p, tap_off.data(), int(j0), nr, p0, kc, dst);
  }
  void pack_b_panel(std::int64_t jc, int nc, std::int64_t p0, int kc, T* dst) const {
    for (int j = 0; j < nc; j += NR) pack_b(jc + j, std::min(NR, nc - j), p0, kc, dst + std::size_t(j) * kc);
  }
  void column_map(std::int64_t j0, int nr, ColumnMap<NR>& map) const {
    for (int l = 0; l < NR; ++l) map.offset[l] = l < nr ? j0 + l : -1;
    map.build_segments();
  }
};

template <class P>
struct MatrixAdapter {
  using T = typename P::T;
  static constexpr int MR = P::kMR, NR = P::kNR;
  static constexpr bool kStaticA = true;
  static constexpr bool kStageC = false;
  const MatrixProblem<T>& p;

  explicit MatrixAdapter(const MatrixProblem<T>& problem) : p(problem) {}
  int m() const { return p.m; }
  std::int64_t n() const { return p.n; }
  int k() const { return p.k; }
  T* out() const { return p.c; }
  std::int64_t row_stride() const { return p.ldc; }
  const T* bias() const { return nullptr; }
  T beta() const { return p.beta; }
  bool accumulate() const { return false; }

  // alpha is folded into packed A.
  void pack_a(int i0, int mr, std::int64_t p0, int kc, T* dst) const {
    for (int q = 0; q < kc; ++q) {
      T* out = dst + q * MR;
      const std::size_t col = std::size_t(p0 + q);
      for (int r = 0; r < MR; ++r) {
        T v = T(0);
        if (r < mr) {
          const std::size_t row = std::size_t(i0 + r);
          v = p.trans_a ? p.a[col * p.lda + row] : p.a[row * p.lda + col];
        }
        out[r] = p.alpha * v;
      }
    }
  }
  // Row by row over the whole panel when B is not transposed, so that each
  // row of B is read as one contiguous stretch (prefetcher-friendly).
  void pack_b_panel(std::int64_t jc, int nc, std::int64_t p0, int kc, T* dst) const {
    const int full = p.trans_b ? 0 : nc / NR * NR;
    for (int q = 0; q < kc && full > 0; ++q) {
      const T* row = p.b + std::size_t(p0 + q) * p.ldb + jc;
      for (int j = 0; j < full; j += NR) std::memcpy(dst + std::size_t(j) * kc + q * NR, row + j, sizeof(T) * NR);
    }
    for (int j = full; j < nc; j += NR) pack_b(jc + j, std::min(NR, nc - j), p0, kc, dst + std::size_t(j) * kc);
  }
  void pack_b(std::int64_t j0, int nr, std::int64_t p0, int kc, T* dst) const {
    for (int q = 0; q < kc; ++q) {
      T* out = dst + q * NR;
      const std::size_t depth = std::size_t(p0 + q);
      for (int l = 0; l < NR; ++l) {
        T v = T(0);
        if (l < nr) {
          const std::size_t col = std::size_t(j0 + l);
          v = p.trans_b ? p.b[col * p.ldb + depth] : p.b[depth * p.ldb + col];
        }
        out[l] = v;
      }
    }
  }
  void column_map(std::int64_t j0, int nr, ColumnMap<NR>& map) const {
    for (int l = 0; l < NR; ++l) map.offset[l] = l < nr ? j0 + l : -1;
    map.build_segments();
  }
};

// ---- the driver --------------------------------------------------------------
//
// Staging: with several depth blocks, the forward products sum them in a
// contiguous panel (rows x NC, in L2) where every tile store takes the fast
// full-tile path, and store each tile through its column map (with the bias)
// once at the end, instead of once per depth block.

// Column maps of a staging panel: sliver s, lane l at s * NR + l.
template <int NR>
std::vector<ColumnMap<NR>> flat_maps(int n_slivers) {
  std::vector<ColumnMap<NR>> maps(static_cast<std::size_t>(n_slivers));
  for (int s = 0; s < n_slivers; ++s) {
    for (int l = 0; l < NR; ++l) maps[std::size_t(s)].offset[l] = std::int64_t(s) * NR + l;
    maps[std::size_t(s)].build_segments();
  }
  return maps;
}

// The rectangle of output tiles of one part: the output is split along the
// dimension that gives the smaller largest part (columns on a tie), in
// whole tiles.
inline PartRange part_range(int m, std::int64_t n, int mr, int nr, int part, int n_parts) {
  const std::int64_t m_tiles = ceil_div(m, mr), n_tiles = ceil_div(n, nr);
  const std::int64_t split_n_cost = ceil_div(n_tiles, n_parts) * m_tiles;
  const std::int64_t split_m_cost = ceil_div(m_tiles, n_parts) * n_tiles;
  PartRange r;
  r.i_end = m;
  r.j_end = n;
  if (split_n_cost <= split_m_cost) {
    r.j_begin = std::min(n, n_tiles * part / n_parts * nr);
    r.j_end = std::min(n, n_tiles * (part + 1) / n_parts * nr);
  } else {
    r.i_begin = int(std::min<std::int64_t>(m, m_tiles * part / n_parts * mr));
    r.i_end = int(std::min<std::int64_t>(m, m_tiles * (part + 1) / n_parts * mr));
  }
  return r;
}

// The staged panel's tiles through their column maps, with the bias: the
// store of the first depth block (or of an accumulation) onto the output.
template <class P, class Adapter>
void store_staged(const Adapter& ad, const PartRange& range, const typename P::T* c_stage,
                  const std::vector<ColumnMap<P::kNR>>& maps, int n_slivers) {
  using T = typename P::T;
  constexpr int MR = P::kMR, NR = P::kNR, NC = P::kNC;
  T* const out = ad.out();
  const std::int64_t row_stride = ad.row_stride();
  const T* const bias = ad.bias();
  for (int i0 = range.i_begin; i0 < range.i_end; i0 += MR) {
    for (int s = 0; s < n_slivers; ++s) {
      if (maps[std::size_t(s)].n_segments == 0) continue;
      const TileDest<T, NR> d{out + i0 * row_stride, row_stride, std::min(MR, range.i_end - i0), &maps[std::size_t(s)],
                              bias != nullptr ? bias + i0 : nullptr, !ad.accumulate(), ad.beta()};
      P::store_staged(c_stage + std::size_t(i0 - range.i_begin) * NC + std::size_t(s) * NR, NC, d);
    }
  }
}

template <class P, class Adapter>
void run_part(const Adapter& ad, int part, int n_parts) {
  using T = typename P::T;
  constexpr int MR = P::kMR, NR = P::kNR, KC = P::kKC, MC = P::kMC, NC = P::kNC;
  static_assert(NC % NR == 0 && MC % MR == 0, "cache blocks hold whole tiles");
  const int m = ad.m();
  const std::int64_t n = ad.n(), k = ad.k();
  if (m <= 0 || n <= 0) return;
  const PartRange range = part_range(m, n, MR, NR, part, n_parts);
  if (range.i_begin >= range.i_end || range.j_begin >= range.j_end) return;

  const int kc_max = depth_block(k, KC);
  const std::int64_t n_blocks = ceil_div(std::max<std::int64_t>(k, 1), kc_max);
  const int part_slivers = int(ceil_div(range.i_end - range.i_begin, MR));
  // A that does not change with the column panel (weights, a plain matrix)
  // is packed once for all panels when there are several.
  const bool prepack = Adapter::kStaticA && range.j_end - range.j_begin > NC && k > 0;
  Buffer<T> a_buf(prepack ? std::size_t(n_blocks) * part_slivers * MR * kc_max : std::size_t(MC) * kc_max);
  Buffer<T> b_buf(std::size_t(NC) * kc_max);
  std::vector<ColumnMap<NR>> maps(NC / NR);
  T* const out = ad.out();
  const std::int64_t row_stride = ad.row_stride();
  const T* const bias = ad.bias();
  const bool stage = Adapter::kStageC && n_blocks > 1;
  Buffer<T> c_stage(stage ? std::size_t(part_slivers) * MR * NC : 1);
  const std::vector<ColumnMap<NR>> stage_maps = flat_maps<NR>(stage ? NC / NR : 0);
  // The A sliver r (rows from i0) of depth block b, packed here or before.
  auto a_sliver = [&](std::int64_t b, int i0) {
    const int r = (i0 - range.i_begin) / MR;
    return prepack ? a_buf.ptr + (std::size_t(b) * part_slivers + r) * MR * kc_max
                   : a_buf.ptr + std::size_t((i0 - range.i_begin) % MC / MR) * MR * kc_max;
  };
  if (prepack) {
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const int kc = int(std::min<std::int64_t>(kc_max, k - b * kc_max));
      for (int i0 = range.i_begin; i0 < range.i_end; i0 += MR) {
        ad.pack_a(i0, std::min(MR, range.i_end - i0), b * kc_max, kc, a_sliver(b, i0));
      }
    }
  }

  for (std::int64_t jc = range.j_begin; jc < range.j_end; jc += NC) {
    const int nc = int(std::min<std::int64_t>(NC, range.j_end - jc));
    const int n_slivers = int(ceil_div(nc, NR));
    for (int s = 0; s < n_slivers; ++s) ad.column_map(jc + s * NR, std::min(NR, nc - s * NR), maps[std::size_t(s)]);
    if (k <= 0) {
      // No depth at all: the output is bias (or beta * C, or zero).
      const T zero_a[MR] = {};
      const T zero_b[NR] = {};
      for (int i0 = range.i_begin; i0 < range.i_end; i0 += MR) {
        for (int s = 0; s < n_slivers; ++s) {
          const TileDest<T, NR> d{out + i0 * row_stride, row_stride, std::min(MR, range.i_end - i0),
                                  &maps[std::size_t(s)], bias != nullptr ? bias + i0 : nullptr, true, ad.beta()};
          P::kernel(0, zero_a, zero_b, d);
        }
      }
      continue;
    }
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const std::int64_t pc = b * kc_max;
      const int kc = int(std::min<std::int64_t>(kc_max, k - pc));
      const bool first = pc == 0 && !ad.accumulate();
      ad.pack_b_panel(jc, nc, pc, kc, b_buf.ptr);
      for (int ic = range.i_begin; ic < range.i_end; ic += MC) {
        const int mc = std::min(MC, range.i_end - ic);
        if (!prepack) {
          for (int i0 = ic; i0 < ic + mc; i0 += MR) ad.pack_a(i0, std::min(MR, ic + mc - i0), pc, kc, a_sliver(b, i0));
        }
        // The A sliver stays in L1 while it sweeps the panel's B slivers (from L2).
        for (int i0 = ic; i0 < ic + mc; i0 += MR) {
          const T* ap = a_sliver(b, i0);
          for (int s = 0; s < n_slivers; ++s) {
            if (maps[std::size_t(s)].n_segments == 0) continue;  // all padding
            const TileDest<T, NR> d =
                stage ? TileDest<T, NR>{c_stage.ptr + std::size_t(i0 - range.i_begin) * NC, NC, MR,
                                        &stage_maps[std::size_t(s)], nullptr, b == 0, T(0)}
                      : TileDest<T, NR>{out + i0 * row_stride, row_stride, std::min(MR, ic + mc - i0),
                                        &maps[std::size_t(s)], bias != nullptr ? bias + i0 : nullptr, first,
                                        ad.beta()};
            P::kernel(kc, ap, b_buf.ptr + std::size_t(s) * NR * kc, d);
          }
        }
      }
    }
    if (stage) store_staged<P>(ad, range, c_stage.ptr, maps, n_slivers);
  }
}

// The forward convolution product with B read in place from the padded
// chunk (no B packing): for each NR-column tile, every A sliver of the part
// sweeps it, so the input rows the tile's taps touch (a few KiB per channel)
// stay in L1 across the slivers. For few output rows (few A slivers) this
// beats packing B, which would be copied once to be used only a few times.
template <class P>
void run_part_direct(const ForwardAdapter<P>& ad, int part, int n_parts) {
  using T = typename P::T;
  constexpr int MR = P::kMR, NR = P::kNR, KC = P::kKC, NC = P::kNC;
  const int m = ad.m();
  const std::int64_t n = ad.n();
  const int k = ad.k();
  if (m <= 0 || n <= 0 || k <= 0) {
    run_part<P>(ad, part, n_parts);
    return;
  }
  const PartRange range = part_range(m, n, MR, NR, part, n_parts);
  if (range.i_begin >= range.i_end || range.j_begin >= range.j_end) return;
  const int kc_max = depth_block(k, KC);
  const std::int64_t n_blocks = ceil_div(k, kc_max);
  const int part_slivers = int(ceil_div(range.i_end - range.i_begin, MR));
  Buffer<T> a_buf(std::size_t(n_blocks) * part_slivers * MR * kc_max);
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const int kc = int(std::min<std::int64_t>(kc_max, k - b * kc_max));
    for (int r = 0; r < part_slivers; ++r) {
      const int i0 = range.i_begin + r * MR;
      ad.pack_a(i0, std::min(MR, range.i_end - i0), b * kc_max, kc,
                a_buf.ptr + (std::size_t(b) * part_slivers + r) * MR * kc_max);
    }
  }
  std::vector<ColumnMap<NR>> maps(NC / NR);
  T* const out = ad.out();
  const std::int64_t row_stride = ad.row_stride();
  const T* const bias = ad.bias();
  const bool stage = n_blocks > 1;
  Buffer<T> c_stage(stage ? std::size_t(part_slivers) * MR * NC : 1);
  const std::vector<ColumnMap<NR>> stage_maps = flat_maps<NR>(stage ? NC / NR : 0);
  for (std::int64_t jc = range.j_begin; jc < range.j_end; jc += NC) {
    const int nc = int(std::min<std::int64_t>(NC, range.j_end - jc));
    const int n_slivers = int(ceil_div(nc, NR));
    for (int s = 0; s < n_slivers; ++s) ad.column_map(jc + s * NR, std::min(NR, nc - s * NR), maps[std::size_t(s)]);
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const int pc = int(b * kc_max);
      const int kc = std::min(kc_max, k - pc);
      for (int s = 0; s < n_slivers; ++s) {
        if (maps[std::size_t(s)].n_segments == 0) continue;  // all padding
        const T* b_cols = ad.p.in.data + jc + s * NR;
        for (int r = 0; r < part_slivers; ++r) {
          const int i0 = range.i_begin + r * MR;
          const TileDest<T, NR> d =
              stage ? TileDest<T, NR>{c_stage.ptr + std::size_t(r) * MR * NC, NC, MR, &stage_maps[std::size_t(s)],
                                      nullptr, b == 0, T(0)}
                    : TileDest<T, NR>{out + i0 * row_stride, row_stride, std::min(MR, range.i_end - i0),
                                      &maps[std::size_t(s)], bias != nullptr ? bias + i0 : nullptr, b == 0, T(0)};
          P::kernel_direct(kc, a_buf.ptr + (std::size_t(b) * part_slivers + r) * MR * kc_max, b_cols,
                           ad.tap_off.data() + pc, d);
        }
      }
    }
    if (stage) store_staged<P>(ad, range, c_stage.ptr, maps, n_slivers);
  }
}

// The three entry points of a policy, for its GemmIsaOps table.
template <class P>
void run_matrix(const MatrixProblem<typename P::T>& p, int part, int n_parts) {
  run_part<P>(MatrixAdapter<P>(p), part, n_parts);
}
template <class P>
void run_conv_forward(const ConvForwardProblem<typename P::T>& p, int part, int n_parts) {
  if constexpr (P::kDirectRows > 0) {
    if (p.m_rows <= P::kDirectRows) {
      run_part_direct<P>(ForwardAdapter<P>(p), part, n_parts);
      return;
    }
  }
  run_part<P>(ForwardAdapter<P>(p, /*compact_columns=*/true), part, n_parts);
}
template <class P>
void run_conv_weight_grad(const ConvWeightGradProblem<typename P::T>& p, int part, int n_parts) {
  run_part<P>(WeightGradAdapter<P>(p), part, n_parts);
}
template <class P>
PartRange policy_part_range(int m, std::int64_t n, int part, int n_parts) {
  return part_range(m, n, P::kMR, P::kNR, part, n_parts);
}

}  // namespace
}  // namespace dae::kernels::cpu::detail
