// cudaGetErrorString/Name and the per-host-thread last error.
#include <string>
#include <utility>

#include "kernels/emu/runtime_api.h"

namespace {

struct ErrorText {
  cudaError_t code;
  const char* name;
  const char* text;
};

constexpr ErrorText kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration", "invalid configuration argument"},
    {cudaErrorInvalidDevicePointer, "cudaErrorInvalidDevicePointer", "invalid device pointer"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"},
    {cudaErrorInvalidDeviceFunction, "cudaErrorInvalidDeviceFunction", "invalid device function"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress", "an illegal memory access was encountered"},
    {cudaErrorLaunchOutOfResources, "cudaErrorLaunchOutOfResources", "too many resources requested for launch"},
    {cudaErrorLaunchTimeout, "cudaErrorLaunchTimeout", "the launch timed out and was terminated"},
    {cudaErrorAssert, "cudaErrorAssert", "device-side assert triggered"},
    {cudaErrorIllegalInstruction, "cudaErrorIllegalInstruction", "an illegal instruction was encountered"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorUnknown, "cudaErrorUnknown", "unknown error"},
};

const ErrorText* find(cudaError_t code) {
  for (const ErrorText& e : kErrors) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

// CUDA keeps the last error per host thread.
struct LastError {
  cudaError_t pending = cudaSuccess;   // what cudaGetLastError returns next
  cudaError_t recorded = cudaSuccess;  // the most recent error, with its detail
  std::string detail;
};
thread_local LastError t_last_error;

}  // namespace

const char* cudaGetErrorString(cudaError_t error) {
  const ErrorText* e = find(error);
  return e != nullptr ? e->text : "unrecognized error code";
}

const char* cudaGetErrorName(cudaError_t error) {
  const ErrorText* e = find(error);
  return e != nullptr ? e->name : "cudaErrorUnknown";
}

cudaError_t cudaGetLastError() {
  const cudaError_t error = t_last_error.pending;
  t_last_error.pending = cudaSuccess;
  return error;
}

cudaError_t cudaPeekAtLastError() { return t_last_error.pending; }

namespace dae::emu {

cudaError_t record_error(cudaError_t code, std::string detail) {
  if (code == cudaSuccess) return code;
  t_last_error.pending = code;
  t_last_error.recorded = code;
  t_last_error.detail = std::move(detail);
  return code;
}

std::string error_detail(cudaError_t code) {
  return t_last_error.recorded == code ? t_last_error.detail : std::string();
}

}  // namespace dae::emu
