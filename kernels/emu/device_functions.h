// CUDA's device functions for kernels run by the emulator: rounding-exact
// arithmetic, fast-math intrinsics, conversions, bit tricks, min/max,
// atomics, fences, __trap and a device assert.
//
// The _rn functions are exactly the correctly rounded IEEE operations, and
// never contracted into a fused multiply-add (their operands and results are
// passed through an empty asm the compiler cannot see through), so the bits
// match the GPU. The fast intrinsics (__expf, __logf, ...) use the accurate
// library functions instead: their last bits can differ from the GPU's.
// Atomics are real host atomics: blocks run on several OS threads.
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <math.h>

namespace dae::emu::detail {

// Returns x unchanged, but the compiler must assume it was changed: the value
// is rounded to its type and no multiply-add can be fused across it.
template <typename F>
inline F opaque(F x) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
  asm("" : "+w"(x));
#else
  volatile F v = x;
  x = v;
#endif
  return x;
}

template <typename T, typename Op>
inline T atomic_update(T* address, Op op) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load(std::memory_order_relaxed);
  while (!ref.compare_exchange_weak(old, op(old), std::memory_order_relaxed)) {
  }
  return old;
}

[[noreturn]] void device_trap(const char* what);
[[noreturn]] void device_assert_fail(const char* expression, const char* file, int line, const char* function);

}  // namespace dae::emu::detail

// ---------------------------------------------------------------------------
// Arithmetic with explicit round-to-nearest-even, never fused
// ---------------------------------------------------------------------------
#define DAE_EMU_OPAQUE(x) ::dae::emu::detail::opaque(x)
inline float __fadd_rn(float a, float b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) + DAE_EMU_OPAQUE(b)); }
inline float __fsub_rn(float a, float b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) - DAE_EMU_OPAQUE(b)); }
inline float __fmul_rn(float a, float b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) * DAE_EMU_OPAQUE(b)); }
inline float __fdiv_rn(float a, float b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) / DAE_EMU_OPAQUE(b)); }
inline float __frcp_rn(float a) { return DAE_EMU_OPAQUE(1.0f / DAE_EMU_OPAQUE(a)); }
inline float __fsqrt_rn(float a) { return DAE_EMU_OPAQUE(std::sqrt(DAE_EMU_OPAQUE(a))); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) + DAE_EMU_OPAQUE(b)); }
inline double __dsub_rn(double a, double b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) - DAE_EMU_OPAQUE(b)); }
inline double __dmul_rn(double a, double b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) * DAE_EMU_OPAQUE(b)); }
inline double __ddiv_rn(double a, double b) { return DAE_EMU_OPAQUE(DAE_EMU_OPAQUE(a) / DAE_EMU_OPAQUE(b)); }
inline double __dsqrt_rn(double a) { return DAE_EMU_OPAQUE(std::sqrt(DAE_EMU_OPAQUE(a))); }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
#undef DAE_EMU_OPAQUE

// 1/sqrt(x) rounded once (through double, exact for every float input but
// a vanishing few double-rounding cases).
inline float __frsqrt_rn(float x) { return float(1.0 / std::sqrt(double(x))); }

// ---------------------------------------------------------------------------
// Fast-math intrinsics (accurate versions here) and CUDA-only math names
// ---------------------------------------------------------------------------
inline float __expf(float x) { return std::exp(x); }
inline float __exp10f(float x) { return std::pow(10.0f, x); }
inline float __logf(float x) { return std::log(x); }
inline float __log2f(float x) { return std::log2(x); }
inline float __log10f(float x) { return std::log10(x); }
inline float __powf(float x, float y) { return std::pow(x, y); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
// Clamps to [0, 1]; NaN becomes 0.
inline float __saturatef(float x) { return x >= 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f); }

// ---------------------------------------------------------------------------
// Conversions and bit reinterpretation
// ---------------------------------------------------------------------------
inline int __float2int_rn(float x) { return int(std::nearbyint(x)); }
inline int __float2int_rz(float x) { return int(std::trunc(x)); }
inline int __float2int_rd(float x) { return int(std::floor(x)); }
inline int __float2int_ru(float x) { return int(std::ceil(x)); }
inline unsigned __float2uint_rn(float x) { return unsigned(std::nearbyint(x)); }
inline unsigned __float2uint_rz(float x) { return unsigned(std::trunc(x)); }
inline float __int2float_rn(int x) { return float(x); }
inline float __uint2float_rn(unsigned x) { return float(x); }

