#include "kernels/cpu/gemm.h"

#include <algorithm>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm_problems.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

namespace detail {

template <>
const GemmIsaOps<float>& gemm_ops<float>() {
  static const GemmIsaOps<float>* const ops = [] {
    const CpuFeatures& f = cpu_features();  // all false under DAE_CPU_BASELINE=1
    if (f.avx512f && gemm_ops_avx512() != nullptr) return gemm_ops_avx512();
    if (f.avx2_fma && gemm_ops_avx2() != nullptr) return gemm_ops_avx2();
    return &gemm_ops_portable<float>();
  }();
  return *ops;
}

template <>
const GemmIsaOps<double>& gemm_ops<double>() {
  return gemm_ops_portable<double>();
}

}  // namespace detail

template <typename T>
void gemm(const Exec& ex, bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda, const T* b,
          int ldb, T beta, T* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  detail::MatrixProblem<T> p;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.m = m;
  p.n = n;
  // With alpha == 0 the product is not formed: C = beta * C (as with k == 0).
  p.k = alpha == T(0) ? 0 : std::max(k, 0);
  p.alpha = alpha;
  p.a = a;
  p.lda = lda;
  p.b = b;
  p.ldb = ldb;
  p.beta = beta;
  p.c = c;
  p.ldc = ldc;
  const detail::GemmIsaOps<T>& ops = detail::gemm_ops<T>();
  run_parts(ex, 2.0 * m * n * double(std::max(p.k, 1)), [&](int part, int n_parts) { ops.matrix(p, part, n_parts); });
}

template void gemm<float>(const Exec&, bool, bool, int, int, int, float, const float*, int, const float*, int, float,
                          float*, int);
template void gemm<double>(const Exec&, bool, bool, int, int, int, double, const double*, int, const double*, int,
                           double, double*, int);

const char* gemm_kernel_name() { return detail::gemm_ops<float>().name; }

}  // namespace dae::kernels::cpu
