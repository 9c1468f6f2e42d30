// The three passes of a convolution as implicit GEMMs for gemm_tile
// (implicit_gemm.cuh). Device code, for .cu files only.
//
// Notation: x [batch, C_in, H, W], weight [C_out, C_in, KH, KW],
// y [batch, C_out, OH, OW], stride s, padding p; taps = KH * KW;
// y[b][co][oy][ox] = sum_{ci, ky, kx} w[co][ci][ky][kx] x[b][ci][oy*s - p + ky][ox*s - p + kx].
//
//   pass             M       N                  K (reduction)        A            B
//   forward          C_out   batch*OH*OW        C_in*taps            weight       im2col(x)
//   backward data    C_in    batch*H*W / s^2    C_out*taps / s^2     weight^T     gathered grad_y
//   backward weight  C_out   C_in*taps          batch*OH*OW          grad_y       im2col(x)^T
//
// A job provides M, N, [k_begin, k_end), the load orders, and
//   ARow a_row(m), float load_a(ARow, k)     A[m][k]
//   BCol b_col(n), float load_b(k, BCol)     B[k][n]
//   void store(m, n, value)                  C[m][n]
// where a_row / b_col hold what is fixed along the k walk (computed once per
// thread) and load_a / load_b decode k. Every index is below 2^31 (checked
// by the launchers), so 32-bit arithmetic and FastDivmod suffice.
#pragma once

#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/fast_divmod.h"

namespace dae::kernels::cuda::gemm {

// Sizes of one convolution, and divisors prepared on the host.
struct ConvGeometry {
  int batch, in_channels, out_channels;
  int in_height, in_width, out_height, out_width;
  int kernel_h, kernel_w, stride, padding;
  int in_plane, out_plane, taps;  // H*W, OH*OW, KH*KW
  FastDivmod by_out_plane, by_out_width, by_taps, by_kernel_w;
};

__device__ __forceinline__ bool inside(int i, int extent) { return unsigned(i) < unsigned(extent); }

// ---- forward: y = conv(x, w) (+ bias) ---------------------------------------
// A[co][k] = w[co][k] (the weight is already a row-major [C_out][C_in*taps] matrix)
// B[k][n]  = x[b][ci][oy*s - p + ky][ox*s - p + kx], k = (ci, ky, kx), n = (b, oy, ox)
// C[co][n] -> y[b][co][oy][ox] + bias[co]
struct ConvForwardProblem {
  ConvGeometry g;
  const float* x;
  const float* weight;
  const float* bias;  // may be null
  float* y;
  int M, N, K;      // C_out, batch*OH*OW, C_in*taps
  int k_begin, k_end;  // 0, K

  static constexpr bool kALoadsAlongK = true;  // a weight row is contiguous in k
  static constexpr bool kBLoadsAlongN = true;  // neighbouring n are neighbouring output pixels

  __device__ ConvForwardProblem job(int) const { return *this; }

  struct ARow {
    const float* row;
  };
  __device__ ARow a_row(int m) const { return ARow{weight + m * K}; }
  __device__ float load_a(const ARow& r, int k) const { return r.row[k]; }

  struct BCol {
    const float* image;  // x[b]
    int iy0, ix0;        // top-left input pixel of output pixel (oy, ox)'s window
  };
  __device__ BCol b_col(int n) const {
    int b, pixel, oy, ox;
    g.by_out_plane.divmod(n, b, pixel);
    g.by_out_width.divmod(pixel, oy, ox);
    return BCol{x + b * g.in_channels * g.in_plane, oy * g.stride - g.padding, ox * g.stride - g.padding};
  }
  __device__ float load_b(int k, const BCol& c) const {
    int ci, tap, ky, kx;
    g.by_taps.divmod(k, ci, tap);
    g.by_kernel_w.divmod(tap, ky, kx);
    const int iy = c.iy0 + ky, ix = c.ix0 + kx;
    return inside(iy, g.in_height) && inside(ix, g.in_width) ? c.image[(ci * g.in_height + iy) * g.in_width + ix]
                                                              : 0.0f;
  }

