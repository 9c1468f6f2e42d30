// The three kinds of matrix product the CPU kernels run, described as data,
// and the table of functions that run them for one instruction set.
//
// Every convolution pass is turned into one of two "tap" products (see
// kernels/cpu/conv_common.h for how), over the whole batch at once:
//
//   forward     out(m, pixel) = bias[m] + sum_t A(m, t) * B_t(pixel)
//   weight grad c[m][t]       = sum over pixels of g(m, pixel) * B_t(pixel)
//
// where a tap t = (plane, dy, dx) reads B_t(n, y, x) = input plane `plane` of
// image n at row y + dy, column x + dx, zero outside the plane. The input is
// first copied into a zero-padded layout (PaddedPlanes) in which every tap
// of every output pixel reads a valid address and the zero padding is real
// memory, so B_t over consecutive pixels of a row is a contiguous run of
// memory at a fixed offset from the pixel: no masks, no bounds checks, and
// the forward micro-kernel reads B straight from there (no B packing).
//
// Results do not depend on how the work is split: every output element is
// summed by one thread, over the depth in fixed blocks (kernels/cpu/gemm_driver.h)
// in a fixed order. Callers cut the work into `n_parts` parts and run part
// 0..n_parts-1 on any threads; a part is a rectangle of output tiles.
#pragma once

#include <cstdint>

