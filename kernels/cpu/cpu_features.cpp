#include "kernels/cpu/cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace dae::kernels::cpu {

namespace {
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
#endif
  // DAE_CPU_BASELINE=1 forces the portable kernels and DAE_CPU_NO_AVX512=1
  // the AVX2 ones (to test each path on any machine that has it).
  if (const char* env = std::getenv("DAE_CPU_BASELINE"); env != nullptr && std::strcmp(env, "1") == 0) {
    f.avx2_fma = false;
    f.avx512f = false;
  }
  if (const char* env = std::getenv("DAE_CPU_NO_AVX512"); env != nullptr && std::strcmp(env, "1") == 0) {
    f.avx512f = false;
  }
  return f;
}
}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace dae::kernels::cpu
