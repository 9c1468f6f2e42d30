#include "kernels/common/exec.h"

#include <cstdlib>
#include <new>

#include "kernels/common/errors.h"

namespace dae::kernels {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

ConvAlgo parse_conv_algo(const std::string& text) {
  if (text == "custom") return ConvAlgo::kCustom;
  if (text == "cublas") return ConvAlgo::kCublas;
  if (text == "cudnn") return ConvAlgo::kCudnn;
  throw ArgumentError("unknown convolution algorithm '" + text + "' (expected custom, cublas or cudnn)");
}

const char* to_string(ConvAlgo algo) {
  switch (algo) {
    case ConvAlgo::kCustom: return "custom";
    case ConvAlgo::kCublas: return "cublas";
    case ConvAlgo::kCudnn: return "cudnn";
  }
  return "unknown";
}

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