namespace dae::kernels::cpu::detail {

// One tap (a row of the GEMM depth for the forward product, a column of the
// weight-gradient product): input plane `plane` shifted by dy rows and dx
// columns. Its forward weight for output row m is a[m * a_row_stride + a_offset].
struct ConvTap {
  int plane = 0;
  int dy = 0;
  int dx = 0;
  std::int64_t a_offset = 0;
};

// Input planes in the padded, plane-major layout. Plane q holds the batch's
// images one after the other, each a block of `rows` x `pitch` elements whose
// pixel (r, c) sits at block row top + r, column left + c; everything else in
// a block (and the margins before the first and after the last block) is
// zero. So the element (image n, plane q, row r, column c) is at
//   data[q * plane_stride + n * image_pitch() + (top + r) * pitch + left + c]
// and a tap (plane, dy, dx) reads it at the fixed offset
//   tap_offset = plane * plane_stride + dy * pitch + dx
// from the pixel's own position. The margins are wide enough (see
// kernels/cpu/conv_common.h) that every pixel's taps read the image's data or
// zeros, never a neighbour's pixels, and that whole tiles may read past the
// last pixel.
// Only planes first_plane, first_plane + 1, ... need be present (data then
// points at image 0's block of plane first_plane).
template <typename T>
struct PaddedPlanes {
  const T* data = nullptr;  // image 0's block of plane first_plane
  std::int64_t plane_stride = 0;
  int first_plane = 0;
  int batch = 0;
  int rows = 0;
  int pitch = 0;
  int top = 0;
  int left = 0;
  std::int64_t image_pitch() const { return std::int64_t(rows) * pitch; }
  std::int64_t tap_offset(const ConvTap& t) const {
    return (t.plane - first_plane) * plane_stride + std::int64_t(t.dy) * pitch + t.dx;
  }
  // Position of pixel (n, y, x) in a plane.
  std::int64_t position(int n, int y, int x) const {
    return n * image_pitch() + std::int64_t(top + y) * pitch + left + x;
  }
};

// The output pixels a product covers: (n, y, x) for n < batch, y < height, x < width.
struct PixelGrid {
  int batch = 0;
  int height = 0;
  int width = 0;
  std::int64_t plane() const { return std::int64_t(height) * width; }
  std::int64_t size() const { return std::int64_t(batch) * plane(); }
};

// Where forward output (m, n, y, x) is stored:
//   data[n * image_stride + m * channel_stride + (y * y_step + y_offset) * row_stride + x * x_step + x_offset]
// NCHW is y_step = x_step = 1; one sub-pixel class of a strided output is
// y_step = x_step = stride with the class's offsets.
template <typename T>
struct PixelOut {
  T* data = nullptr;
  std::int64_t image_stride = 0;
  std::int64_t channel_stride = 0;
  std::int64_t row_stride = 0;
  int y_step = 1, y_offset = 0;
  int x_step = 1, x_offset = 0;
};

// out(m, pixel) = bias[m] + sum_{t < k} a[m * a_row_stride + taps[t].a_offset] * B_t(pixel)
// for m < m_rows and every pixel of grid (grid.batch == in.batch). The
// product's columns are the positions of the padded layout, image after
// image (positions outside the grid are computed and dropped). bias may be
// null. Overwrites out.
template <typename T>
struct ConvForwardProblem {
  int m_rows = 0;
  int k = 0;
  const ConvTap* taps = nullptr;
  const T* a = nullptr;
  std::int64_t a_row_stride = 0;
  PaddedPlanes<T> in;
  PixelGrid grid;
  PixelOut<T> out;
  const T* bias = nullptr;
};

// c[m * k + t] (+)= sum over the pixels of grid of g(m, pixel) * B_t(pixel),
// for m < m_rows, t < k, where g(m, (n, y, x)) = g[n * g_image_stride +
// m * g_channel_stride + y * grid.width + x]. The pixels (the product's
// depth) are taken in the order n, y, x. Overwrites c, or adds to it with
// accumulate (a batch taken in chunks of images).
template <typename T>
struct ConvWeightGradProblem {
  int m_rows = 0;
  int k = 0;
  const ConvTap* taps = nullptr;
  PaddedPlanes<T> in;
  PixelGrid grid;
  const T* g = nullptr;
  std::int64_t g_image_stride = 0;
  std::int64_t g_channel_stride = 0;
  T* c = nullptr;
  bool accumulate = false;
};

// The rectangle of output tiles of one part of a product: rows [i_begin,
// i_end), columns [j_begin, j_end).
struct PartRange {
  int i_begin = 0, i_end = 0;
  std::int64_t j_begin = 0, j_end = 0;
};

// The plain product of kernels/cpu/gemm.h:
// C = alpha * op(A) op(B) + beta * C (beta 0: C is not read).
template <typename T>
struct MatrixProblem {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0;
  T alpha = T(1);
  const T* a = nullptr;
  int lda = 0;
  const T* b = nullptr;
  int ldb = 0;
  T beta = T(0);
  T* c = nullptr;
  int ldc = 0;
};

// One channel of one image copied into the padded layout (the operand
// preparation of the products, kernels/cpu/conv_common.h): sub-plane
// (ry, rx) of block[ry * stride + rx] gets pixel (r, q) = src[(stride*r + ry)
// * width + stride*q + rx] at row top + r, column left + q (zero past the
// image), for r < plane_h, q < plane_w; every other element of the
// rows x pitch block is zeroed.
template <typename T>
struct PadCopy {
  const T* src = nullptr;
  int height = 0, width = 0, stride = 1;
  int plane_h = 0, plane_w = 0;
  int rows = 0, pitch = 0, top = 0, left = 0;
  T* const* block = nullptr;
};

// The portable version of GemmIsaOps::pad_channel.
template <typename T>
void pad_channel_portable(const PadCopy<T>& c);

// One instruction set's implementation of the three products. `part` of
// `n_parts` computes a fixed rectangle of output tiles; the parts together
// cover the output once, and any part may run on any thread.
template <typename T>
struct GemmIsaOps {
  const char* name;  // "avx512 8x48", "avx2-fma 6x16", "generic 6x16"
  void (*matrix)(const MatrixProblem<T>& p, int part, int n_parts);
  void (*conv_forward)(const ConvForwardProblem<T>& p, int part, int n_parts);
  void (*conv_weight_grad)(const ConvWeightGradProblem<T>& p, int part, int n_parts);
  void (*pad_channel)(const PadCopy<T>& c);
  // The output rectangle part `part` of `n_parts` covers, for m rows and n columns.
  PartRange (*part_range)(int m, std::int64_t n, int part, int n_parts);
};

// The portable implementation (any CPU, float and double).
template <typename T>
const GemmIsaOps<T>& gemm_ops_portable();
// AVX2+FMA and AVX-512 (float only); null where the compiler cannot target them.
const GemmIsaOps<float>* gemm_ops_avx2();
const GemmIsaOps<float>* gemm_ops_avx512();

// The widest implementation this CPU runs (cpu_features(); DAE_CPU_BASELINE=1
// forces the portable one).
template <typename T>
const GemmIsaOps<T>& gemm_ops();

}  // namespace dae::kernels::cpu::detail
