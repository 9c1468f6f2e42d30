#include "kernels/emu/kernel_registry.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "kernels/emu/device_limits.h"

namespace dae::emu {

namespace {

// The registry of the emulated device, like the CUDA driver's per-function state.
struct Registry {
  std::mutex mutex;
  std::unordered_map<const void*, KernelInfo> kernels;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: launches may run during static destruction
  return *r;
}

}  // namespace

KernelInfo kernel_info(const void* kernel) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.kernels.find(kernel);
  return it != r.kernels.end() ? it->second : KernelInfo{};
}

void set_max_dynamic_shared_bytes(const void* kernel, int bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.kernels[kernel].max_dynamic_shared_bytes = bytes;
}

void note_static_shared_bytes(const void* kernel, std::size_t bytes) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  KernelInfo& info = r.kernels[kernel];
  info.static_shared_bytes = std::max(info.static_shared_bytes, bytes);
}

std::string shared_memory_problem(std::size_t static_bytes, std::size_t dynamic_bytes, int max_dynamic_attribute) {
  const auto n = [](std::size_t v) { return std::to_string(v); };
  if (static_bytes > kSharedBytesDefault) {
    return n(static_bytes) + " bytes of static shared memory exceed the limit of " + n(kSharedBytesDefault) +
           " bytes (nvcc refuses to compile this)";
  }
  if (max_dynamic_attribute < 0) {
    if (static_bytes + dynamic_bytes > kSharedBytesDefault) {
      return n(static_bytes) + " bytes of static plus " + n(dynamic_bytes) +
             " bytes of dynamic shared memory exceed the default limit of " + n(kSharedBytesDefault) +
             " bytes per block (opt in with cudaFuncSetAttribute(kernel, "
             "cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), up to " +
             n(kSharedBytesOptin) + " bytes in all)";
    }
    return "";
  }
  if (dynamic_bytes > std::size_t(max_dynamic_attribute)) {
    return n(dynamic_bytes) + " bytes of dynamic shared memory exceed the kernel's "
           "cudaFuncAttributeMaxDynamicSharedMemorySize of " + n(std::size_t(max_dynamic_attribute)) + " bytes";
  }
  if (static_bytes + dynamic_bytes > kSharedBytesOptin) {
    return n(static_bytes) + " bytes of static plus " + n(dynamic_bytes) +
           " bytes of dynamic shared memory exceed the limit of " + n(kSharedBytesOptin) + " bytes per block";
  }
  return "";
}

}  // namespace dae::emu
