// The plain data types of the CUDA runtime, as the emulator provides them:
// uint3 and dim3, the vector types (float4, int2, ...), cudaError_t and the
// other enums, cudaDeviceProp and the opaque stream and event handles.
// Names, fields and enum values follow the CUDA runtime, so one .cu source
// compiles against this header and against <cuda_runtime.h>.
#pragma once

#include <cstddef>

// ---------------------------------------------------------------------------
// Index and vector types
// ---------------------------------------------------------------------------

// Vector types with CUDA's sizes and alignments, and their make_ functions.
#define DAE_EMU_VECTOR_TYPES(T, name, align2, align4)                                                     \
  struct name##1 {                                                                                        \
    T x;                                                                                                  \
  };                                                                                                      \
  struct alignas(align2) name##2 {                                                                        \
    T x, y;                                                                                               \
  };                                                                                                      \
  struct name##3 {                                                                                        \
    T x, y, z;                                                                                            \
  };                                                                                                      \
  struct alignas(align4) name##4 {                                                                        \
    T x, y, z, w;                                                                                         \
  };                                                                                                      \
  constexpr name##1 make_##name##1(T x) { return name##1{x}; }                                            \
  constexpr name##2 make_##name##2(T x, T y) { return name##2{x, y}; }                                    \
  constexpr name##3 make_##name##3(T x, T y, T z) { return name##3{x, y, z}; }                            \
  constexpr name##4 make_##name##4(T x, T y, T z, T w) { return name##4{x, y, z, w}; }

DAE_EMU_VECTOR_TYPES(float, float, 8, 16)
DAE_EMU_VECTOR_TYPES(int, int, 8, 16)
DAE_EMU_VECTOR_TYPES(unsigned int, uint, 8, 16)
DAE_EMU_VECTOR_TYPES(signed char, char, 2, 4)
DAE_EMU_VECTOR_TYPES(unsigned char, uchar, 2, 4)
DAE_EMU_VECTOR_TYPES(short, short, 4, 8)
DAE_EMU_VECTOR_TYPES(unsigned short, ushort, 4, 8)
DAE_EMU_VECTOR_TYPES(double, double, 16, 16)
DAE_EMU_VECTOR_TYPES(long long, longlong, 16, 16)
DAE_EMU_VECTOR_TYPES(unsigned long long, ulonglong, 16, 16)
#undef DAE_EMU_VECTOR_TYPES

// A launch dimension (threadIdx and blockIdx are uint3): unspecified
// components are 1, as in CUDA.
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

// ---------------------------------------------------------------------------
// Errors and enums (the values are CUDA's)
// ---------------------------------------------------------------------------

enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInvalidDeviceFunction = 98,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorLaunchTimeout = 702,
  cudaErrorAssert = 710,
  cudaErrorIllegalInstruction = 715,
  cudaErrorLaunchFailure = 719,
  cudaErrorNotSupported = 801,
  cudaErrorUnknown = 999,
};
using cudaError_t = cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9,
};

enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxBlockDimX = 2,
  cudaDevAttrMaxBlockDimY = 3,
  cudaDevAttrMaxBlockDimZ = 4,
  cudaDevAttrMaxGridDimX = 5,
  cudaDevAttrMaxGridDimY = 6,
  cudaDevAttrMaxGridDimZ = 7,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMaxRegistersPerBlock = 12,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};

constexpr unsigned int cudaStreamDefault = 0x00;
constexpr unsigned int cudaStreamNonBlocking = 0x01;
constexpr unsigned int cudaEventDefault = 0x00;
constexpr unsigned int cudaEventBlockingSync = 0x01;
constexpr unsigned int cudaEventDisableTiming = 0x02;

// Opaque handles. A null cudaStream_t is the default stream.
struct dae_emu_stream;
struct dae_emu_event;
using cudaStream_t = dae_emu_stream*;
using cudaEvent_t = dae_emu_event*;

// The subset of CUDA's device properties the emulator fills in (same field
// names and types as the CUDA runtime).
struct cudaDeviceProp {
  char name[256];
  std::size_t totalGlobalMem;
  std::size_t sharedMemPerBlock;
  int regsPerBlock;
  int warpSize;
  std::size_t memPitch;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  std::size_t totalConstMem;
  int major;
  int minor;
  std::size_t textureAlignment;
  int multiProcessorCount;
  int integrated;
  int canMapHostMemory;
  int concurrentKernels;
  int ECCEnabled;
  int asyncEngineCount;
  int unifiedAddressing;
  int memoryBusWidth;
  int l2CacheSize;
  int maxThreadsPerMultiProcessor;
  std::size_t sharedMemPerMultiprocessor;
  int regsPerMultiprocessor;
  int managedMemory;
  std::size_t sharedMemPerBlockOptin;
  int maxBlocksPerMultiProcessor;
  std::size_t reservedSharedMemPerBlock;
};
