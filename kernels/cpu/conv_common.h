// How the CPU convolutions become tap products (kernels/cpu/gemm_problems.h),
// shared by conv2d and conv_transpose2d.
//
// A convolution with stride 1 reads its input planes shifted by one offset
// per kernel tap: out[co][y][x] = sum over (c, ki, kj) of
// w[co][c][ki][kj] * x[c][y - padding + ki][x - padding + kj]. That is the
// forward tap product with taps (plane c, dy = ki - padding, dx = kj - padding);
// the pixels of a whole chunk of images are the product's columns, so a
// 7x7 image still gives a wide product.
//
// With stride s > 1 the input is rearranged by space_to_depth as it is
// copied: plane (c, ry, rx) holds the pixels x[c][s*r + ry][s*q + rx], so
// that input row oy*s - padding + ki = s * (oy + dy) + ry with
// dy = floor((ki - padding) / s) and ry = (ki - padding) mod s. Every tap is
// again a plain shift, now of one of the s*s sub-planes.
//
// The backward-data pass of a stride-1 convolution is a stride-1 convolution
// of grad_y with the flipped kernel: grad_x[c][iy][ix] = sum over (co, ki, kj)
// of w[co][c][ki][kj] * grad_y[co][iy + padding - ki][ix + padding - kj],
// taps (plane co, dy = padding - ki, dx = padding - kj). With stride s the
// output pixels split into s*s classes by (iy mod s, ix mod s); class (ry, rx)
// only meets the kernel rows ki = ry + padding (mod s), each at the shift
// dy = (ry + padding - ki) / s, so each class is one stride-1 tap product
// whose output is written every s-th pixel (the "sub-pixel" decomposition;
// no tap is multiplied by a zero).
//
// The weight gradient is the weight-gradient tap product of the forward
// taps with grad_y: grad_w[co][tap] = sum over pixels of grad_y[co](pixel) *
// x_tap(pixel).
//
// Threads: the batch is padded chunk by chunk (conv_padded.h) by the thread
// that uses the chunk. Forward products hand out whole chunks; the weight
// gradient splits its output (rows or taps) between threads, each padding
// only the channels its taps read and summing the chunks in order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/conv_padded.h"
#include "kernels/cpu/gemm_problems.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu::detail {

// Floor division and the matching remainder in [0, b), for b > 0.
inline int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int floor_mod(int a, int b) { return a - floor_div(a, b) * b; }

// The taps of convolution s over its (space_to_depth'ed) input, in the
// weight's order (c, ki, kj): a_offset = (c*kh + ki)*kw + kj.
inline std::vector<ConvTap> forward_taps(const Conv2dShape& s) {
  std::vector<ConvTap> taps;
  const int st = s.stride;
  taps.reserve(std::size_t(s.in_channels) * s.kernel_h * s.kernel_w);
  for (int c = 0; c < s.in_channels; ++c) {
    for (int ki = 0; ki < s.kernel_h; ++ki) {
      for (int kj = 0; kj < s.kernel_w; ++kj) {
        ConvTap t;
        const int row = ki - s.padding, col = kj - s.padding;
        t.plane = (c * st + floor_mod(row, st)) * st + floor_mod(col, st);
        t.dy = floor_div(row, st);
        t.dx = floor_div(col, st);
        t.a_offset = (std::int64_t(c) * s.kernel_h + ki) * s.kernel_w + kj;
        taps.push_back(t);
      }
    }
  }
  return taps;
}

// The backward-data taps of sub-pixel class (ry, rx) of convolution s, over
// the planes of grad_y: (co, ki, kj) with ki = ry + padding (mod stride) and
// kj likewise, A(c, tap) = w[co][c][ki][kj] at c * kh*kw + a_offset.
inline std::vector<ConvTap> class_taps(const Conv2dShape& s, int ry, int rx) {
  const int st = s.stride;
  const std::int64_t kk = std::int64_t(s.kernel_h) * s.kernel_w;
  std::vector<ConvTap> taps;
  for (int co = 0; co < s.out_channels; ++co) {
    for (int ki = 0; ki < s.kernel_h; ++ki) {
      if (floor_mod(ry + s.padding - ki, st) != 0) continue;
      for (int kj = 0; kj < s.kernel_w; ++kj) {
        if (floor_mod(rx + s.padding - kj, st) != 0) continue;
        ConvTap t;
        t.plane = co;
        t.dy = (ry + s.padding - ki) / st;  // exact: the remainder is 0
        t.dx = (rx + s.padding - kj) / st;
        t.a_offset = std::int64_t(co) * s.in_channels * kk + ki * s.kernel_w + kj;
        taps.push_back(t);
      }
    }
  }
  return taps;
}

