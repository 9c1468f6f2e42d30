// What the emulator knows about each kernel (keyed by its address): the
// dynamic shared memory opt-in set with cudaFuncSetAttribute, and the static
// shared memory its blocks were seen to use. CUDA knows the static size at
// compile time; the emulator learns it from the first launch, which is
// checked as its blocks declare their arrays.
#pragma once

#include <cstddef>
#include <string>

namespace dae::emu {

struct KernelInfo {
  std::size_t static_shared_bytes = 0;
  int max_dynamic_shared_bytes = -1;  // cudaFuncAttributeMaxDynamicSharedMemorySize; -1 = not set
};

KernelInfo kernel_info(const void* kernel);
void set_max_dynamic_shared_bytes(const void* kernel, int bytes);
void note_static_shared_bytes(const void* kernel, std::size_t bytes);

// Why a block with this much static and dynamic shared memory cannot run
// (the sm_90 rules); "" when it can. `max_dynamic_attribute` as in KernelInfo.
std::string shared_memory_problem(std::size_t static_bytes, std::size_t dynamic_bytes, int max_dynamic_attribute);

}  // namespace dae::emu
