// General matrix product on the CPU, row-major:
//
//   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C
//
// op(A) = A (m x k, row stride lda) or, with trans_a, A^T where A is k x m.
// op(B) = B (k x n, row stride ldb) or, with trans_b, B^T where B is n x k.
// With beta == 0, C is written without being read (it may hold garbage).
//
// Float uses a packed, cache-blocked algorithm (the Goto/BLIS scheme,
// kernels/cpu/gemm_driver.h) with a register-blocked micro-kernel picked at
// run time: AVX-512 8x48 or AVX2+FMA 6x16 where the CPU has it, a portable
// 6x16 otherwise (DAE_CPU_BASELINE=1 forces it). Double (used by the gradient
// checks) runs the same blocking with the portable micro-kernel. Up to
// ex.n_threads OpenMP threads share the work; pass n_threads = 1 inside a
// parallel region. The result does not depend on the thread count (each C
// element is summed by one thread, over fixed depth blocks, in order).
#pragma once

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

template <typename T>
void gemm(const Exec& ex, bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda,
          const T* b, int ldb, T beta, T* c, int ldc);

}  // namespace dae::kernels::cpu
