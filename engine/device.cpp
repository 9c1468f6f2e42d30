#include "engine/device.h"

#include <charconv>

#include "engine/errors.h"

#if DAE_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace dae {

Device Device::parse(std::string_view text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.starts_with("cuda:")) {
    const std::string_view rest = text.substr(5);
    int index = -1;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (ec == std::errc() && end == rest.data() + rest.size() && index >= 0) return cuda(index);
  }
  throw ArgumentError("unknown device '" + std::string(text) + "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

bool cuda_built() { return DAE_WITH_CUDA != 0; }

int cuda_device_count() {
#if DAE_WITH_CUDA
  return kernels::cuda::device_count();
#else
  return 0;
#endif
}

}  // namespace dae
