// One DeviceContext per device: it owns what kernels need to run there (the
// CPU thread count; the CUDA stream, the caching allocator and the cuBLAS /
// cuDNN handles) and hands it to them as a kernels::Exec. Ops find the
// context from their tensors' device; kernels receive it explicitly and
// reach for nothing else.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/device.h"
#include "kernels/common/exec.h"

namespace dae {

class DeviceContext : public kernels::Scratch, public kernels::LibraryHandles {
 public:
  // The context of `device`, created on first use. Throws dae::DeviceError
  // (one clear message) when the device cannot be used: a CPU-only build, no
  // driver or no GPU, an index past the device count.
  static DeviceContext& get(Device device);

  Device device() const { return device_; }
  const kernels::Exec& exec() const { return exec_; }

  // Raw memory for tensor storage: 64-byte aligned host memory on the CPU,
  // stream-ordered cached device memory on CUDA.
  void* allocate(std::size_t bytes);
  void deallocate(void* ptr, std::size_t bytes) noexcept;

  // Copies between this device and the host (blocking) or within this device.
  void copy_to_host(void* host_dst, const void* src, std::size_t bytes);
  void copy_from_host(void* dst, const void* host_src, std::size_t bytes);
  void copy_within(void* dst, const void* src, std::size_t bytes);

  // Waits until all work queued on this device has finished.
  void synchronize();

  // CPU: number of OpenMP threads kernels may use (default: all cores).
  void set_num_threads(int n_threads);
  int num_threads() const { return exec_.n_threads; }

  // CUDA: which implementation the convolutions use (kernels::ConvAlgo:
  // custom, the default, cublas or cudnn). Throws DeviceError when this build
  // cannot run it (cublas and cudnn under the CUDA emulator, cudnn in a build
  // without cuDNN), ArgumentError for anything but custom on the CPU.
  void set_conv_algo(kernels::ConvAlgo algo);
  kernels::ConvAlgo conv_algo() const { return exec_.conv_algo; }

  // Whether reductions must give the same bits run to run (default true).
  // false lets the CUDA weight gradients add their partial sums with atomics.
  void set_deterministic(bool deterministic) { exec_.deterministic = deterministic; }
  bool deterministic() const { return exec_.deterministic; }

  // Bytes currently held by tensors, and the peak since the last reset.
  std::size_t bytes_in_use() const;
  std::size_t peak_bytes_in_use() const;
  void reset_peak();

  // kernels::Scratch: temporary buffers for kernels, from the same allocator.
  void* acquire(std::size_t bytes) override;
  void release(void* ptr) noexcept override;

  // kernels::LibraryHandles: created on first use, bound to this context's
  // stream (real CUDA only; DeviceError otherwise).
  void* cublas() override;
  void* cudnn() override;

  ~DeviceContext() override;
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  struct Impl;

 private:
  explicit DeviceContext(Device device);
  Device device_;
  kernels::Exec exec_;
  std::unique_ptr<Impl> impl_;
};

// Shorthand for the CPU context's thread count (the --threads flag).
void set_num_threads(int n_threads);

}  // namespace dae
