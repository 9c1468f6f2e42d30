// The limits of the emulated device: those of an sm_90 GPU (H100/H200), the
// numbers a real launch is checked against.
#pragma once

#include <cstddef>

namespace dae::emu {

inline constexpr int kWarpSize = 32;
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr unsigned kMaxBlockDimX = 1024, kMaxBlockDimY = 1024, kMaxBlockDimZ = 64;
inline constexpr unsigned kMaxGridDimX = 2147483647u, kMaxGridDimY = 65535, kMaxGridDimZ = 65535;
// Static + dynamic shared memory a block may use without opting in, and the
// most it may use after cudaFuncSetAttribute(cudaFuncAttributeMaxDynamicSharedMemorySize).
inline constexpr std::size_t kSharedBytesDefault = 48 * 1024;
inline constexpr std::size_t kSharedBytesOptin = 227 * 1024;
inline constexpr int kRegistersPerBlock = 64 * 1024;
inline constexpr int kMultiProcessorCount = 132;

}  // namespace dae::emu
