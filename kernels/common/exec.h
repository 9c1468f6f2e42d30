// How a kernel is asked to run: the execution resources it may use.
//
// Every kernel in kernels/cpu and kernels/cuda takes a `const Exec&` first.
// The engine fills it from the device context of the tensors involved; the
// kernels themselves own nothing and reach for no global state.
#pragma once

#include <cstddef>

namespace dae::kernels {

// Scratch memory for kernels that need a temporary buffer (im2col columns,
// partial sums). On the CPU it is host memory, on CUDA device memory taken
// from the context's stream-ordered caching allocator.
class Scratch {
 public:
  virtual ~Scratch() = default;
  virtual void* acquire(std::size_t bytes) = 0;
  virtual void release(void* ptr) noexcept = 0;
};

struct Exec {
  int n_threads = 1;           // cpu: OpenMP threads a kernel may use (>= 1)
  void* stream = nullptr;      // cuda: the cudaStream_t to launch on
  Scratch* scratch = nullptr;  // where temporary buffers come from (may be null on cpu)
  bool deterministic = true;   // false allows float atomics in reductions
};

// RAII lease of a scratch buffer. With no Scratch provider (cpu only), falls
// back to aligned heap memory.
class ScratchBuffer {
 public:
  ScratchBuffer(const Exec& exec, std::size_t bytes);
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  Scratch* scratch_;
  void* ptr_;
};

}  // namespace dae::kernels
