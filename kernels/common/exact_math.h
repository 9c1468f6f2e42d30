// Transcendental functions built only from IEEE-754 +, -, *, / and sqrt,
// which are correctly rounded on every device: given the same inputs, the
// CPU and the GPU return the same bits. (The library logf/sinf/cosf differ by
// an ulp or two between glibc and CUDA, which would break the promise that
// noise is bit-identical across devices.)
//
// Contraction of a*b+c into a fused multiply-add would also change bits, so
// every product and sum goes through dae_mul/dae_add: on the GPU these are
// the round-to-nearest intrinsics nvcc never fuses; on the host the files
// that include this header are compiled with -ffp-contract=off.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/common/macros.h"

namespace dae::exact {

#if defined(__CUDA_ARCH__)
DAE_HOST_DEVICE inline float mul(float a, float b) { return __fmul_rn(a, b); }
DAE_HOST_DEVICE inline float add(float a, float b) { return __fadd_rn(a, b); }
DAE_HOST_DEVICE inline float sub(float a, float b) { return __fsub_rn(a, b); }
DAE_HOST_DEVICE inline float div(float a, float b) { return __fdiv_rn(a, b); }
DAE_HOST_DEVICE inline float sqrt(float a) { return __fsqrt_rn(a); }
#else
DAE_HOST_DEVICE inline float mul(float a, float b) { return a * b; }
DAE_HOST_DEVICE inline float add(float a, float b) { return a + b; }
DAE_HOST_DEVICE inline float sub(float a, float b) { return a - b; }
DAE_HOST_DEVICE inline float div(float a, float b) { return a / b; }
DAE_HOST_DEVICE inline float sqrt(float a) { return __builtin_sqrtf(a); }
#endif

DAE_HOST_DEVICE inline std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
DAE_HOST_DEVICE inline float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Natural logarithm of a positive, finite, normal float.
// x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1),
// |s| < 0.172, summed to s^11 (truncation error below 4e-10).
DAE_HOST_DEVICE inline float log(float x) {
  std::uint32_t u = bits_of(x);
  int e = int((u >> 23) & 0xffu) - 127;
  u = (u & 0x007fffffu) | 0x3f800000u;  // m in [1, 2)
  float m = float_of(u);
  if (m > 1.41421356f) {
    m = mul(m, 0.5f);
    e += 1;
  }
  const float s = div(sub(m, 1.0f), add(m, 1.0f));
  const float s2 = mul(s, s);
  // 2 (s + s^3/3 + s^5/5 + s^7/7 + s^9/9 + s^11/11), Horner in s^2.
  float poly = 1.0f / 11.0f;
  poly = add(mul(poly, s2), 1.0f / 9.0f);
  poly = add(mul(poly, s2), 1.0f / 7.0f);
  poly = add(mul(poly, s2), 1.0f / 5.0f);
  poly = add(mul(poly, s2), 1.0f / 3.0f);
  poly = add(mul(poly, s2), 1.0f);
  const float ln_m = mul(2.0f, mul(s, poly));
  return add(mul(float(e), 0.693147180559945309f), ln_m);
}

// sin and cos of 2*pi*t for t in [0, 1) (t a multiple of 2^-24, as Philox
// uniforms are). t*4 = quadrant + f exactly; the angle f*pi/2 in [0, pi/2)
// goes through Taylor polynomials to x^13 / x^12 (error below 6e-8).
DAE_HOST_DEVICE inline void sincos_2pi(float t, float* sin_out, float* cos_out) {
  const float t4 = mul(t, 4.0f);
  const int quadrant = int(t4);  // 0..3
  const float f = sub(t4, float(quadrant));
  const float x = mul(f, 1.57079632679489662f);
  const float x2 = mul(x, x);
  // sin x = x - x^3 * q(x^2), q = 1/3! - x^2/5! + x^4/7! - x^6/9! + x^8/11! - x^10/13!
  float sp = -1.0f / 6227020800.0f;
  sp = add(mul(sp, x2), 1.0f / 39916800.0f);
  sp = add(mul(sp, x2), -1.0f / 362880.0f);
  sp = add(mul(sp, x2), 1.0f / 5040.0f);
  sp = add(mul(sp, x2), -1.0f / 120.0f);
  sp = add(mul(sp, x2), 1.0f / 6.0f);
  const float s = sub(x, mul(mul(x, x2), sp));
  // cos x = 1 + x^2 * r(x^2), r = -1/2! + x^2/4! - x^4/6! + x^6/8! - x^8/10! + x^10/12!
  float cp = 1.0f / 479001600.0f;
  cp = add(mul(cp, x2), -1.0f / 3628800.0f);
  cp = add(mul(cp, x2), 1.0f / 40320.0f);
  cp = add(mul(cp, x2), -1.0f / 720.0f);
  cp = add(mul(cp, x2), 1.0f / 24.0f);
  cp = add(mul(cp, x2), -0.5f);
  const float c = add(1.0f, mul(x2, cp));
  switch (quadrant) {
    case 0: *sin_out = s; *cos_out = c; break;
    case 1: *sin_out = c; *cos_out = -s; break;
    case 2: *sin_out = -s; *cos_out = -c; break;
    default: *sin_out = -c; *cos_out = s; break;
  }
}

}  // namespace dae::exact