  __device__ void store(int m, int n, float value) const {
    int b, pixel;
    g.by_out_plane.divmod(n, b, pixel);
    y[(b * g.out_channels + m) * g.out_plane + pixel] = bias != nullptr ? value + bias[m] : value;
  }
};

// ---- backward data: grad_x = conv^T(grad_y, w) (+ bias), by gathering ------
// grad_x[b][ci][iy][ix] = sum over (co, ky, kx) with iy = oy*s - p + ky (and
// likewise x) of grad_y[b][co][oy][ox] w[co][ci][ky][kx].
//
// For stride s only one kernel row in s can reach a given input row: ky must
// be congruent to iy + p modulo s. So the input pixels are split into s*s
// phases (py, px) = (iy % s, ix % s), one blockIdx.z each; in phase py the
// taps are ky = ry + s*ty with ry = (py + p) % s, and with qy = (py + p) / s
//     iy = py + s*jy   <-   oy = jy - ty + qy.
// Each phase is a dense GEMM without the zero taps a naive gather would
// multiply: M = C_in, N = batch * Hp * Wp (its pixels), K = C_out * Ty * Tx (its taps).
//   A[ci][k] = w[co][ci][ry + s*ty][rx + s*tx],  k = (co, ty, tx)
//   B[k][n]  = grad_y[b][co][jy - ty + qy][jx - tx + qx] (0 outside),  n = (b, jy, jx)
//   C[ci][n] -> grad_x[b][ci][py + s*jy][px + s*jx] + bias[ci]
struct ConvBackwardDataProblem {
  ConvGeometry g;
  const float* grad_y;
  const float* weight;
  const float* bias;  // may be null (it is set when this computes a transposed convolution)
  float* grad_x;

  static constexpr bool kALoadsAlongK = true;
  static constexpr bool kBLoadsAlongN = true;

  // One stride phase.
  struct Job {
    int M, N, k_begin, k_end;
    int phase_y, phase_x;  // (py, px)
    int tap_y0, tap_x0;    // (ry, rx): the first kernel row / column of this phase
    int shift_y, shift_x;  // (qy, qx)
    int taps_x;            // Tx
    int phase_width;       // Wp
    FastDivmod by_phase_taps, by_taps_x, by_phase_plane, by_phase_width;
    ConvGeometry g;
    const float* grad_y;
    const float* weight;
    const float* bias;
    float* grad_x;

    static constexpr bool kALoadsAlongK = true;  // neighbouring taps are (mostly) neighbouring weights
    static constexpr bool kBLoadsAlongN = true;  // neighbouring n are neighbouring grad_y pixels

    struct ARow {
      int ci;
    };
    __device__ ARow a_row(int m) const { return ARow{m}; }
    __device__ float load_a(const ARow& r, int k) const {
      int co, tap, ty, tx;
      by_phase_taps.divmod(k, co, tap);
      by_taps_x.divmod(tap, ty, tx);
      const int ky = tap_y0 + g.stride * ty, kx = tap_x0 + g.stride * tx;
      return weight[((co * g.in_channels + r.ci) * g.kernel_h + ky) * g.kernel_w + kx];
    }

    struct BCol {
      const float* image;  // grad_y[b]
      int oy0, ox0;        // jy + qy, jx + qx
    };
    __device__ BCol b_col(int n) const {
      int b, pixel, jy, jx;
      by_phase_plane.divmod(n, b, pixel);
      by_phase_width.divmod(pixel, jy, jx);
      return BCol{grad_y + b * g.out_channels * g.out_plane, jy + shift_y, jx + shift_x};
    }
    __device__ float load_b(int k, const BCol& c) const {
      int co, tap, ty, tx;
      by_phase_taps.divmod(k, co, tap);
      by_taps_x.divmod(tap, ty, tx);
      const int oy = c.oy0 - ty, ox = c.ox0 - tx;
      return inside(oy, g.out_height) && inside(ox, g.out_width)
                 ? c.image[(co * g.out_height + oy) * g.out_width + ox]
                 : 0.0f;
    }

    __device__ void store(int m, int n, float value) const {
      int b, pixel, jy, jx;
      by_phase_plane.divmod(n, b, pixel);
      by_phase_width.divmod(pixel, jy, jx);
      const int iy = phase_y + g.stride * jy, ix = phase_x + g.stride * jx;
      grad_x[((b * g.in_channels + m) * g.in_height + iy) * g.in_width + ix] =
          bias != nullptr ? value + bias[m] : value;
    }
  };

