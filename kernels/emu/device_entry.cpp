// The functions kernel code calls (barriers, warp operations, shared memory,
// faults, __trap, assert): they find the scheduler of the block running on
// this OS thread. Called outside a kernel they stop the program, as nvcc
// would refuse to compile such a call in host code.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kernels/emu/block_scheduler.h"
#include "kernels/emu/device_functions.h"

namespace dae::emu {

namespace {

BlockScheduler& scheduler_for(const char* what) {
  if (t_scheduler == nullptr || t_slot == nullptr) {
    std::fprintf(stderr, "CUDA emulator: %s called outside a kernel\n", what);
    std::abort();
  }
  return *t_scheduler;
}

bool in_kernel() { return t_scheduler != nullptr && t_slot != nullptr; }

[[noreturn]] void index_fault(const std::string& access, const std::string& extent) {
  throw KernelFault(cudaErrorIllegalAddress, "shared memory index out of bounds: " + access + " with " + extent);
}

}  // namespace

int sync_threads(BarrierReduce reduce, int predicate, std::source_location where) {
  return scheduler_for("__syncthreads").sync_threads(reduce, predicate, where);
}

std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int param, int width) {
  return scheduler_for("a warp operation").warp_collective(op, mask, value, param, width);
}

unsigned active_mask(std::source_location where) { return scheduler_for("__activemask").active_mask(where); }

void* static_shared(const SharedArrayInfo& info) { return scheduler_for("a shared array").static_shared(info); }

void* dynamic_shared(std::size_t* bytes) { return scheduler_for("dynamic shared memory").dynamic_shared(bytes); }

void shared_index_fault(const char* name, long long index, std::size_t extent) {
  const std::string n = name;
  index_fault(n + "[" + std::to_string(index) + "]", n + " of " + std::to_string(extent) + " elements");
}

void shared_row_fault(const char* name, long long row, std::size_t rows, std::size_t columns) {
  const std::string n = name;
  index_fault(n + "[" + std::to_string(row) + "]",
              n + " of [" + std::to_string(rows) + "][" + std::to_string(columns) + "] elements");
}

void shared_column_fault(const char* name, long long row, long long column, std::size_t rows, std::size_t columns) {
  const std::string n = name;
  index_fault(n + "[" + std::to_string(row) + "][" + std::to_string(column) + "]",
              n + " of [" + std::to_string(rows) + "][" + std::to_string(columns) + "] elements");
}

namespace detail {

void device_trap(const char* what) {
  if (!in_kernel()) {
    std::fprintf(stderr, "CUDA emulator: %s outside a kernel\n", what);
    std::abort();
  }
  throw KernelFault(cudaErrorLaunchFailure, what);
}

void device_assert_fail(const char* expression, const char* file, int line, const char* function) {
  const std::string where = std::string(file) + ":" + std::to_string(line) + " in " + function;
  if (!in_kernel()) {
    std::fprintf(stderr, "%s: assertion `%s' failed\n", where.c_str(), expression);
    std::abort();
  }
  throw KernelFault(cudaErrorAssert, "assertion `" + std::string(expression) + "' failed at " + where);
}

}  // namespace detail

}  // namespace dae::emu
