// Which vector instruction sets this CPU offers, read once from CPUID. The
// project is compiled for a portable x86-64-v2 baseline; kernels that have
// wider versions (AVX2+FMA, AVX-512) pick them at run time from here.
// DAE_CPU_BASELINE=1 in the environment reports neither (the portable paths
// run), DAE_CPU_NO_AVX512=1 reports no AVX-512 (the AVX2 paths run).
#pragma once

namespace dae::kernels::cpu {

struct CpuFeatures {
  bool avx2_fma = false;
  bool avx512f = false;
};

const CpuFeatures& cpu_features();

// Name of the GEMM micro-kernel in use ("avx512 8x48", "avx2-fma 6x16", "generic 6x16").
const char* gemm_kernel_name();

}  // namespace dae::kernels::cpu
