// The CUDA runtime API of the emulator: the device, memory, streams, events
// and kernel attributes. Device memory is host memory; everything is
// synchronous.
#include "kernels/emu/runtime_api.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

#include "kernels/emu/device_limits.h"
#include "kernels/emu/kernel_registry.h"
#include "kernels/emu/runtime_state.h"

struct dae_emu_stream {
  unsigned int flags;
};

struct dae_emu_event {
  unsigned int flags;
  bool recorded;
  std::chrono::steady_clock::time_point time;
};

namespace {

using dae::emu::record_error;

constexpr std::size_t kAllocationAlign = 256;  // cudaMalloc's alignment
constexpr unsigned char kPoisonByte = 0xFF;    // fresh device memory: NaN as float

std::size_t total_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_bytes > 0 ? std::size_t(pages) * std::size_t(page_bytes) : std::size_t(16) << 30;
}

std::string address(const void* p) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%p", p);
  return buffer;
}

// Live allocations, by start address, and the streams and events.
struct Allocation {
  std::size_t bytes;
  bool device;  // cudaMalloc (true) or cudaMallocHost (false)
};
struct RuntimeState {
  std::mutex mutex;
  std::map<std::uintptr_t, Allocation> allocations;
  std::size_t device_bytes = 0;
  std::unordered_set<cudaStream_t> streams;
  std::unordered_set<cudaEvent_t> events;
};

RuntimeState& state() {
  static RuntimeState* s = new RuntimeState;  // never destroyed: frees may run during static destruction
  return *s;
}

// True when [p, p + bytes) lies inside one device allocation.
bool is_device_range(const void* p, std::size_t bytes) {
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(p);
  auto it = s.allocations.upper_bound(begin);
  if (it == s.allocations.begin()) return false;
  --it;
  return it->second.device && begin + bytes <= it->first + it->second.bytes;
}

bool is_event(cudaEvent_t e) {
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  return s.events.count(e) != 0;
}

