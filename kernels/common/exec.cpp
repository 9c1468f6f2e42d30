#include "kernels/common/exec.h"

#include <cstdlib>
#include <new>

namespace dae::kernels {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

ScratchBuffer::ScratchBuffer(const Exec& exec, std::size_t bytes) : scratch_(exec.scratch), ptr_(nullptr) {
  if (bytes == 0) return;
  if (scratch_ != nullptr) {
    ptr_ = scratch_->acquire(bytes);
  } else {
    ptr_ = std::aligned_alloc(64, round_up(bytes, 64));
    if (ptr_ == nullptr) throw std::bad_alloc();
  }
}

ScratchBuffer::~ScratchBuffer() {
  if (ptr_ == nullptr) return;
  if (scratch_ != nullptr) {
    scratch_->release(ptr_);
  } else {
    std::free(ptr_);
  }
}

}  // namespace dae::kernels
