// The GEMM core shared by every convolution pass (device code, for .cu files
// only). docs/kernels/conv2d.md walks through it.
//
// A convolution pass is a matrix product C[M x N] = sum_k A[m][k] B[k][n]
// whose operands are never stored: a "job" (see conv_problems.cuh) says how
// to fetch A[m][k] and B[k][n] from the tensors (im2col on the fly) and
// where C[m][n] goes. This file only knows about tiles.
//
// Tiling. One block of 256 threads computes one kTileM x kTileN tile of C
// (64 x 64; 32 x 128 or 16 x 256 when M is small). It walks the reduction in
// steps of kTileK = 16:
//
//        k ->                                 n ->
//   m  [ A tile  kTileM x 16 ]     x    k [ B tile  16 x kTileN ]
//   |
//
// Both tiles are copied from global memory into shared memory once and then
// read by every thread many times: each A element is used kTileN times and
// each B element kTileM times from fast on-chip memory, instead of once per
// global load as in the naive one-thread-per-output kernel.
//
// Register blocking. Thread (tr, tc) of the 256 keeps a 4 x 4 micro-tile of
// C in registers: rows m = tr + kThreadRows * i, columns n = tc + kThreadCols * j
// (i, j < 4; interleaved, so that a warp reads consecutive shared-memory
// words without bank conflicts and writes consecutive addresses of C). Per
// step of k it reads 4 values of A and 4 of B from shared memory and does 16
// fused multiply-adds: 2 FMAs per shared load instead of 1/2.
//
// Double buffering. There are two copies of each shared tile. While the
// threads multiply the tile in buffer `b`, they have already issued the
// global loads of the next tile into registers (the "stage"), and store them
// into buffer `b ^ 1` after the multiply; one barrier per step then makes
// the new tile visible. The global-memory latency hides behind the math.
//
// Loading. The 16 x kTileM (A) and 16 x kTileN (B) elements of a step are
// spread over the 256 threads in one of two orders, whichever makes
// neighbouring threads read neighbouring addresses in the tensor:
//   along K: slot s of thread t holds row t/16 + 16 s, k = t % 16
//   along M (or N): slot s holds row t % kTileM, k = t / kTileM + (256 / kTileM) s
// A job declares its order with kALoadsAlongK / kBLoadsAlongN. The row (or
// column) of a slot never changes during the k walk, so whatever the job
// derives from it (which image, which output pixel) is computed once, before
// the loop (a_row / b_col), and only the k part per step.
//
// Shared-memory rows have kTileM + 2 (kTileN + 2) floats: with a row length
// of 2 (mod 32) words, the 32 threads of a warp storing along K (16 k values
// x 2 rows) hit 32 different banks.
#pragma once

#include "kernels/cuda/cuda_compat.h"

namespace dae::kernels::cuda::gemm {

constexpr int kThreads = 256;
constexpr int kTileK = 16;
constexpr int kMicro = 4;       // each thread computes kMicro x kMicro outputs
constexpr int kSharedPad = 2;   // extra floats per shared row (bank conflicts, see above)

// How the kTileK x kWidth elements of one operand tile map onto the threads.
// kWidth is the tile's extent in M (for A) or N (for B); it divides 256.
template <bool kAlongK, int kWidth>
struct SlotMap {
  static_assert(kThreads % kWidth == 0 && kWidth * kTileK >= kThreads, "tile width must divide 256 and be >= 16");
  static constexpr int kSlots = kWidth * kTileK / kThreads;  // elements per thread per step
  // Distinct rows (A) / columns (B) a thread loads: one per slot along K, one in all otherwise.
  static constexpr int kLines = kAlongK ? kSlots : 1;

