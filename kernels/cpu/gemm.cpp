#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/common/macros.h"
#include "kernels/cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dae::kernels::cpu {

namespace {

// Register block: the micro-kernel keeps an MR x NR tile of C in registers
// (6 x 16 floats = 12 AVX registers) and streams an MR-row sliver of A and an
// NR-column sliver of B, both packed contiguously.
constexpr int kMR = 6;
constexpr int kNR = 16;
// Cache blocks: a KC x NR sliver of B (16 KiB) stays in L1, an MC x KC block
// of A (96 KiB) in L2, a KC x NC panel of B (2 MiB) in L3.
constexpr int kKC = 256;
constexpr int kMC = 96;
constexpr int kNC = 2048;

template <typename T>
struct AlignedBuffer {
  T* ptr = nullptr;
  explicit AlignedBuffer(std::size_t count) {
    const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    ptr = static_cast<T*>(std::aligned_alloc(64, bytes > 0 ? bytes : 64));
    if (ptr == nullptr) throw std::bad_alloc();
  }
  ~AlignedBuffer() { std::free(ptr); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

template <typename T>
using MicroKernel = void (*)(int kc, const T* ap, const T* bp, T* c, int ldc, T beta, int mr, int nr);

// Writes an accumulated tile into C: C = acc + beta * C on the mr x nr valid part.
template <typename T>
DAE_ALWAYS_INLINE void store_tile(const T (&acc)[kMR][kNR], T* c, int ldc, T beta, int mr, int nr) {
  for (int i = 0; i < mr; ++i) {
    T* row = c + std::size_t(i) * ldc;
    if (beta == T(0)) {
      for (int j = 0; j < nr; ++j) row[j] = acc[i][j];
    } else {
      for (int j = 0; j < nr; ++j) row[j] = acc[i][j] + beta * row[j];
    }
  }
}

// Portable micro-kernel: plain loops the compiler vectorises for the baseline ISA.
template <typename T>
void micro_kernel_generic(int kc, const T* DAE_RESTRICT ap, const T* DAE_RESTRICT bp, T* c, int ldc, T beta,
                          int mr, int nr) {
  T acc[kMR][kNR] = {};
  for (int p = 0; p < kc; ++p) {
    for (int i = 0; i < kMR; ++i) {
      const T a = ap[i];
      for (int j = 0; j < kNR; ++j) acc[i][j] += a * bp[j];
    }
    ap += kMR;
    bp += kNR;
  }
  store_tile<T>(acc, c, ldc, beta, mr, nr);
}

#if defined(__x86_64__)
// AVX2+FMA micro-kernel: 12 accumulators, 2 loads of B and 6 broadcasts of A
// per k step, i.e. 12 FMAs for 8 loads, enough to keep both FMA ports busy.
__attribute__((target("avx2,fma"))) void micro_kernel_avx2(int kc, const float* DAE_RESTRICT ap,
                                                            const float* DAE_RESTRICT bp, float* c, int ldc,
                                                            float beta, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(bp);
    const __m256 b1 = _mm256_load_ps(bp + 8);
    __m256 a = _mm256_broadcast_ss(ap + 0);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
    ap += kMR;
    bp += kNR;
  }
  if (mr == kMR && nr == kNR) {
    __m256 rows[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (beta == 0.0f) {
      for (int i = 0; i < kMR; ++i) {
        _mm256_storeu_ps(c + std::size_t(i) * ldc, rows[i][0]);
        _mm256_storeu_ps(c + std::size_t(i) * ldc + 8, rows[i][1]);
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      for (int i = 0; i < kMR; ++i) {
        float* row = c + std::size_t(i) * ldc;
        _mm256_storeu_ps(row, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), rows[i][0]));
        _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), rows[i][1]));
      }
    }
    return;
  }
  alignas(32) float acc[kMR][kNR];
  _mm256_store_ps(acc[0], c00); _mm256_store_ps(acc[0] + 8, c01);
  _mm256_store_ps(acc[1], c10); _mm256_store_ps(acc[1] + 8, c11);
  _mm256_store_ps(acc[2], c20); _mm256_store_ps(acc[2] + 8, c21);
  _mm256_store_ps(acc[3], c30); _mm256_store_ps(acc[3] + 8, c31);
  _mm256_store_ps(acc[4], c40); _mm256_store_ps(acc[4] + 8, c41);
  _mm256_store_ps(acc[5], c50); _mm256_store_ps(acc[5] + 8, c51);
  for (int i = 0; i < mr; ++i) {
    float* row = c + std::size_t(i) * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; ++j) row[j] = acc[i][j];
    } else {
      for (int j = 0; j < nr; ++j) row[j] = std::fma(beta, row[j], acc[i][j]);
    }
  }
}
#endif

template <typename T>
MicroKernel<T> pick_micro_kernel() {
  return &micro_kernel_generic<T>;
}
template <>
MicroKernel<float> pick_micro_kernel<float>() {
#if defined(__x86_64__)
  if (cpu_features().avx2_fma) return &micro_kernel_avx2;
#endif
  return &micro_kernel_generic<float>;
}

