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
  // DAE_CPU_BASELINE=1 forces the portable kernels (to test them on any machine).
  if (const char* env = std::getenv("DAE_CPU_BASELINE"); env != nullptr && std::strcmp(env, "1") == 0) {
    f.avx2_fma = false;
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