  // Phase z = py * s + px.
  __device__ Job job(int z) const {
    Job j;
    const int s = g.stride;
    j.phase_y = z / s;
    j.phase_x = z % s;
    j.tap_y0 = (j.phase_y + g.padding) % s;
    j.tap_x0 = (j.phase_x + g.padding) % s;
    j.shift_y = (j.phase_y + g.padding) / s;
    j.shift_x = (j.phase_x + g.padding) / s;
    // Kernel rows ry, ry + s, ... below KH; input rows py, py + s, ... below H.
    const int taps_y = j.tap_y0 < g.kernel_h ? (g.kernel_h - j.tap_y0 + s - 1) / s : 0;
    j.taps_x = j.tap_x0 < g.kernel_w ? (g.kernel_w - j.tap_x0 + s - 1) / s : 0;
    const int phase_height = j.phase_y < g.in_height ? (g.in_height - j.phase_y + s - 1) / s : 0;
    j.phase_width = j.phase_x < g.in_width ? (g.in_width - j.phase_x + s - 1) / s : 0;
    j.M = g.in_channels;
    j.N = g.batch * phase_height * j.phase_width;
    j.k_begin = 0;
    j.k_end = g.out_channels * taps_y * j.taps_x;  // 0 when no tap reaches this phase: it stores zeros
    j.by_phase_taps = FastDivmod(taps_y * j.taps_x);
    j.by_taps_x = FastDivmod(j.taps_x);
    j.by_phase_plane = FastDivmod(phase_height * j.phase_width);
    j.by_phase_width = FastDivmod(j.phase_width);
    j.g = g;
    j.grad_y = grad_y;
    j.weight = weight;
    j.bias = bias;
    j.grad_x = grad_x;
    return j;
  }
};

// ---- backward weight: grad_w = sum over batch and pixels --------------------
// A[co][k] = grad_y[b][co][oy][ox], k = (b, oy, ox) (the reduction runs over images and pixels)
// B[k][n]  = x[b][ci][oy*s - p + ky][ox*s - p + kx], n = (ci, ky, kx)
// C[co][n] -> out[z][co][n]
// The reduction is long (batch*OH*OW) and the output small, so it is split
// into fixed chunks of `chunk` k values, one blockIdx.z each, written to
// their own slice of `out` (partial sums, added in order afterwards), or
// added into out[0] with atomics when `accumulate` (non-deterministic mode).
struct ConvBackwardWeightProblem {
  ConvGeometry g;
  const float* x;
  const float* grad_y;
  float* out;  // [splits][C_out][C_in*taps]
  int M, N, K, chunk;
  bool accumulate;

  static constexpr bool kALoadsAlongK = true;   // a grad_y plane is contiguous in k
  static constexpr bool kBLoadsAlongN = false;  // ... and so is an input row: load B along k too

  struct Job {
    ConvGeometry g;
    const float* x;
    const float* grad_y;
    float* out;  // this split's slice
    int M, N, k_begin, k_end;
    bool accumulate;

    static constexpr bool kALoadsAlongK = true;
    static constexpr bool kBLoadsAlongN = false;

    struct ARow {
      const float* plane;  // grad_y[0][co]
    };
    __device__ ARow a_row(int m) const { return ARow{grad_y + m * g.out_plane}; }
    __device__ float load_a(const ARow& r, int k) const {
      int b, pixel;
      g.by_out_plane.divmod(k, b, pixel);
      return r.plane[b * g.out_channels * g.out_plane + pixel];
    }

    struct BCol {
      int channel_offset;  // ci * H * W
      int dy, dx;          // ky - p, kx - p
    };
    __device__ BCol b_col(int n) const {
      int ci, tap, ky, kx;
      g.by_taps.divmod(n, ci, tap);
      g.by_kernel_w.divmod(tap, ky, kx);
      return BCol{ci * g.in_plane, ky - g.padding, kx - g.padding};
    }
    __device__ float load_b(int k, const BCol& c) const {
      int b, pixel, oy, ox;
      g.by_out_plane.divmod(k, b, pixel);
      g.by_out_width.divmod(pixel, oy, ox);
      const int iy = oy * g.stride + c.dy, ix = ox * g.stride + c.dx;
      return inside(iy, g.in_height) && inside(ix, g.in_width)
                 ? x[b * g.in_channels * g.in_plane + c.channel_offset + iy * g.in_width + ix]
                 : 0.0f;
    }

    __device__ void store(int m, int n, float value) const {
      if (accumulate) {
        atomicAdd(out + m * N + n, value);  // only when Exec::deterministic is false
      } else {
        out[m * N + n] = value;
      }
    }
  };

  __device__ Job job(int z) const {
    Job j;
    j.g = g;
    j.x = x;
    j.grad_y = grad_y;
    j.out = accumulate ? out : out + z * M * N;
    j.M = M;
    j.N = N;
    j.k_begin = z * chunk;
    j.k_end = min(K, j.k_begin + chunk);
    j.accumulate = accumulate;
    return j;
  }
};

}  // namespace dae::kernels::cuda::gemm
