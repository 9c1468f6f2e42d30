// The CUDA emulator: what a .cu file sees in place of <cuda_runtime.h> when
// it is compiled by the host compiler (DAE_CUDA_EMULATION). Include it
// through kernels/cuda/cuda_compat.h, never directly.
//
// A launch runs every block on the CPU. The threads of a block are fibers on
// one OS thread: a thread runs until it reaches a barrier, a warp operation
// or its end; between those points the order of the threads is shuffled, so
// a missing __syncthreads gives a wrong result instead of a lucky one. See
// docs/emulator.md for what this proves and what it cannot.
#pragma once

#if defined(__CUDACC__)
#error "kernels/emu/cuda_emu.h is for the host compiler; nvcc uses <cuda_runtime.h>"
#endif

#include <cstdio>  // device printf is the host's printf

#include "kernels/emu/device_functions.h"
#include "kernels/emu/launch.h"
#include "kernels/emu/runtime_api.h"
#include "kernels/emu/shared_memory.h"
#include "kernels/emu/sync.h"
#include "kernels/emu/thread_registers.h"
#include "kernels/emu/types.h"

// CUDA's function and variable qualifiers. Every function is a host function
// here; __device__ and __constant__ variables are ordinary globals.
#define __global__
#ifndef __device__
#define __device__
#endif
#ifndef __host__
#define __host__
#endif
#define __constant__
#define __managed__
#define __grid_constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Shared memory must be declared with DAE_SHARED_ARRAY / DAE_DYNAMIC_SHARED
// (kernels/cuda/cuda_compat.h), which the emulator can bounds-check.
#define __shared__ dae_emulation_needs_DAE_SHARED_ARRAY_or_DAE_DYNAMIC_SHARED_instead_of___shared__