// NCHW output of `channels` channels of height x width.
template <typename T>
PixelOut<T> nchw_out(T* data, int channels, int height, int width) {
  PixelOut<T> o;
  o.data = data;
  o.channel_stride = std::int64_t(height) * width;
  o.image_stride = o.channel_stride * channels;
  o.row_stride = width;
  return o;
}

// The threads a product of `flops` runs on.
inline int product_threads(const Exec& ex, double flops) {
  return flops < kParallelFlops ? 1 : std::max(1, ex.n_threads);
}

// Runs body(i) for i < items on up to `threads` OpenMP threads, handing
// items out as threads come free (a thread that is preempted by another
// process does not hold the others up). Which thread runs an item never
// changes what the item computes.
template <typename Body>
void on_threads(int threads, int items, Body body) {
  if (threads == 1 || items == 1) {
    for (int i = 0; i < items; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::min(threads, items))
  for (int i = 0; i < items; ++i) body(i);
}

// Runs forward tap products that read one source (a convolution, or the
// sub-pixel classes of a backward-data pass). The problems describe the
// whole batch (their `in` is set here). With at least as many chunks as
// threads, each thread takes whole chunks; otherwise every thread pads every
// chunk and computes its share of the columns. Either way each output is
// computed once, identically.
template <typename T>
void run_forward_products(const Exec& ex, const PaddedSource<T>& whole_src,
                          const std::vector<ConvForwardProblem<T>>& problems) {
  double flops = 0;
  for (const auto& p : problems) flops += 2.0 * p.m_rows * double(p.grid.size()) * std::max(p.k, 1);
  const int threads = product_threads(ex, flops);
  // At least two chunks per thread where the batch allows, so that chunks
  // share out evenly (8 images in chunks of 7 would leave a thread with 1).
  // The forward outputs do not depend on the chunking.
  const PaddedSource<T> src = whole_src.with_chunk((whole_src.batch + 2 * threads - 1) / (2 * threads));
  const int n_chunks = src.n_chunks();
  const GemmIsaOps<T>& gemm = gemm_ops<T>();
  const ConvDirectOps<T>& direct = conv_direct_ops<T>();
  // Work items: whole chunks, or with fewer chunks than threads, a share of
  // every chunk's columns (each item then pads every chunk for itself).
  const bool by_chunk = n_chunks >= threads;
  on_threads(threads, by_chunk ? n_chunks : threads, [&](int item) {
    const int first = by_chunk ? item : 0, last = by_chunk ? item + 1 : n_chunks;
    const int part = by_chunk ? 0 : item, n_parts = by_chunk ? 1 : threads;
    const Exec heap;  // no Scratch provider: per-thread heap memory
    ScratchBuffer buffer(heap, sizeof(T) * src.buffer_floats(0, src.channels));
    for (int chunk = first; chunk < last; ++chunk) {
      const int n0 = chunk * src.chunk, count = std::min(src.chunk, src.batch - n0);
      const PaddedPlanes<T> planes = src.pad(n0, count, 0, src.channels, buffer.as<T>());
      for (const ConvForwardProblem<T>& whole : problems) {
        ConvForwardProblem<T> p = whole;
        p.in = planes;
        p.grid.batch = count;
        p.out.data = whole.out.data + n0 * whole.out.image_stride;
        if (p.m_rows <= kSmallRows) {
          direct.forward_small_m(p, part, n_parts);
        } else {
          gemm.conv_forward(p, part, n_parts);
        }
      }
    }
  });
}

// Below this many taps, or at most kSmallRows rows, the weight gradient is
// taken by dot products (conv_direct.h): a GEMM tile would be mostly empty.
constexpr int kFewTaps = 32;

// c[m][t] = sum over the pixels of grid of g(m, pixel) * B_t(pixel), for g
// [batch][m_rows][grid] (the grad_y of a convolution) and `taps` over src.
// Chunks are summed in order; the output is split between threads (never
// the pixels), so the result does not depend on the thread count.
// Overwrites c.
template <typename T>
void run_weight_grad(const Exec& ex, const PaddedSource<T>& src, const std::vector<ConvTap>& taps,
                     const PixelGrid& grid, int m_rows, const T* g, T* c) {
  const int k = int(taps.size());
  const int threads = product_threads(ex, 2.0 * m_rows * double(grid.size()) * std::max(k, 1));
  const int n_chunks = src.n_chunks();
  const std::int64_t g_image = grid.plane() * m_rows;
  if (m_rows <= kSmallRows || k <= kFewTaps) {
    // g copied into the input's padded layout: the pixel (n, y, x) of both
    // at the same position, zero elsewhere. Threads split the rows of g when
    // there are enough (each pads only its rows of g), else the taps (each
    // pads only the input channels its taps read). A chunk holds as many
    // images as fit about kChunkFloats with all rows of g padded too, so the
    // pads are read back from L2 rather than memory; it depends only on the
    // shapes (the chunk sums' order must not follow the thread count).
    const std::int64_t padded_per_image = (std::int64_t(m_rows) + std::int64_t(src.channels) * src.n_sub()) *
                                          src.layout.block();
    const PaddedSource<T> src_chunks =
        src.with_chunk(int(std::clamp<std::int64_t>(kChunkFloats / padded_per_image, 1, src.chunk)));
    const int dot_chunks = src_chunks.n_chunks();
    const PaddedSource<T> g_src(g, src.batch, m_rows, grid.height, grid.width, 1, src.layout, src_chunks.chunk);
    const ConvDirectOps<T>& direct = conv_direct_ops<T>();
    const bool split_rows = m_rows >= 8 * threads;
    on_threads(threads, threads, [&](int t) {
      int m0 = 0, m1 = m_rows, t0 = 0, t1 = k;
      if (split_rows) {
        m0 = m_rows * t / threads / 4 * 4;  // whole blocks of 4 rows
        m1 = t + 1 == threads ? m_rows : m_rows * (t + 1) / threads / 4 * 4;
      } else {
        t0 = k * t / threads;
        t1 = k * (t + 1) / threads;
      }
      if (m0 >= m1 || t0 >= t1) return;
      int c0 = src.channels, c1 = 0;
      for (int j = t0; j < t1; ++j) {
        c0 = std::min(c0, taps[std::size_t(j)].plane / src.n_sub());
        c1 = std::max(c1, taps[std::size_t(j)].plane / src.n_sub() + 1);
      }
      const Exec heap;
      ScratchBuffer x_buffer(heap, sizeof(T) * src_chunks.buffer_floats(c0, c1));
      ScratchBuffer g_buffer(heap, sizeof(T) * g_src.buffer_floats(m0, m1));
      for (int chunk = 0; chunk < dot_chunks; ++chunk) {
        const int n0 = chunk * src_chunks.chunk, count = std::min(src_chunks.chunk, src.batch - n0);
        DotWeightGradProblem<T> p;
        p.m_rows = m1 - m0;
        p.k = t1 - t0;
        p.taps = taps.data() + t0;
        p.in = src_chunks.pad(n0, count, c0, c1, x_buffer.as<T>());
        p.g = g_src.pad(n0, count, m0, m1, g_buffer.as<T>()).data;
        p.g_plane_stride = g_src.plane_stride();
        p.g_row_stride_c = k;
        p.positions = std::int64_t(count) * src.layout.block();
        p.c = c + std::int64_t(m0) * k + t0;
        p.accumulate = chunk > 0;
        direct.weight_grad_dot(p, 0, 1);
      }
    });
    return;
  }
  // One part per thread; each part pads the chunks' channels its taps read
  // (more parts would pad and pack grad_y again for each).
  const GemmIsaOps<T>& gemm = gemm_ops<T>();
  const int n_parts = threads;
  on_threads(threads, n_parts, [&](int t) {
    const PartRange range = gemm.part_range(m_rows, k, t, n_parts);
    if (range.i_begin >= range.i_end || range.j_begin >= range.j_end) return;
    // Only the channels this part's taps read are padded.
    int c0 = src.channels, c1 = 0;
    for (std::int64_t j = range.j_begin; j < range.j_end; ++j) {
      c0 = std::min(c0, taps[std::size_t(j)].plane / src.n_sub());
      c1 = std::max(c1, taps[std::size_t(j)].plane / src.n_sub() + 1);
    }
    const Exec heap;
    ScratchBuffer buffer(heap, sizeof(T) * src.buffer_floats(c0, c1));
    for (int chunk = 0; chunk < n_chunks; ++chunk) {
      const int n0 = chunk * src.chunk, count = std::min(src.chunk, src.batch - n0);
      ConvWeightGradProblem<T> p;
      p.m_rows = m_rows;
      p.k = k;
      p.taps = taps.data();
      p.in = src.pad(n0, count, c0, c1, buffer.as<T>());
      p.grid = PixelGrid{count, grid.height, grid.width};
      p.g = g + n0 * g_image;
      p.g_channel_stride = grid.plane();
      p.g_image_stride = g_image;
      p.c = c;
      p.accumulate = chunk > 0;
      gemm.conv_weight_grad(p, t, n_parts);
    }
  });
}

// grad_x = conv2d backward-data of s from grad_y, plus bias[c] when bias is
// not null (the forward pass of the transposed convolution whose as_conv()
// is s). Overwrites grad_x; stride s > 1 runs one product per sub-pixel
// class, all reading the same padded chunks of grad_y.
template <typename T>
void conv_backward_data_taps(const Exec& ex, const Conv2dShape& s, const T* grad_y, const T* weight, const T* bias,
                             T* grad_x) {
  const int st = s.stride;
  std::vector<std::vector<ConvTap>> taps;
  std::vector<ConvTap> all_taps;
  for (int ry = 0; ry < st; ++ry) {
    for (int rx = 0; rx < st; ++rx) {
      taps.push_back(class_taps(s, ry, rx));
      all_taps.insert(all_taps.end(), taps.back().begin(), taps.back().end());
    }
  }
  const int class_h = (s.in_height + st - 1) / st, class_w = (s.in_width + st - 1) / st;  // the largest class
  const PaddedSource<T> src = PaddedSource<T>::make(grad_y, s.batch, s.out_channels, s.out_height, s.out_width, 1,
                                                    all_taps, class_h, class_w);
  std::vector<ConvForwardProblem<T>> problems;
  for (int ry = 0; ry < st; ++ry) {
    for (int rx = 0; rx < st; ++rx) {
      ConvForwardProblem<T> p;
      p.grid.batch = s.batch;
      p.grid.height = ry < s.in_height ? (s.in_height - ry + st - 1) / st : 0;
      p.grid.width = rx < s.in_width ? (s.in_width - rx + st - 1) / st : 0;
      if (p.grid.height == 0 || p.grid.width == 0) continue;
      const std::vector<ConvTap>& class_list = taps[std::size_t(ry * st + rx)];
      p.m_rows = s.in_channels;
      p.k = int(class_list.size());
      p.taps = class_list.data();
      p.a = weight;  // A(c, tap) = w[co][c][ki][kj]: row c at c * kh*kw
      p.a_row_stride = std::int64_t(s.kernel_h) * s.kernel_w;
      p.out = nchw_out(grad_x, s.in_channels, s.in_height, s.in_width);
      p.out.y_step = p.out.x_step = st;
      p.out.y_offset = ry;
      p.out.x_offset = rx;
      p.bias = bias;
      problems.push_back(p);
    }
  }
  run_forward_products(ex, src, problems);
}

}  // namespace dae::kernels::cpu::detail