inline unsigned __float_as_uint(float x) { return std::bit_cast<unsigned>(x); }
inline int __float_as_int(float x) { return std::bit_cast<int>(x); }
inline float __uint_as_float(unsigned x) { return std::bit_cast<float>(x); }
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline long long __double_as_longlong(double x) { return std::bit_cast<long long>(x); }
inline double __longlong_as_double(long long x) { return std::bit_cast<double>(x); }

// ---------------------------------------------------------------------------
// Integer intrinsics
// ---------------------------------------------------------------------------
inline int __popc(unsigned x) { return std::popcount(x); }
inline int __popcll(unsigned long long x) { return std::popcount(x); }
inline int __clz(int x) { return std::countl_zero(unsigned(x)); }
inline int __clzll(long long x) { return std::countl_zero((unsigned long long)(x)); }
inline int __ffs(int x) { return x == 0 ? 0 : std::countr_zero(unsigned(x)) + 1; }
inline int __ffsll(long long x) { return x == 0 ? 0 : std::countr_zero((unsigned long long)(x)) + 1; }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
inline unsigned __umulhi(unsigned a, unsigned b) { return unsigned((std::uint64_t(a) * b) >> 32); }
inline int __mulhi(int a, int b) { return int((std::int64_t(a) * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  __extension__ typedef unsigned __int128 u128;
  return (unsigned long long)(u128(a) * b >> 64);
}
// Low 32 bits of the product of the low 24 bits of a and b (signed: bit 23 is the sign).
inline int __mul24(int a, int b) {
  const std::int64_t a24 = std::int32_t(std::uint32_t(a) << 8) >> 8, b24 = std::int32_t(std::uint32_t(b) << 8) >> 8;
  return int(std::uint32_t(a24 * b24));
}
inline unsigned __umul24(unsigned a, unsigned b) {
  return unsigned(std::uint64_t(a & 0xffffffu) * (b & 0xffffffu));
}

// min and max, overloaded like CUDA's (the float ones follow fminf/fmaxf).
#define DAE_EMU_MIN_MAX(R, A, B)                      \
  inline R min(A a, B b) { return static_cast<R>(a) < static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); } \
  inline R max(A a, B b) { return static_cast<R>(a) > static_cast<R>(b) ? static_cast<R>(a) : static_cast<R>(b); }
DAE_EMU_MIN_MAX(int, int, int)
DAE_EMU_MIN_MAX(unsigned, unsigned, unsigned)
DAE_EMU_MIN_MAX(unsigned, int, unsigned)
DAE_EMU_MIN_MAX(unsigned, unsigned, int)
DAE_EMU_MIN_MAX(long, long, long)
DAE_EMU_MIN_MAX(unsigned long, unsigned long, unsigned long)
DAE_EMU_MIN_MAX(long long, long long, long long)
DAE_EMU_MIN_MAX(unsigned long long, unsigned long long, unsigned long long)
#undef DAE_EMU_MIN_MAX
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
inline double min(float a, double b) { return std::fmin(double(a), b); }
inline double max(float a, double b) { return std::fmax(double(a), b); }
inline double min(double a, float b) { return std::fmin(a, double(b)); }
inline double max(double a, float b) { return std::fmax(a, double(b)); }

// Read-only cache loads are plain loads here.
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}

// ---------------------------------------------------------------------------
// Atomics (relaxed, like CUDA's; use __threadfence to order around them)
// ---------------------------------------------------------------------------
#define DAE_EMU_ATOMIC_FETCH(name, T, method)                                      \
  inline T name(T* address, T value) {                                             \
    return std::atomic_ref<T>(*address).method(value, std::memory_order_relaxed); \
  }
