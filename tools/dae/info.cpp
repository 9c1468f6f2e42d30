// dae info: what this build and this machine offer (one `name value` line
// each): the version, the CUDA backend (real, emulated or absent) and its
// devices, the CPU's vector instruction sets and the GEMM kernel in use.
#include <cstdio>

#include "engine/context.h"
#include "engine/device.h"
#include "engine/errors.h"
#include "kernels/cpu/cpu_features.h"
#include "tools/dae/commands.h"
#if DAE_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dae::tool {

void apply_device_options(Device device, const std::string& conv_algo, bool nondeterministic) {
  const kernels::ConvAlgo algo = kernels::parse_conv_algo(conv_algo);
  if (device.is_cpu()) {
    DAE_CHECK(algo == kernels::ConvAlgo::kCustom, ArgumentError, "--conv-algo ", conv_algo,
              " applies to CUDA devices only (the CPU has one convolution implementation)");
    return;
  }
  DeviceContext& ctx = DeviceContext::get(device);
  ctx.set_conv_algo(algo);
  ctx.set_deterministic(!nondeterministic);
}

void add_info_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("info", "Print the build's backends, the CUDA devices and the CPU features");
  cmd->callback([]() {
#if defined(DAE_CUDA_EMULATION)
    const char* backend = "emulated";
#elif DAE_WITH_CUDA
    const char* backend = "nvcc";
#else
    const char* backend = "none";
#endif
    std::printf("version %s\n", DAE_VERSION);
    std::printf("cuda_backend %s\n", backend);
    const int count = cuda_device_count();
    std::printf("cuda_devices %d\n", count);
#if DAE_WITH_CUDA
    for (int i = 0; i < count; ++i) std::printf("cuda:%d %s\n", i, kernels::cuda::device_name(i).c_str());
#endif
    const auto& f = kernels::cpu::cpu_features();
    std::printf("cpu_avx2_fma %d\ncpu_avx512f %d\n", f.avx2_fma ? 1 : 0, f.avx512f ? 1 : 0);
    std::printf("cpu_gemm %s\n", kernels::cpu::gemm_kernel_name());
    std::printf("cpu_threads %d\n", DeviceContext::get(Device::cpu()).num_threads());
  });
}

}  // namespace dae::tool
