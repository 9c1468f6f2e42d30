// Host-side interface to the CUDA runtime, callable from code compiled by the
// host compiler (the engine never includes CUDA headers). Every call checks
// its result and throws dae::DeviceError naming the failed call and file:line.
// `stream` arguments are cudaStream_t values carried as void*.
#pragma once

#include <cstddef>
#include <string>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

// Number of usable CUDA devices; 0 (with the reason in *why_not) when there is
// no driver or no GPU. Never throws.
int device_count(std::string* why_not = nullptr);
void set_device(int index);
std::string device_name(int index);

void* stream_create();
void stream_destroy(void* stream) noexcept;
void stream_synchronize(void* stream);

// Stream-ordered raw allocations (cudaMallocAsync / cudaFreeAsync).
void* malloc_async(std::size_t bytes, void* stream);
void free_async(void* ptr, void* stream) noexcept;

// Copies on `stream`; the host<->device ones return when the copy is complete.
void copy_host_to_device(void* dst, const void* src, std::size_t bytes, void* stream);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes, void* stream);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes, void* stream);

// Free and total device memory in bytes.
void memory_info(std::size_t* free_bytes, std::size_t* total_bytes);

// ---- Convolution algorithms and the vendor libraries behind them ----------

// Whether `algo` can run in this build: custom always; cublas and cudnn only
// in a real CUDA build (not under the emulator), cudnn only when cuDNN was
// found at configure time. *why_not gets one sentence when not.
bool conv_algo_available(ConvAlgo algo, std::string* why_not = nullptr);
// Throws dae::DeviceError with that sentence when `algo` is not available.
void require_conv_algo(ConvAlgo algo);

// A cublasHandle_t on `stream` with FP32 math (CUBLAS_DEFAULT_MATH: no TF32).
void* cublas_create(void* stream);
void cublas_destroy(void* handle) noexcept;
// A cuDNN handle on `stream` plus its algorithm cache (a CudnnState*).
void* cudnn_create(void* stream);
void cudnn_destroy(void* state) noexcept;

// ---- CUDA graphs: record a stream's work once, replay it with one launch ---
// Real CUDA only. Under the CUDA emulator, which runs every launch as it is
// issued and keeps no record of it, graph_capture_available says why not,
// stream_begin_capture and the graph calls throw dae::DeviceError with that
// sentence, and the abort, query and destroy calls do nothing. Graphs and
// executable graphs are cudaGraph_t and cudaGraphExec_t values carried as void*.

// Whether this build can capture streams into graphs; *why_not gets one
// sentence when not.
bool graph_capture_available(std::string* why_not = nullptr);
// Starts capturing `stream` in cudaStreamCaptureModeGlobal: from here until
// stream_end_capture, work queued on it is recorded instead of run, and a
// CUDA call that cannot be captured (cudaMalloc, a synchronisation, a
// blocking copy) fails and invalidates the capture instead of running.
void stream_begin_capture(void* stream);
// Ends the capture of `stream` and returns the recorded graph. Throws
// DeviceError when a call that cannot be captured invalidated the capture
// (that call has failed with its own error first).
void* stream_end_capture(void* stream);
// Ends a capture that failed half-way and throws its graph away, so that
// `stream` runs work again; does nothing when `stream` is not capturing.
void stream_abort_capture(void* stream) noexcept;
// Whether `stream` is being captured now (false when the query fails).
bool stream_is_capturing(void* stream) noexcept;
// Nodes of a graph: all of them, and the memory-allocation nodes among them
// (left by a library that called cudaMallocAsync during the capture).
std::size_t graph_node_count(void* graph);
std::size_t graph_alloc_node_count(void* graph);
// An executable graph made from `graph` (which may be destroyed afterwards).
void* graph_instantiate(void* graph);
// Queues one replay of `graph_exec` on `stream` (asynchronous, like a launch).
void graph_launch(void* graph_exec, void* stream);
void graph_destroy(void* graph) noexcept;
void graph_exec_destroy(void* graph_exec) noexcept;

// ---- Events, for timing work on a stream (benchmarks) ---------------------
void* event_create();
void event_destroy(void* event) noexcept;
void event_record(void* event, void* stream);
// Milliseconds between two recorded events; waits for `end` to complete.
float event_elapsed_ms(void* start, void* end);

}  // namespace dae::kernels::cuda
