// Which vector instruction sets this CPU offers, read once from CPUID. The
// project is compiled for a portable x86-64-v2 baseline; kernels that have
// wider versions (AVX2+FMA, AVX-512) pick them at run time from here.
#pragma once

namespace dae::kernels::cpu {

struct CpuFeatures {
  bool avx2_fma = false;
  bool avx512f = false;
};

const CpuFeatures& cpu_features();

// Name of the widest GEMM micro-kernel in use ("avx2-fma 6x16", "generic 4x16").
const char* gemm_kernel_name();

}  // namespace dae::kernels::cpu
