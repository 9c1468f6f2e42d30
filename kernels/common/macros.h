// Macros shared by host and device code. Nothing here depends on CUDA headers,
// so the same kernel bodies compile with g++, with nvcc and under emulation
// (where every function is a host function, so the markers expand to nothing).
#pragma once

#if defined(__CUDACC__)
#define DAE_HOST_DEVICE __host__ __device__
#define DAE_DEVICE __device__
#else
#define DAE_HOST_DEVICE
#define DAE_DEVICE
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DAE_RESTRICT __restrict__
#define DAE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define DAE_RESTRICT
#define DAE_ALWAYS_INLINE inline
#endif
