#include "kernels/cuda/runtime.h"

#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/cudnn_state.h"

#if DAE_CUDA_HARDWARE
#include "kernels/cuda/library_check.h"
#endif

namespace dae::kernels::cuda {

namespace {
cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
}  // namespace

int device_count(std::string* why_not) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    if (why_not != nullptr) *why_not = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_not != nullptr) *why_not = "the driver reports no CUDA device";
  return count;
}

void set_device(int index) { DAE_CUDA_CHECK(cudaSetDevice(index)); }

std::string device_name(int index) {
  cudaDeviceProp prop{};
  DAE_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

void* stream_create() {
  cudaStream_t stream = nullptr;
  DAE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  return stream;
}

void stream_destroy(void* stream) noexcept { DAE_CUDA_CHECK_NOTHROW(cudaStreamDestroy(as_stream(stream))); }

void stream_synchronize(void* stream) { DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream))); }

void* malloc_async(std::size_t bytes, void* stream) {
  void* ptr = nullptr;
  DAE_CUDA_CHECK(cudaMallocAsync(&ptr, bytes, as_stream(stream)));
  return ptr;
}

void free_async(void* ptr, void* stream) noexcept { DAE_CUDA_CHECK_NOTHROW(cudaFreeAsync(ptr, as_stream(stream))); }

void copy_host_to_device(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(stream)));
  DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(stream)));
  DAE_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes, void* stream) {
  DAE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(stream)));
}

void memory_info(std::size_t* free_bytes, std::size_t* total_bytes) {
  DAE_CUDA_CHECK(cudaMemGetInfo(free_bytes, total_bytes));
}

// ---------------------------------------------------------------------------
// Convolution algorithms, cuBLAS and cuDNN handles
// ---------------------------------------------------------------------------

bool conv_algo_available(ConvAlgo algo, std::string* why_not) {
  std::string reason;
  if (algo != ConvAlgo::kCustom) {
#if !DAE_CUDA_HARDWARE
    reason = std::string("convolution algorithm '") + to_string(algo) + "' needs " +
             (algo == ConvAlgo::kCublas ? "cuBLAS" : "cuDNN") +
             ", which the CUDA emulator does not have: only 'custom' runs under emulation";
#elif !DAE_HAVE_CUDNN
    if (algo == ConvAlgo::kCudnn) {
      reason = "convolution algorithm 'cudnn' needs cuDNN, which this build was configured without "
               "(cudnn.h or libcudnn not found)";
    }
#endif
  }
  if (why_not != nullptr) *why_not = reason;
  return reason.empty();
}

void require_conv_algo(ConvAlgo algo) {
  std::string why;
  if (!conv_algo_available(algo, &why)) throw DeviceError(why);
}

#if DAE_CUDA_HARDWARE

void* cublas_create(void* stream) {
  cublasHandle_t handle = nullptr;
  DAE_CUBLAS_CHECK(cublasCreate(&handle));
  try {
    DAE_CUBLAS_CHECK(cublasSetStream(handle, as_stream(stream)));
    // Plain FP32: no TF32 tensor-core conversion (that would need CUBLAS_TF32_TENSOR_OP_MATH).
    DAE_CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
  } catch (...) {
    cublasDestroy(handle);
    throw;
  }
  return handle;
}

void cublas_destroy(void* handle) noexcept {
  if (handle != nullptr) DAE_CUBLAS_CHECK_NOTHROW(cublasDestroy(static_cast<cublasHandle_t>(handle)));
}

#if DAE_HAVE_CUDNN
void* cudnn_create(void* stream) {
  auto* state = new CudnnState;
  try {
    DAE_CUDNN_CHECK(cudnnCreate(&state->handle));
    DAE_CUDNN_CHECK(cudnnSetStream(state->handle, as_stream(stream)));
  } catch (...) {
    if (state->handle != nullptr) cudnnDestroy(state->handle);
    delete state;
    throw;
  }
  return state;
}

void cudnn_destroy(void* state) noexcept {
  auto* s = static_cast<CudnnState*>(state);
  if (s == nullptr) return;
  if (s->handle != nullptr) DAE_CUDNN_CHECK_NOTHROW(cudnnDestroy(s->handle));
  delete s;
}
#else
void* cudnn_create(void*) {
  require_conv_algo(ConvAlgo::kCudnn);
  return nullptr;
}
void cudnn_destroy(void*) noexcept {}
#endif

#else  // the CUDA emulator: no vendor libraries

void* cublas_create(void*) {
  require_conv_algo(ConvAlgo::kCublas);
  return nullptr;
}
void cublas_destroy(void*) noexcept {}
void* cudnn_create(void*) {
  require_conv_algo(ConvAlgo::kCudnn);
  return nullptr;
}
void cudnn_destroy(void*) noexcept {}

#endif