// Packs rows [i0, i0+mr) x cols [p0, p0+kc) of alpha*op(A) into an MR-row
// sliver: ap[p * MR + r], zero rows past mr.
template <typename T>
void pack_a(bool trans_a, const T* a, int lda, int i0, int mr, int p0, int kc, T alpha, T* DAE_RESTRICT ap) {
  for (int p = 0; p < kc; ++p) {
    for (int r = 0; r < kMR; ++r) {
      T v = T(0);
      if (r < mr) {
        const std::size_t i = std::size_t(i0 + r), q = std::size_t(p0 + p);
        v = trans_a ? a[q * lda + i] : a[i * lda + q];
      }
      ap[p * kMR + r] = alpha * v;
    }
  }
}

// Packs rows [p0, p0+kc) x cols [j0, j0+nr) of op(B) into an NR-column sliver:
// bp[p * NR + c], zero columns past nr.
template <typename T>
void pack_b(bool trans_b, const T* b, int ldb, int p0, int kc, int j0, int nr, T* DAE_RESTRICT bp) {
  if (!trans_b && nr == kNR) {
    for (int p = 0; p < kc; ++p) std::memcpy(bp + p * kNR, b + std::size_t(p0 + p) * ldb + j0, sizeof(T) * kNR);
    return;
  }
  for (int p = 0; p < kc; ++p) {
    for (int col = 0; col < kNR; ++col) {
      T v = T(0);
      if (col < nr) {
        const std::size_t j = std::size_t(j0 + col), q = std::size_t(p0 + p);
        v = trans_b ? b[j * ldb + q] : b[q * ldb + j];
      }
      bp[p * kNR + col] = v;
    }
  }
}

template <typename T>
void scale_c(int m, int n, T beta, T* c, int ldc) {
  for (int i = 0; i < m; ++i) {
    T* row = c + std::size_t(i) * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else {
      for (int j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

template <typename T>
void gemm(const Exec& ex, bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda,
          const T* b, int ldb, T beta, T* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const MicroKernel<T> kernel = pick_micro_kernel<T>();
  const int nc_max = std::min(n, kNC);
  const int kc_max = std::min(k, kKC);
  const int m_slivers_total = (m + kMR - 1) / kMR;
  const int nc_slivers_max = (nc_max + kNR - 1) / kNR;
  // Packed A for all of M (one KC slice at a time) and packed B for one NC x KC panel.
  AlignedBuffer<T> a_packed(std::size_t(m_slivers_total) * kMR * kc_max);
  AlignedBuffer<T> b_packed(std::size_t(nc_slivers_max) * kNR * kc_max);
  T* const ap_all = a_packed.ptr;
  T* const bp_all = b_packed.ptr;

  const long flops = long(m) * n * k;
  const int n_threads = flops < (1L << 18) ? 1 : std::max(1, ex.n_threads);

#pragma omp parallel num_threads(n_threads)
  for (int jc = 0; jc < n; jc += kNC) {
    const int nc = std::min(kNC, n - jc);
    const int n_slivers = (nc + kNR - 1) / kNR;
    for (int pc = 0; pc < k; pc += kKC) {
      const int kc = std::min(kKC, k - pc);
      const T beta_eff = pc == 0 ? beta : T(1);
      // Pack B's panel and all of A's KC slice; both are shared by every thread.
#pragma omp for schedule(static) nowait
      for (int s = 0; s < n_slivers; ++s) {
        pack_b(trans_b, b, ldb, pc, kc, jc + s * kNR, std::min(kNR, nc - s * kNR), bp_all + std::size_t(s) * kNR * kc);
      }
#pragma omp for schedule(static)
      for (int s = 0; s < m_slivers_total; ++s) {
        pack_a(trans_a, a, lda, s * kMR, std::min(kMR, m - s * kMR), pc, kc, alpha,
               ap_all + std::size_t(s) * kMR * kc);
      }
      // (implicit barrier: packing done before anyone computes)
      for (int ic = 0; ic < m; ic += kMC) {
        const int mc = std::min(kMC, m - ic);
        const int m_slivers = (mc + kMR - 1) / kMR;
        // Each thread takes a contiguous range of B slivers and sweeps the
        // L2-resident block of A over them.
#pragma omp for schedule(static) nowait
        for (int js = 0; js < n_slivers; ++js) {
          const int j0 = js * kNR;
          const int nr = std::min(kNR, nc - j0);
          const T* bp = bp_all + std::size_t(js) * kNR * kc;
          for (int is = 0; is < m_slivers; ++is) {
            const int i0 = ic + is * kMR;
            const int mr = std::min(kMR, m - i0);
            const T* ap = ap_all + std::size_t(i0 / kMR) * kMR * kc;
            kernel(kc, ap, bp, c + std::size_t(i0) * ldc + jc + j0, ldc, beta_eff, mr, nr);
          }
        }
      }
      // Everyone must finish with these packed buffers before they are refilled.
#pragma omp barrier
    }
  }
}

template void gemm<float>(const Exec&, bool, bool, int, int, int, float, const float*, int, const float*, int, float,
                          float*, int);
template void gemm<double>(const Exec&, bool, bool, int, int, int, double, const double*, int, const double*, int,
                           double, double*, int);

const char* gemm_kernel_name() {
#if defined(__x86_64__)
  if (cpu_features().avx2_fma) return "avx2-fma 6x16";
#endif
  return "generic 6x16";
}

}  // namespace dae::kernels::cpu