  // Row (A) / column (B) of slot s, inside the tile.
  __device__ __forceinline__ static int line(int t, int s) {
    return kAlongK ? t / kTileK + (kThreads / kTileK) * s : t % kWidth;
  }
  // k of slot s, inside the step.
  __device__ __forceinline__ static int k_in_step(int t, int s) {
    return kAlongK ? t % kTileK : t / kWidth + (kThreads / kWidth) * s;
  }
  __device__ __forceinline__ static int line_of_slot(int s) { return kAlongK ? s : 0; }
};

// Computes the tile of C whose top-left corner is (m0, n0) for `job`, summing
// k over [job.k_begin, job.k_end), and hands each element to job.store.
// Called by all 256 threads of the block (it contains barriers).
template <int kTileM, int kTileN, class Job>
__device__ __forceinline__ void gemm_tile(const Job& job, int m0, int n0) {
  constexpr int kThreadCols = kTileN / kMicro;  // threads side by side along N
  constexpr int kThreadRows = kTileM / kMicro;  // ... and along M
  static_assert(kThreadCols * kThreadRows == kThreads, "the tile must hold 4 x 4 outputs per thread");
  using MapA = SlotMap<Job::kALoadsAlongK, kTileM>;
  using MapB = SlotMap<!Job::kBLoadsAlongN, kTileN>;

  // Two buffers of each tile, stacked: rows [0, 16) are buffer 0, [16, 32) buffer 1.
  DAE_SHARED_ARRAY2(float, a_tile, 2 * kTileK, kTileM + kSharedPad);  // a_tile[k][m]
  DAE_SHARED_ARRAY2(float, b_tile, 2 * kTileK, kTileN + kSharedPad);  // b_tile[k][n]

  const int t = int(threadIdx.x);

  // What each load slot needs about its fixed row of A / column of B.
  typename Job::ARow a_rows[MapA::kLines];
  bool a_row_ok[MapA::kLines];
#pragma unroll
  for (int l = 0; l < MapA::kLines; ++l) {
    const int m = m0 + MapA::line(t, l);
    a_row_ok[l] = m < job.M;
    a_rows[l] = job.a_row(a_row_ok[l] ? m : 0);
  }
  typename Job::BCol b_cols[MapB::kLines];
  bool b_col_ok[MapB::kLines];
#pragma unroll
  for (int l = 0; l < MapB::kLines; ++l) {
    const int n = n0 + MapB::line(t, l);
    b_col_ok[l] = n < job.N;
    b_cols[l] = job.b_col(b_col_ok[l] ? n : 0);
  }

  float a_stage[MapA::kSlots];
  float b_stage[MapB::kSlots];
  // Global -> registers: the step starting at k0. Outside the matrix: 0.
  auto fetch = [&](int k0) {
#pragma unroll
    for (int s = 0; s < MapA::kSlots; ++s) {
      const int l = MapA::line_of_slot(s);
      const int k = k0 + MapA::k_in_step(t, s);
      a_stage[s] = (a_row_ok[l] && k < job.k_end) ? job.load_a(a_rows[l], k) : 0.0f;
    }
#pragma unroll
    for (int s = 0; s < MapB::kSlots; ++s) {
      const int l = MapB::line_of_slot(s);
      const int k = k0 + MapB::k_in_step(t, s);
      b_stage[s] = (b_col_ok[l] && k < job.k_end) ? job.load_b(k, b_cols[l]) : 0.0f;
    }
  };
  // Registers -> shared buffer `buffer`.
  auto stash = [&](int buffer) {
#pragma unroll
    for (int s = 0; s < MapA::kSlots; ++s) {
      a_tile[buffer * kTileK + MapA::k_in_step(t, s)][MapA::line(t, s)] = a_stage[s];
    }
#pragma unroll
    for (int s = 0; s < MapB::kSlots; ++s) {
      b_tile[buffer * kTileK + MapB::k_in_step(t, s)][MapB::line(t, s)] = b_stage[s];
    }
  };

  const int tr = t / kThreadCols;  // this thread's micro-tile: rows tr + kThreadRows * i
  const int tc = t % kThreadCols;  //                           columns tc + kThreadCols * j
  float acc[kMicro][kMicro];
#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
#pragma unroll
    for (int j = 0; j < kMicro; ++j) acc[i][j] = 0.0f;
  }

  const int n_steps = (job.k_end - job.k_begin + kTileK - 1) / kTileK;  // the same for the whole block
  if (n_steps > 0) {
    fetch(job.k_begin);
    stash(0);
    __syncthreads();  // the first tile is in buffer 0 before anyone multiplies it
  }
  for (int step = 0; step < n_steps; ++step) {
    const int buffer = step & 1;
    const bool more = step + 1 < n_steps;
    if (more) fetch(job.k_begin + (step + 1) * kTileK);  // in flight during the multiply below
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kMicro], b[kMicro];
#pragma unroll
      for (int i = 0; i < kMicro; ++i) a[i] = a_tile[buffer * kTileK + kk][tr + kThreadRows * i];
#pragma unroll
      for (int j = 0; j < kMicro; ++j) b[j] = b_tile[buffer * kTileK + kk][tc + kThreadCols * j];
#pragma unroll
      for (int i = 0; i < kMicro; ++i) {
#pragma unroll
        for (int j = 0; j < kMicro; ++j) acc[i][j] += a[i] * b[j];
      }
    }
    if (more) stash(buffer ^ 1);
    // The next tile is complete in buffer ^ 1 before the next step reads it.
    // It also keeps buffer `buffer` alive: nobody overwrites it (two steps
    // from now) before every thread has finished multiplying it.
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const int m = m0 + tr + kThreadRows * i;
#pragma unroll
    for (int j = 0; j < kMicro; ++j) {
      const int n = n0 + tc + kThreadCols * j;
      if (m < job.M && n < job.N) job.store(m, n, acc[i][j]);
    }
  }
}

// One block per (tile of N, tile of M, blockIdx.z). `problem.job(z)` gives
// the GEMM of slice z (a stride phase, a split of the reduction) with its
// M, N and k range; blocks past that job's M or N return at once (the whole
// block, before any barrier).
template <int kTileM, int kTileN, class Problem>
__global__ void __launch_bounds__(kThreads) implicit_gemm_kernel(const Problem problem) {
  const auto job = problem.job(int(blockIdx.z));
  const int m0 = int(blockIdx.y) * kTileM;
  const int n0 = int(blockIdx.x) * kTileN;
  if (m0 >= job.M || n0 >= job.N) return;
  gemm_tile<kTileM, kTileN>(job, m0, n0);
}

}  // namespace dae::kernels::cuda::gemm