DAE_EMU_ATOMIC_FETCH(atomicAdd, int, fetch_add)
DAE_EMU_ATOMIC_FETCH(atomicAdd, unsigned, fetch_add)
DAE_EMU_ATOMIC_FETCH(atomicAdd, unsigned long long, fetch_add)
DAE_EMU_ATOMIC_FETCH(atomicAdd, float, fetch_add)
DAE_EMU_ATOMIC_FETCH(atomicAdd, double, fetch_add)
DAE_EMU_ATOMIC_FETCH(atomicSub, int, fetch_sub)
DAE_EMU_ATOMIC_FETCH(atomicSub, unsigned, fetch_sub)
DAE_EMU_ATOMIC_FETCH(atomicExch, int, exchange)
DAE_EMU_ATOMIC_FETCH(atomicExch, unsigned, exchange)
DAE_EMU_ATOMIC_FETCH(atomicExch, unsigned long long, exchange)
DAE_EMU_ATOMIC_FETCH(atomicExch, float, exchange)
DAE_EMU_ATOMIC_FETCH(atomicAnd, int, fetch_and)
DAE_EMU_ATOMIC_FETCH(atomicAnd, unsigned, fetch_and)
DAE_EMU_ATOMIC_FETCH(atomicAnd, unsigned long long, fetch_and)
DAE_EMU_ATOMIC_FETCH(atomicOr, int, fetch_or)
DAE_EMU_ATOMIC_FETCH(atomicOr, unsigned, fetch_or)
DAE_EMU_ATOMIC_FETCH(atomicOr, unsigned long long, fetch_or)
DAE_EMU_ATOMIC_FETCH(atomicXor, int, fetch_xor)
DAE_EMU_ATOMIC_FETCH(atomicXor, unsigned, fetch_xor)
DAE_EMU_ATOMIC_FETCH(atomicXor, unsigned long long, fetch_xor)
#undef DAE_EMU_ATOMIC_FETCH

#define DAE_EMU_ATOMIC_MIN_MAX(T)                                                                       \
  inline T atomicMin(T* address, T value) {                                                             \
    return ::dae::emu::detail::atomic_update(address, [value](T old) { return value < old ? value : old; }); \
  }                                                                                                     \
  inline T atomicMax(T* address, T value) {                                                             \
    return ::dae::emu::detail::atomic_update(address, [value](T old) { return value > old ? value : old; }); \
  }
DAE_EMU_ATOMIC_MIN_MAX(int)
DAE_EMU_ATOMIC_MIN_MAX(unsigned)
DAE_EMU_ATOMIC_MIN_MAX(long long)
DAE_EMU_ATOMIC_MIN_MAX(unsigned long long)
#undef DAE_EMU_ATOMIC_MIN_MAX

// Stores `value` if *address == compare; returns the old value either way.
#define DAE_EMU_ATOMIC_CAS(T)                                                                      \
  inline T atomicCAS(T* address, T compare, T value) {                                             \
    std::atomic_ref<T>(*address).compare_exchange_strong(compare, value, std::memory_order_relaxed); \
    return compare;                                                                                \
  }
DAE_EMU_ATOMIC_CAS(int)
DAE_EMU_ATOMIC_CAS(unsigned)
DAE_EMU_ATOMIC_CAS(unsigned long long)
#undef DAE_EMU_ATOMIC_CAS

// ((old >= limit) ? 0 : old + 1) and (((old == 0) || (old > limit)) ? limit : old - 1).
inline unsigned atomicInc(unsigned* address, unsigned limit) {
  return ::dae::emu::detail::atomic_update(address, [limit](unsigned old) { return old >= limit ? 0u : old + 1; });
}
inline unsigned atomicDec(unsigned* address, unsigned limit) {
  return ::dae::emu::detail::atomic_update(
      address, [limit](unsigned old) { return (old == 0 || old > limit) ? limit : old - 1; });
}

inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
// A block runs on one OS thread: only the compiler must not reorder.
inline void __threadfence_block() { std::atomic_signal_fence(std::memory_order_seq_cst); }

// ---------------------------------------------------------------------------
// Stopping a kernel
// ---------------------------------------------------------------------------
// Fails the launch with cudaErrorLaunchFailure.
[[noreturn]] inline void __trap() { ::dae::emu::detail::device_trap("__trap() was called"); }

// assert() in a kernel fails the launch with cudaErrorAssert and a message
// naming the expression, instead of aborting the process (NDEBUG turns it
// off, as on the GPU). A file that includes <cassert> after this header gets
// the host's assert back.
#include <cassert>
#undef assert
#ifdef NDEBUG
#define assert(expression) ((void)0)
#else
#define assert(expression) \
  ((expression) ? (void)0 : ::dae::emu::detail::device_assert_fail(#expression, __FILE__, __LINE__, __func__))
#endif
