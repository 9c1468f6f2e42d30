// How a kernel is asked to run: the execution resources it may use.
//
// Every kernel in kernels/cpu and kernels/cuda takes a `const Exec&` first.
// The engine fills it from the device context of the tensors involved; the
// kernels themselves own nothing and reach for no global state.
#pragma once

#include <cstddef>
#include <string>

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

// Handles of the vendor libraries, created by the owner (the device context)
// the first time a kernel asks for one, bound to the Exec's stream. Only a
// real CUDA build has them; under the CUDA emulator asking throws DeviceError.
class LibraryHandles {
 public:
  virtual ~LibraryHandles() = default;
  virtual void* cublas() = 0;  // a cublasHandle_t
  virtual void* cudnn() = 0;   // a kernels::cuda::CudnnState* (handle + algorithm cache)
};

// Which implementation the CUDA convolutions use (conv2d and
// conv_transpose2d, every pass). The CPU has one implementation and ignores it.
enum class ConvAlgo {
  kCustom,  // our implicit-GEMM kernels (kernels/cuda/conv2d.cu); the default
  kCublas,  // an im2col kernel + cublasSgemm (FP32, no TF32)
  kCudnn,   // cuDNN's convolutions (FMA math, no TF32)
};

// "custom", "cublas" or "cudnn"; throws dae::ArgumentError naming the text otherwise.
ConvAlgo parse_conv_algo(const std::string& text);
const char* to_string(ConvAlgo algo);

struct Exec {
  int n_threads = 1;           // cpu: OpenMP threads a kernel may use (>= 1)
  void* stream = nullptr;      // cuda: the cudaStream_t to launch on
  Scratch* scratch = nullptr;  // where temporary buffers come from (may be null on cpu)
  bool deterministic = true;   // false allows float atomics in reductions
  ConvAlgo conv_algo = ConvAlgo::kCustom;  // cuda: which convolution implementation
  LibraryHandles* libraries = nullptr;     // cuda: cuBLAS / cuDNN handles (null on cpu)
  // cuda, for tests: when > 0, the grid of every grid-stride kernel is capped
  // at this many blocks, so each thread has to go round its loop several times.
  int max_blocks = 0;
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
