// Where a tensor lives: the host (cpu) or a CUDA device (cuda:N).
#pragma once

#include <string>
#include <string_view>

namespace dae {

enum class DeviceType { kCpu, kCuda };

struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;

  static Device cpu() { return Device{DeviceType::kCpu, 0}; }
  static Device cuda(int index = 0) { return Device{DeviceType::kCuda, index}; }
  // Parses "cpu", "cuda" or "cuda:N"; throws dae::ArgumentError otherwise.
  static Device parse(std::string_view text);

  bool is_cpu() const { return type == DeviceType::kCpu; }
  bool is_cuda() const { return type == DeviceType::kCuda; }
  std::string str() const;
  bool operator==(const Device&) const = default;
};

// True when this build contains the CUDA backend.
bool cuda_built();
// Number of CUDA devices usable now (0 without a driver or GPU, or in a CPU-only build).
int cuda_device_count();

}  // namespace dae