// ---------------------------------------------------------------------------
// CUDA graphs
// ---------------------------------------------------------------------------

#if DAE_CUDA_HARDWARE

bool graph_capture_available(std::string* why_not) {
  if (why_not != nullptr) why_not->clear();
  return true;
}

void stream_begin_capture(void* stream) {
  DAE_CUDA_CHECK(cudaStreamBeginCapture(as_stream(stream), cudaStreamCaptureModeGlobal));
}

void* stream_end_capture(void* stream) {
  cudaGraph_t graph = nullptr;
  const cudaError_t status = cudaStreamEndCapture(as_stream(stream), &graph);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    if (graph != nullptr) (void)cudaGraphDestroy(graph);
    throw_cuda_error(status, "cudaStreamEndCapture (a call inside the captured region could not be captured)",
                     __FILE__, __LINE__);
  }
  return graph;
}

void stream_abort_capture(void* stream) noexcept {
  if (!stream_is_capturing(stream)) return;
  cudaGraph_t graph = nullptr;
  (void)cudaStreamEndCapture(as_stream(stream), &graph);
  if (graph != nullptr) (void)cudaGraphDestroy(graph);
  (void)cudaGetLastError();
}

bool stream_is_capturing(void* stream) noexcept {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(as_stream(stream), &status) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return status != cudaStreamCaptureStatusNone;
}

std::size_t graph_node_count(void* graph) {
  std::size_t count = 0;
  DAE_CUDA_CHECK(cudaGraphGetNodes(static_cast<cudaGraph_t>(graph), nullptr, &count));
  return count;
}

std::size_t graph_alloc_node_count(void* graph) {
  std::size_t count = graph_node_count(graph);
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0) DAE_CUDA_CHECK(cudaGraphGetNodes(static_cast<cudaGraph_t>(graph), nodes.data(), &count));
  std::size_t allocs = 0;
  for (std::size_t i = 0; i < count; ++i) {
    cudaGraphNodeType type{};
    DAE_CUDA_CHECK(cudaGraphNodeGetType(nodes[i], &type));
    if (type == cudaGraphNodeTypeMemAlloc) ++allocs;
  }
  return allocs;
}

void* graph_instantiate(void* graph) {
  cudaGraphExec_t exec = nullptr;
  // Auto-free: memory a library allocated inside the graph is released before the next replay.
  DAE_CUDA_CHECK(
      cudaGraphInstantiate(&exec, static_cast<cudaGraph_t>(graph), cudaGraphInstantiateFlagAutoFreeOnLaunch));
  return exec;
}

void graph_launch(void* graph_exec, void* stream) {
  DAE_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph_exec), as_stream(stream)));
}

void graph_destroy(void* graph) noexcept {
  if (graph != nullptr) DAE_CUDA_CHECK_NOTHROW(cudaGraphDestroy(static_cast<cudaGraph_t>(graph)));
}

void graph_exec_destroy(void* graph_exec) noexcept {
  if (graph_exec != nullptr) DAE_CUDA_CHECK_NOTHROW(cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph_exec)));
}

#else  // the CUDA emulator: launches run as they are issued, nothing records them

namespace {
const char* const kNoCaptureUnderEmulation =
    "CUDA graphs need a real GPU: the CUDA emulator runs every launch as it is issued and cannot capture a "
    "stream into a graph (build with -DDAE_CUDA=ON and run on a GPU)";
[[noreturn]] void no_graphs() { throw DeviceError(kNoCaptureUnderEmulation); }
}  // namespace

bool graph_capture_available(std::string* why_not) {
  if (why_not != nullptr) *why_not = kNoCaptureUnderEmulation;
  return false;
}
void stream_begin_capture(void*) { no_graphs(); }
void* stream_end_capture(void*) { no_graphs(); }
void stream_abort_capture(void*) noexcept {}
bool stream_is_capturing(void*) noexcept { return false; }
std::size_t graph_node_count(void*) { no_graphs(); }
std::size_t graph_alloc_node_count(void*) { no_graphs(); }
void* graph_instantiate(void*) { no_graphs(); }
void graph_launch(void*, void*) { no_graphs(); }
void graph_destroy(void*) noexcept {}
void graph_exec_destroy(void*) noexcept {}

#endif

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

void* event_create() {
  cudaEvent_t event = nullptr;
  DAE_CUDA_CHECK(cudaEventCreate(&event));
  return event;
}

void event_destroy(void* event) noexcept {
  if (event != nullptr) DAE_CUDA_CHECK_NOTHROW(cudaEventDestroy(static_cast<cudaEvent_t>(event)));
}

void event_record(void* event, void* stream) {
  DAE_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), as_stream(stream)));
}

float event_elapsed_ms(void* start, void* end) {
  DAE_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(end)));
  float ms = 0.0f;
  DAE_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
  return ms;
}

}  // namespace dae::kernels::cuda