cudaError_t allocate(const char* api, void** ptr, std::size_t bytes, bool device) {
  if (ptr == nullptr) return record_error(cudaErrorInvalidValue, std::string(api) + ": the result pointer is null");
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  RuntimeState& s = state();
  if (device) {
    std::lock_guard lock(s.mutex);
    if (s.device_bytes + bytes > total_memory()) {
      return record_error(cudaErrorMemoryAllocation, std::string(api) + " of " + std::to_string(bytes) +
                                                         " bytes: the emulated device has " +
                                                         std::to_string(total_memory() - s.device_bytes) +
                                                         " bytes free");
    }
  }
  void* p = std::aligned_alloc(kAllocationAlign, (bytes + kAllocationAlign - 1) / kAllocationAlign * kAllocationAlign);
  if (p == nullptr) {
    return record_error(cudaErrorMemoryAllocation,
                        std::string(api) + " of " + std::to_string(bytes) + " bytes: out of host memory");
  }
  if (device) std::memset(p, kPoisonByte, bytes);
  std::lock_guard lock(s.mutex);
  s.allocations[reinterpret_cast<std::uintptr_t>(p)] = Allocation{bytes, device};
  if (device) s.device_bytes += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t release(const char* api, void* ptr, bool device) {
  if (ptr == nullptr) return cudaSuccess;
  RuntimeState& s = state();
  {
    std::lock_guard lock(s.mutex);
    const auto it = s.allocations.find(reinterpret_cast<std::uintptr_t>(ptr));
    if (it == s.allocations.end() || it->second.device != device) {
      return record_error(cudaErrorInvalidValue, std::string(api) + ": " + address(ptr) + " was not returned by " +
                                                     (device ? "cudaMalloc" : "cudaMallocHost") +
                                                     " (or was freed already)");
    }
    if (device) s.device_bytes -= it->second.bytes;
    s.allocations.erase(it);
  }
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t check_stream(const char* api, cudaStream_t stream) {
  if (dae::emu::stream_is_valid(stream)) return cudaSuccess;
  return record_error(cudaErrorInvalidResourceHandle, std::string(api) + ": " + address(stream) +
                                                          " is not a live stream");
}

cudaError_t check_device_range(const char* api, const char* which, const void* p, std::size_t bytes) {
  if (is_device_range(p, bytes)) return cudaSuccess;
  return record_error(cudaErrorInvalidValue, std::string(api) + ": the " + which + " [" + address(p) + ", +" +
                                                 std::to_string(bytes) + " bytes) is not inside a device allocation");
}

cudaError_t copy(const char* api, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return record_error(cudaErrorInvalidValue, std::string(api) + ": null pointer");
  cudaError_t status = cudaSuccess;
  switch (kind) {
    case cudaMemcpyHostToHost:
    case cudaMemcpyDefault: break;
    case cudaMemcpyHostToDevice: status = check_device_range(api, "destination", dst, bytes); break;
    case cudaMemcpyDeviceToHost: status = check_device_range(api, "source", src, bytes); break;
    case cudaMemcpyDeviceToDevice:
      status = check_device_range(api, "destination", dst, bytes);
      if (status == cudaSuccess) status = check_device_range(api, "source", src, bytes);
      break;
    default:
      return record_error(cudaErrorInvalidMemcpyDirection,
                          std::string(api) + ": " + std::to_string(int(kind)) + " is not a cudaMemcpyKind");
  }
  if (status != cudaSuccess) return status;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t fill(const char* api, void* ptr, int value, std::size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (const cudaError_t status = check_device_range(api, "destination", ptr, bytes); status != cudaSuccess) {
    return status;
  }
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t check_device(const char* api, int device) {
  if (device == 0) return cudaSuccess;
  return record_error(cudaErrorInvalidDevice, std::string(api) + ": device " + std::to_string(device) +
                                                  " does not exist (the emulator has device 0 only)");
}

}  // namespace

namespace dae::emu {

bool stream_is_valid(cudaStream_t stream) {
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) return true;
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  return s.streams.count(stream) != 0;
}

}  // namespace dae::emu

// ---------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return record_error(cudaErrorInvalidValue, "cudaGetDeviceCount: null pointer");
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return check_device("cudaSetDevice", device); }

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return record_error(cudaErrorInvalidValue, "cudaGetDevice: null pointer");
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  using namespace dae::emu;
  if (prop == nullptr) return record_error(cudaErrorInvalidValue, "cudaGetDeviceProperties: null pointer");
  if (const cudaError_t status = check_device("cudaGetDeviceProperties", device); status != cudaSuccess) {
    return status;
  }
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "CUDA emulator (sm_90 limits)");
  prop->totalGlobalMem = total_memory();
  prop->sharedMemPerBlock = kSharedBytesDefault;
  prop->regsPerBlock = kRegistersPerBlock;
  prop->warpSize = kWarpSize;
  prop->memPitch = 2147483647;
  prop->maxThreadsPerBlock = int(kMaxThreadsPerBlock);
  prop->maxThreadsDim[0] = int(kMaxBlockDimX);
  prop->maxThreadsDim[1] = int(kMaxBlockDimY);
  prop->maxThreadsDim[2] = int(kMaxBlockDimZ);
  prop->maxGridSize[0] = int(kMaxGridDimX);
  prop->maxGridSize[1] = int(kMaxGridDimY);
  prop->maxGridSize[2] = int(kMaxGridDimZ);
  prop->totalConstMem = 64 * 1024;
  prop->major = 9;
  prop->minor = 0;
  prop->textureAlignment = 512;
  prop->multiProcessorCount = kMultiProcessorCount;
  prop->canMapHostMemory = 1;
  prop->concurrentKernels = 1;
  prop->unifiedAddressing = 1;
  prop->memoryBusWidth = 5120;
  prop->l2CacheSize = 50 * 1024 * 1024;
  prop->maxThreadsPerMultiProcessor = 2048;
  prop->sharedMemPerMultiprocessor = 228 * 1024;
  prop->regsPerMultiprocessor = 64 * 1024;
  prop->sharedMemPerBlockOptin = kSharedBytesOptin;
  prop->maxBlocksPerMultiProcessor = 32;
  prop->reservedSharedMemPerBlock = 1024;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  using namespace dae::emu;
  if (value == nullptr) return record_error(cudaErrorInvalidValue, "cudaDeviceGetAttribute: null pointer");
  if (const cudaError_t status = check_device("cudaDeviceGetAttribute", device); status != cudaSuccess) {
    return status;
  }
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = int(kMaxThreadsPerBlock); break;
    case cudaDevAttrMaxBlockDimX: *value = int(kMaxBlockDimX); break;
    case cudaDevAttrMaxBlockDimY: *value = int(kMaxBlockDimY); break;
    case cudaDevAttrMaxBlockDimZ: *value = int(kMaxBlockDimZ); break;
    case cudaDevAttrMaxGridDimX: *value = int(kMaxGridDimX); break;
    case cudaDevAttrMaxGridDimY: *value = int(kMaxGridDimY); break;
    case cudaDevAttrMaxGridDimZ: *value = int(kMaxGridDimZ); break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = int(kSharedBytesDefault); break;
    case cudaDevAttrWarpSize: *value = kWarpSize; break;
    case cudaDevAttrMaxRegistersPerBlock: *value = kRegistersPerBlock; break;
    case cudaDevAttrMultiProcessorCount: *value = kMultiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = int(kSharedBytesOptin); break;
    default:
      return record_error(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute " + std::to_string(int(attr)) +
                                                     " is not emulated");
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }  // every launch and copy has finished already

