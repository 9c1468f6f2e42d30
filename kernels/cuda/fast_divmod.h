// Integer division by a divisor fixed for a whole kernel, without the ~20
// instructions of a hardware-less 32-bit divide: q = (mulhi(n, magic) + n) >> shift.
//
// This is the round-up method of Granlund and Montgomery ("Division by
// invariant integers using multiplication", PLDI 1994) for 31-bit dividends:
// with shift = ceil(log2 d) and magic = floor(2^32 (2^shift - d) / d) + 1,
// the quotient is exact for every 0 <= n < 2^31. The convolution kernels use
// it to turn a flat GEMM index back into (image, row, column) and
// (channel, kernel row, kernel column); every index there is below 2^31
// (the launchers check it).
//
// Host and device code (the host builds the divisors once per launch; the
// backward-data kernel builds its per-phase divisors on the device).
#pragma once

#include <cstdint>

#include "kernels/common/macros.h"

namespace dae::kernels::cuda {

struct FastDivmod {
  int divisor = 1;
  std::uint32_t magic = 0;
  std::uint32_t shift = 0;

  FastDivmod() = default;
  // d >= 1 (a non-positive d is treated as 1, so an empty dimension is harmless).
  DAE_HOST_DEVICE explicit FastDivmod(int d) : divisor(d < 1 ? 1 : d) {
    const std::uint32_t ud = std::uint32_t(divisor);
    while ((std::uint64_t(1) << shift) < ud) ++shift;
    magic = std::uint32_t(((std::uint64_t(1) << 32) * ((std::uint64_t(1) << shift) - ud)) / ud + 1);
  }

  // n / divisor for 0 <= n < 2^31.
  DAE_HOST_DEVICE int div(int n) const {
#if defined(__CUDA_ARCH__)
    const std::uint32_t hi = __umulhi(std::uint32_t(n), magic);
#else
    const std::uint32_t hi = std::uint32_t((std::uint64_t(std::uint32_t(n)) * magic) >> 32);
#endif
    return int((hi + std::uint32_t(n)) >> shift);
  }

  // quotient and remainder of n / divisor.
  DAE_HOST_DEVICE void divmod(int n, int& quotient, int& remainder) const {
    quotient = div(n);
    remainder = n - quotient * divisor;
  }
};

}  // namespace dae::kernels::cuda
