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

class DeviceContext;

// An instantiated CUDA graph: work recorded once on a context's stream (see
// DeviceContext::begin_capture) that replay() queues again with one launch.
// Movable, not copyable; the destructor frees the graph.
class CapturedGraph {
 public:
  CapturedGraph() = default;
  CapturedGraph(CapturedGraph&& other) noexcept;
  CapturedGraph& operator=(CapturedGraph&& other) noexcept;
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;
  ~CapturedGraph();

  // Queues one replay on the context's stream; asynchronous, like a launch.
  void replay();
  // Nodes of the graph (kernels, copies, memsets), and the memory-allocation
  // nodes among them (a library that allocated during the capture; 0 when
  // every buffer came from the context's cache).
  std::size_t node_count() const { return nodes_; }
  std::size_t alloc_node_count() const { return alloc_nodes_; }

 private:
  friend class DeviceContext;
  DeviceContext* context_ = nullptr;
  void* exec_ = nullptr;  // a cudaGraphExec_t
  std::size_t nodes_ = 0;
  std::size_t alloc_nodes_ = 0;
};

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

  // CUDA graphs (a real CUDA build on a GPU; DeviceError elsewhere, with the
  // reason). begin_capture() starts recording this context's stream into a
  // graph; end_capture() stops and returns it instantiated. In between,
  // nothing queued on the stream runs, and the context refuses, each with a
  // DeviceError that names it, what a captured region cannot contain:
  //   - an allocation its cache cannot serve: cudaMallocAsync inside a
  //     capture gives memory owned by the graph, valid only while it runs,
  //     which the cache would later hand out to ordinary work. Run the work
  //     once uncaptured first, so that every buffer it needs is cached;
  //   - copies to or from the host and synchronize(): the host cannot wait
  //     for work that has not run (no .item() or .to_vector() inside).
  // After any failure in between, abort_capture() ends the capture and the
  // stream runs work again. The graph bakes in every pointer and kernel
  // argument: replaying it redoes the same arithmetic on the same buffers,
  // including the temporaries that the captured work allocated and freed.
  // Those are back in the cache after end_capture(), so a tensor allocated
  // later may be given one, and a replay then overwrites it: replay only
  // where no such tensor has to outlive a replay.
  void begin_capture();
  CapturedGraph end_capture();
  void abort_capture() noexcept;
  bool capturing() const;
  // The same refusals without capturing (the work runs as usual): rehearses
  // work before capturing it, and shows where capture is unavailable (the
  // CUDA emulator) that the work could be captured.
  void set_capture_guard(bool on);
  // Allocations the cache served while the guard was on, since it was set.
  std::size_t guarded_allocations() const;

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