// ---------------------------------------------------------------------------
// Streams and events
// ---------------------------------------------------------------------------

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  if (stream == nullptr) return record_error(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: null pointer");
  if ((flags & ~cudaStreamNonBlocking) != 0) {
    return record_error(cudaErrorInvalidValue, "cudaStreamCreateWithFlags: unknown flags " + std::to_string(flags));
  }
  *stream = new dae_emu_stream{flags};
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  s.streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  RuntimeState& s = state();
  {
    std::lock_guard lock(s.mutex);
    if (s.streams.erase(stream) == 0) {
      return record_error(cudaErrorInvalidResourceHandle,
                          "cudaStreamDestroy: " + address(stream) + " is not a stream created by cudaStreamCreate");
    }
  }
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return check_stream("cudaStreamSynchronize", stream); }
cudaError_t cudaStreamQuery(cudaStream_t stream) { return check_stream("cudaStreamQuery", stream); }

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int) {
  if (const cudaError_t status = check_stream("cudaStreamWaitEvent", stream); status != cudaSuccess) return status;
  if (!is_event(event)) return record_error(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent: not an event");
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  if (event == nullptr) return record_error(cudaErrorInvalidValue, "cudaEventCreateWithFlags: null pointer");
  if ((flags & ~(cudaEventBlockingSync | cudaEventDisableTiming)) != 0) {
    return record_error(cudaErrorInvalidValue, "cudaEventCreateWithFlags: unknown flags " + std::to_string(flags));
  }
  *event = new dae_emu_event{flags, false, {}};
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  s.events.insert(*event);
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (const cudaError_t status = check_stream("cudaEventRecord", stream); status != cudaSuccess) return status;
  if (!is_event(event)) return record_error(cudaErrorInvalidResourceHandle, "cudaEventRecord: not an event");
  event->recorded = true;
  event->time = std::chrono::steady_clock::now();
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!is_event(event)) return record_error(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: not an event");
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!is_event(event)) return record_error(cudaErrorInvalidResourceHandle, "cudaEventQuery: not an event");
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (ms == nullptr) return record_error(cudaErrorInvalidValue, "cudaEventElapsedTime: null pointer");
  if (!is_event(start) || !is_event(end)) {
    return record_error(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: not an event");
  }
  if (!start->recorded || !end->recorded || ((start->flags | end->flags) & cudaEventDisableTiming) != 0) {
    return record_error(cudaErrorInvalidResourceHandle,
                        "cudaEventElapsedTime: both events must be recorded, without cudaEventDisableTiming");
  }
  *ms = std::chrono::duration<float, std::milli>(end->time - start->time).count();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  RuntimeState& s = state();
  {
    std::lock_guard lock(s.mutex);
    if (s.events.erase(event) == 0) {
      return record_error(cudaErrorInvalidResourceHandle, "cudaEventDestroy: " + address(event) + " is not an event");
    }
  }
  delete event;
  return cudaSuccess;
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) { return allocate("cudaMalloc", ptr, bytes, true); }
cudaError_t cudaFree(void* ptr) { return release("cudaFree", ptr, true); }
cudaError_t cudaMallocHost(void** ptr, std::size_t bytes) { return allocate("cudaMallocHost", ptr, bytes, false); }
cudaError_t cudaFreeHost(void* ptr) { return release("cudaFreeHost", ptr, false); }

cudaError_t cudaMallocAsync(void** ptr, std::size_t bytes, cudaStream_t stream) {
  if (const cudaError_t status = check_stream("cudaMallocAsync", stream); status != cudaSuccess) return status;
  return allocate("cudaMallocAsync", ptr, bytes, true);
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  if (const cudaError_t status = check_stream("cudaFreeAsync", stream); status != cudaSuccess) return status;
  return release("cudaFreeAsync", ptr, true);
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  return copy("cudaMemcpy", dst, src, bytes, kind);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  if (const cudaError_t status = check_stream("cudaMemcpyAsync", stream); status != cudaSuccess) return status;
  return copy("cudaMemcpyAsync", dst, src, bytes, kind);
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) { return fill("cudaMemset", ptr, value, bytes); }

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes, cudaStream_t stream) {
  if (const cudaError_t status = check_stream("cudaMemsetAsync", stream); status != cudaSuccess) return status;
  return fill("cudaMemsetAsync", ptr, value, bytes);
}

cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  if (free_bytes == nullptr || total_bytes == nullptr) {
    return record_error(cudaErrorInvalidValue, "cudaMemGetInfo: null pointer");
  }
  RuntimeState& s = state();
  std::lock_guard lock(s.mutex);
  *total_bytes = total_memory();
  *free_bytes = *total_bytes > s.device_bytes ? *total_bytes - s.device_bytes : 0;
  return cudaSuccess;
}

// ---------------------------------------------------------------------------
// Kernel attributes
// ---------------------------------------------------------------------------

cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value) {
  if (kernel == nullptr) return record_error(cudaErrorInvalidDeviceFunction, "cudaFuncSetAttribute: null kernel");
  switch (attr) {
    case cudaFuncAttributeMaxDynamicSharedMemorySize: {
      const std::size_t static_bytes = dae::emu::kernel_info(kernel).static_shared_bytes;
      if (value < 0 || static_bytes + std::size_t(value) > dae::emu::kSharedBytesOptin) {
        return record_error(cudaErrorInvalidValue,
                            "cudaFuncSetAttribute: cudaFuncAttributeMaxDynamicSharedMemorySize " +
                                std::to_string(value) + " plus " + std::to_string(static_bytes) +
                                " bytes of static shared memory exceed the limit of " +
                                std::to_string(dae::emu::kSharedBytesOptin) + " bytes");
      }
      dae::emu::set_max_dynamic_shared_bytes(kernel, value);
      return cudaSuccess;
    }
    case cudaFuncAttributePreferredSharedMemoryCarveout:
      if (value < -1 || value > 100) {
        return record_error(cudaErrorInvalidValue, "cudaFuncSetAttribute: carve-out " + std::to_string(value) +
                                                       " is not a percentage (or -1)");
      }
      return cudaSuccess;
  }
  return record_error(cudaErrorInvalidValue,
                      "cudaFuncSetAttribute: attribute " + std::to_string(int(attr)) + " is not emulated");
}
