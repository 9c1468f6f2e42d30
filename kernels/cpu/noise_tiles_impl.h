// The noise tile loops of kernels/cpu/noise_tiles.h, written once over a
// "lanes" type V that runs the same scalar operation on V::kWidth values at a
// time: ScalarLanes below (1 lane, portable C++), Avx2Lanes (8) and
// Avx512Lanes (16) in noise_tiles_avx2.cpp / noise_tiles_avx512.cpp, the
// last two doubled by TwoBatches below (two independent vectors at a time).
//
// Include this only from those noise_tiles_*.cpp files, after the
// `#pragma GCC target` that picks the instruction set: everything here has
// internal linkage (an anonymous namespace), so each file compiles its own
// copy for its own instruction set and no AVX-512 copy can leak into code
// that runs on a CPU without it.
//
// Bits. Every function computes, lane by lane, exactly the IEEE operations of
// kernels/common/noise_body.h, philox.h and exact_math.h, in the same order:
// +, -, *, / and sqrt are correctly rounded in every lane width, and the files
// that include this header are compiled with -ffp-contract=off (no fused
// multiply-add; no intrinsic used here fuses either). Integer steps (the
// Philox rounds, the exponent split of log, the quadrant of sincos) are exact.
// Selections replace branches but pick the same value. So each path returns
// the portable path's bits, which tests/unit/test_noise_reference.cpp checks
// against the per-element functions.
//
// Lane layout of a batch. A batch computes kWidth Philox blocks, one per lane,
// giving four word vectors w[0..3] (w[k] = word k of each lane's block). To
// bring them to memory order (word k of block i at 4 i + k) the vector types
// transpose 4x4 words inside each 128-bit quarter, which is cheap but only
// puts blocks in memory order if the lanes hold the blocks in a matching
// order: V::block_offsets4() says which block of the batch each lane
// computes, and V::transpose4 undoes it. Salt and pepper has two values per
// block (V::block_offsets2 / V::interleave2). ScalarLanes needs neither.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/common/macros.h"
#include "kernels/common/noise_body.h"
#include "kernels/cpu/noise_tiles.h"

namespace dae::kernels::cpu {
namespace {

// One lane: the plain C++ of noise_body.h, operation by operation. U holds 32
// bits read as unsigned or as two's-complement int as the operation needs; F
// a float; M a condition.
struct ScalarLanes {
  static constexpr int kWidth = 1;
  static constexpr std::size_t kStreamAlign = sizeof(float);  // (stream() is a plain store)
  using U = std::uint32_t;
  using F = float;
  using M = bool;

  static U splat_u(std::uint32_t v) { return v; }
  static F splat_f(float v) { return v; }
  static U block_offsets4() { return 0; }
  static U block_offsets2() { return 0; }

  static U add_u(U a, U b) { return a + b; }
  static U and_u(U a, U b) { return a & b; }
  static U or_u(U a, U b) { return a | b; }
  static U xor_u(U a, U b) { return a ^ b; }
  static U xor3_u(U a, U b, U c) { return a ^ b ^ c; }
  template <int kBits>
  static U shr_u(U a) { return a >> kBits; }
  template <int kBits>
  static U shl_u(U a) { return a << kBits; }
  static M bit_set(U a, std::uint32_t bit) { return (a & bit) != 0; }
  static U select_u(M m, U a, U b) { return m ? a : b; }
  // (hi, lo) = the 64-bit product multiplier * a, split in two words.
  static void mulhilo(std::uint32_t multiplier, U a, U* hi, U* lo) {
    const std::uint64_t product = std::uint64_t(multiplier) * a;
    *hi = std::uint32_t(product >> 32);
    *lo = std::uint32_t(product);
  }

  static F to_float(U a) { return float(std::int32_t(a)); }          // a read as int32
  static F as_float(U a) { return exact::float_of(a); }
  static U as_bits(F a) { return exact::bits_of(a); }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F sqrt(F a) { return __builtin_sqrtf(a); }
  static M less(F a, F b) { return a < b; }
  static M greater(F a, F b) { return a > b; }
  static F select(M m, F a, F b) { return m ? a : b; }
  // For x > 0 normal: x = mantissa 2^exponent, mantissa in [1, 2), exponent
  // an integer (as a float), read from the bits of x.
  static void exponent_mantissa(F x, F* exponent, F* mantissa) {
    const U bits = as_bits(x);
    *exponent = to_float((bits >> 23) - 127u);
    *mantissa = as_float((bits & 0x007fffffu) | 0x3f800000u);
  }
  // gaussian_group's clip: v < 0 ? 0 : (v > 1 ? 1 : v) (NaN and -0 stay).
  static F clip01(F v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }
  // m ? a * b : a.
  static F mul_if(M m, F a, F b) { return m ? a * b : a; }
  // v with its sign flipped (unary minus) where bit 31 of s is set.
  static F flip_sign_by(F v, U s) { return as_float(as_bits(v) ^ (s & 0x80000000u)); }

  static F load(const float* p) { return *p; }
  static U load_u(const std::uint32_t* p) { return *p; }
  static void store(float* p, F v) { *p = v; }
  static void stream(float* p, F v) { *p = v; }  // (the portable path has no non-temporal stores)
  static void fence() {}
  // One lane holds one block's values: they are already in memory order.
  static void transpose4(F*) {}
  static void interleave2(F*) {}
};

// Two vectors of V side by side, as one lanes type of twice the width: every
// operation runs on both halves, so the two halves are two independent
// dependency chains that the core overlaps (a Philox round or a log
// polynomial is a chain of multiplies, each waiting for the last, and one
// chain alone leaves the vector units idle most of the time). Half 0 holds
// lanes 0 .. V::kWidth - 1, half 1 the rest; in memory order, vector k of a
// batch is (half 0, half 1) of values 2k and 2k + 1 of V's order.
template <class V>
struct TwoBatches {
  static constexpr int kWidth = 2 * V::kWidth;
  static constexpr std::size_t kStreamAlign = V::kStreamAlign;  // each half streams on its own
  struct U {
    typename V::U half[2];
  };
  struct F {
    typename V::F half[2];
  };
  struct M {
    typename V::M half[2];
  };

  static U splat_u(std::uint32_t v) { return U{{V::splat_u(v), V::splat_u(v)}}; }
  static F splat_f(float v) { return F{{V::splat_f(v), V::splat_f(v)}}; }
  // Half 1 computes the blocks V::kWidth further on.
  static U block_offsets4() {
    return U{{V::block_offsets4(), V::add_u(V::block_offsets4(), V::splat_u(std::uint32_t(V::kWidth)))}};
  }
  static U block_offsets2() {
    return U{{V::block_offsets2(), V::add_u(V::block_offsets2(), V::splat_u(std::uint32_t(V::kWidth)))}};
  }

  static U add_u(U a, U b) { return U{{V::add_u(a.half[0], b.half[0]), V::add_u(a.half[1], b.half[1])}}; }
  static U and_u(U a, U b) { return U{{V::and_u(a.half[0], b.half[0]), V::and_u(a.half[1], b.half[1])}}; }
  static U or_u(U a, U b) { return U{{V::or_u(a.half[0], b.half[0]), V::or_u(a.half[1], b.half[1])}}; }
  static U xor_u(U a, U b) { return U{{V::xor_u(a.half[0], b.half[0]), V::xor_u(a.half[1], b.half[1])}}; }
  static U xor3_u(U a, U b, U c) {
    return U{{V::xor3_u(a.half[0], b.half[0], c.half[0]), V::xor3_u(a.half[1], b.half[1], c.half[1])}};
  }
  template <int kBits>
  static U shr_u(U a) { return U{{V::template shr_u<kBits>(a.half[0]), V::template shr_u<kBits>(a.half[1])}}; }
  template <int kBits>
  static U shl_u(U a) { return U{{V::template shl_u<kBits>(a.half[0]), V::template shl_u<kBits>(a.half[1])}}; }
  static M bit_set(U a, std::uint32_t bit) { return M{{V::bit_set(a.half[0], bit), V::bit_set(a.half[1], bit)}}; }
  static U select_u(M m, U a, U b) {
    return U{{V::select_u(m.half[0], a.half[0], b.half[0]), V::select_u(m.half[1], a.half[1], b.half[1])}};
  }
  static void mulhilo(std::uint32_t multiplier, U a, U* hi, U* lo) {
    V::mulhilo(multiplier, a.half[0], &hi->half[0], &lo->half[0]);
    V::mulhilo(multiplier, a.half[1], &hi->half[1], &lo->half[1]);
  }

  static F to_float(U a) { return F{{V::to_float(a.half[0]), V::to_float(a.half[1])}}; }
  static F as_float(U a) { return F{{V::as_float(a.half[0]), V::as_float(a.half[1])}}; }
  static U as_bits(F a) { return U{{V::as_bits(a.half[0]), V::as_bits(a.half[1])}}; }
  static F add(F a, F b) { return F{{V::add(a.half[0], b.half[0]), V::add(a.half[1], b.half[1])}}; }
  static F sub(F a, F b) { return F{{V::sub(a.half[0], b.half[0]), V::sub(a.half[1], b.half[1])}}; }
  static F mul(F a, F b) { return F{{V::mul(a.half[0], b.half[0]), V::mul(a.half[1], b.half[1])}}; }
  static F div(F a, F b) { return F{{V::div(a.half[0], b.half[0]), V::div(a.half[1], b.half[1])}}; }
  static F sqrt(F a) { return F{{V::sqrt(a.half[0]), V::sqrt(a.half[1])}}; }
  static M less(F a, F b) { return M{{V::less(a.half[0], b.half[0]), V::less(a.half[1], b.half[1])}}; }
  static M greater(F a, F b) { return M{{V::greater(a.half[0], b.half[0]), V::greater(a.half[1], b.half[1])}}; }
  static F select(M m, F a, F b) {
    return F{{V::select(m.half[0], a.half[0], b.half[0]), V::select(m.half[1], a.half[1], b.half[1])}};
  }
  static void exponent_mantissa(F x, F* exponent, F* mantissa) {
    V::exponent_mantissa(x.half[0], &exponent->half[0], &mantissa->half[0]);
    V::exponent_mantissa(x.half[1], &exponent->half[1], &mantissa->half[1]);
  }
  static F clip01(F v) { return F{{V::clip01(v.half[0]), V::clip01(v.half[1])}}; }
  static F mul_if(M m, F a, F b) {
    return F{{V::mul_if(m.half[0], a.half[0], b.half[0]), V::mul_if(m.half[1], a.half[1], b.half[1])}};
  }
  static F flip_sign_by(F v, U s) {
    return F{{V::flip_sign_by(v.half[0], s.half[0]), V::flip_sign_by(v.half[1], s.half[1])}};
  }

  static F load(const float* p) { return F{{V::load(p), V::load(p + V::kWidth)}}; }
  static U load_u(const std::uint32_t* p) { return U{{V::load_u(p), V::load_u(p + V::kWidth)}}; }
  static void store(float* p, F v) {
    V::store(p, v.half[0]);
    V::store(p + V::kWidth, v.half[1]);
  }
  static void stream(float* p, F v) {
    V::stream(p, v.half[0]);
    V::stream(p + V::kWidth, v.half[1]);
  }
  static void fence() { V::fence(); }

  // Each half to V's memory order, then re-paired: the blocks of half 0 come
  // first in memory, each half giving 4 (or 2) consecutive V vectors.
  static void transpose4(F v[4]) {
    typename V::F first[4] = {v[0].half[0], v[1].half[0], v[2].half[0], v[3].half[0]};
    typename V::F second[4] = {v[0].half[1], v[1].half[1], v[2].half[1], v[3].half[1]};
    V::transpose4(first);
    V::transpose4(second);
    v[0] = F{{first[0], first[1]}};
    v[1] = F{{first[2], first[3]}};
    v[2] = F{{second[0], second[1]}};
    v[3] = F{{second[2], second[3]}};
  }
  static void interleave2(F v[2]) {
    typename V::F first[2] = {v[0].half[0], v[1].half[0]};
    typename V::F second[2] = {v[0].half[1], v[1].half[1]};
    V::interleave2(first);
    V::interleave2(second);
    v[0] = F{{first[0], first[1]}};
    v[1] = F{{second[0], second[1]}};
  }
};

// ---------------------------------------------------------------------------
// Philox 4x32-10 on kWidth blocks (philox.h's philox4x32_10, lane-wise).
// ---------------------------------------------------------------------------

// The constants of philox4x32_10 (philox.h keeps them local to that function).
constexpr std::uint32_t kPhiloxMul0 = 0xD2511F53u, kPhiloxMul1 = 0xCD9E8D57u;
constexpr std::uint32_t kPhiloxWeyl0 = 0x9E3779B9u, kPhiloxWeyl1 = 0xBB67AE85u;

// What the Philox blocks of the noise stream of (p.seed, p.step) share: the
// key of each round (philox4x32_10 adds the Weyl constants round by round)
// and the counter words c2, c3 (philox::make_counter). Computed once per
// call, so a batch reads its round keys from memory instead of deriving and
// broadcasting them.
struct PhiloxStream {
  std::uint32_t round_key0[10], round_key1[10];
  std::uint32_t c2, c3;
};

inline PhiloxStream make_philox_stream(const NoiseParams& p) {
  PhiloxStream stream{};
  const philox::Key key = philox::make_key(p.seed);
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    stream.round_key0[round] = k0;
    stream.round_key1[round] = k1;
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  const philox::Counter counter = philox::make_counter(0, p.step, philox::kStreamNoise);
  stream.c2 = counter.c2;
  stream.c3 = counter.c3;
  return stream;
}

// Lane j computes block first_block + offsets[j] of the stream; words[k]
// receives word k of each lane's block. The lanes' blocks must share the
// high 32 bits of the block index (see blocks_straddle).
template <class V>
DAE_ALWAYS_INLINE void philox_batch(const PhiloxStream& philox, std::uint64_t first_block, typename V::U offsets,
                                    typename V::U words[4]) {
  using U = typename V::U;
  // counter = {block_lo, block_hi, step_lo, step_hi ^ stream}; only block_lo differs between lanes.
  U c0 = V::add_u(V::splat_u(std::uint32_t(first_block)), offsets);
  U c1 = V::splat_u(std::uint32_t(first_block >> 32));
  U c2 = V::splat_u(philox.c2);
  U c3 = V::splat_u(philox.c3);
  for (int round = 0; round < 10; ++round) {
    U hi0, lo0, hi1, lo1;
    V::mulhilo(kPhiloxMul0, c0, &hi0, &lo0);
    V::mulhilo(kPhiloxMul1, c2, &hi1, &lo1);
    const U n0 = V::xor3_u(hi1, c1, V::splat_u(philox.round_key0[round]));
    const U n2 = V::xor3_u(hi0, c3, V::splat_u(philox.round_key1[round]));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  words[0] = c0;
  words[1] = c1;
  words[2] = c2;
  words[3] = c3;
}

// True when blocks first_block .. first_block + n_blocks - 1 cross a
// multiple of 2^32: the low counter word would wrap inside a batch, whose
// lanes share the high word. A tile that does (once per 2^34 elements) is
// drawn one block at a time, with ScalarLanes.
inline bool blocks_straddle(std::uint64_t first_block, int n_blocks) {
  return n_blocks > 0 && (first_block >> 32) != ((first_block + std::uint64_t(n_blocks) - 1) >> 32);
}

// philox::to_uniform: the top 24 bits scaled by 2^-24.
template <class V>
DAE_ALWAYS_INLINE typename V::F uniform(typename V::U bits) {
  return V::mul(V::to_float(V::template shr_u<8>(bits)), V::splat_f(1.0f / 16777216.0f));
}

// ---------------------------------------------------------------------------
// exact::log and exact::sincos_2pi, lane-wise, on the uniforms of the
// Box-Muller step: same constants, same operations in the same order. The
// first steps of each read the uniform's bits straight from the Philox word
// instead of from the float: the same exact values, with fewer operations.
// ---------------------------------------------------------------------------

// exact::log(to_uniform_open0(w)). The uniform is k 2^-24 with
// k = (w >> 8) + 1 in [1, 2^24], and float(k) is exact: log's split of its
// argument into m 2^e (m in [1, 2), e an integer, read from the bits) is
// the split of float(k), with e lowered by 24. V::exponent_mantissa gives
// e as a float; every value it takes here is a small integer, so the
// adjustments of e below are exact and float(e) of the original is e itself.
template <class V>
DAE_ALWAYS_INLINE typename V::F exact_log_of_open0(typename V::U w) {
  using F = typename V::F;
  const F k = V::to_float(V::add_u(V::template shr_u<8>(w), V::splat_u(1u)));
  F e, m;
  V::exponent_mantissa(k, &e, &m);
  const typename V::M big = V::greater(m, V::splat_f(1.41421356f));
  m = V::mul_if(big, m, V::splat_f(0.5f));
  e = V::add(e, V::select(big, V::splat_f(-23.0f), V::splat_f(-24.0f)));  // - 24, + 1 when m was halved
  const F s = V::div(V::sub(m, V::splat_f(1.0f)), V::add(m, V::splat_f(1.0f)));
  const F s2 = V::mul(s, s);
  F poly = V::splat_f(1.0f / 11.0f);
  poly = V::add(V::mul(poly, s2), V::splat_f(1.0f / 9.0f));
  poly = V::add(V::mul(poly, s2), V::splat_f(1.0f / 7.0f));
  poly = V::add(V::mul(poly, s2), V::splat_f(1.0f / 5.0f));
  poly = V::add(V::mul(poly, s2), V::splat_f(1.0f / 3.0f));
  poly = V::add(V::mul(poly, s2), V::splat_f(1.0f));
  const F ln_m = V::mul(V::splat_f(2.0f), V::mul(s, poly));
  return V::add(V::mul(e, V::splat_f(0.693147180559945309f)), ln_m);
}

// exact::sincos_2pi(to_uniform(w)). There t = (w >> 8) 2^-24, so
// t4 = t * 4 = (w >> 8) 2^-22 exactly, quadrant = int(t4) = w >> 30 (the top
// two bits of w) and f = t4 - quadrant = ((w >> 8) & 0x3fffff) 2^-22, all exact.
template <class V>
DAE_ALWAYS_INLINE void exact_sincos_2pi_of(typename V::U w, typename V::F* sin_out, typename V::F* cos_out) {
  using F = typename V::F;
  const F f = V::mul(V::to_float(V::and_u(V::template shr_u<8>(w), V::splat_u(0x3fffffu))),
                     V::splat_f(1.0f / 4194304.0f));
  const F x = V::mul(f, V::splat_f(1.57079632679489662f));
  const F x2 = V::mul(x, x);
  F sp = V::splat_f(-1.0f / 6227020800.0f);
  sp = V::add(V::mul(sp, x2), V::splat_f(1.0f / 39916800.0f));
  sp = V::add(V::mul(sp, x2), V::splat_f(-1.0f / 362880.0f));
  sp = V::add(V::mul(sp, x2), V::splat_f(1.0f / 5040.0f));
  sp = V::add(V::mul(sp, x2), V::splat_f(-1.0f / 120.0f));
  sp = V::add(V::mul(sp, x2), V::splat_f(1.0f / 6.0f));
  const F s = V::sub(x, V::mul(V::mul(x, x2), sp));
  F cp = V::splat_f(1.0f / 479001600.0f);
  cp = V::add(V::mul(cp, x2), V::splat_f(-1.0f / 3628800.0f));
  cp = V::add(V::mul(cp, x2), V::splat_f(1.0f / 40320.0f));
  cp = V::add(V::mul(cp, x2), V::splat_f(-1.0f / 720.0f));
  cp = V::add(V::mul(cp, x2), V::splat_f(1.0f / 24.0f));
  cp = V::add(V::mul(cp, x2), V::splat_f(-0.5f));
  const F c = V::add(V::splat_f(1.0f), V::mul(x2, cp));
  // The quadrant switch of sincos_2pi without branches, q = w >> 30:
  //   quadrant  0    1    2    3
  //   sin       s    c   -s   -c     s and c swap when q is odd (bit 30 of w);
  //   cos       c   -s   -c    s     sin flips sign (unary minus: the sign
  // bit) when q >= 2 (bit 31 of w), cos when q is 1 or 2 (bit 31 xor bit 30).
  const typename V::M odd = V::bit_set(w, 0x40000000u);
  const F sin_abs = V::select(odd, c, s), cos_abs = V::select(odd, s, c);
  *sin_out = V::flip_sign_by(sin_abs, w);
  *cos_out = V::flip_sign_by(cos_abs, V::xor_u(w, V::template shl_u<1>(w)));
}

// Box-Muller of gaussian_group on one word pair per lane:
// radius = sqrt(-2 ln u0), u0 = to_uniform_open0(w0); (cos, sin)(2 pi u1), u1 = to_uniform(w1).
template <class V>
DAE_ALWAYS_INLINE void box_muller_lanes(typename V::U w0, typename V::U w1, typename V::F* z_cos,
                                        typename V::F* z_sin) {
  using F = typename V::F;
  const F radius = V::sqrt(V::mul(V::splat_f(-2.0f), exact_log_of_open0<V>(w0)));
  F s, c;
  exact_sincos_2pi_of<V>(w1, &s, &c);
  *z_cos = V::mul(radius, c);
  *z_sin = V::mul(radius, s);
}

// ---------------------------------------------------------------------------
// The models: a batch's Philox words (kWidth blocks, in the lane order of
// Model::offsets) turned into per-unit values, returned as vectors in memory order
// (vector k holds values k kWidth .. k kWidth + kWidth - 1 of the batch,
// value kValues i + h being value h of block i).
// ---------------------------------------------------------------------------

// Masking noise: 4 draw units per block, unit 4b + k from word k.
struct MaskModel {
  static constexpr int kValues = 4;
  template <class V>
  static typename V::U offsets() { return V::block_offsets4(); }
  template <class V>
  DAE_ALWAYS_INLINE static void values(const NoiseParams& p, const typename V::U words[4], typename V::F codes[4]) {
    for (int k = 0; k < 4; ++k) {
      codes[k] = V::select(V::less(uniform<V>(words[k]), V::splat_f(p.p)), V::splat_f(0.0f), V::splat_f(kKeep));
    }
    V::transpose4(codes);
  }
};

// Salt and pepper: 2 draw units per block, unit 2b from words 0 (hit) and 1
// (salt), unit 2b + 1 from words 2 and 3.
struct SaltPepperModel {
  static constexpr int kValues = 2;
  template <class V>
  static typename V::U offsets() { return V::block_offsets2(); }
  template <class V>
  DAE_ALWAYS_INLINE static void values(const NoiseParams& p, const typename V::U words[4], typename V::F codes[2]) {
    using F = typename V::F;
    for (int h = 0; h < 2; ++h) {
      const F corrupted = V::select(V::less(uniform<V>(words[2 * h + 1]), V::splat_f(p.salt)), V::splat_f(1.0f),
                                    V::splat_f(0.0f));
      codes[h] = V::select(V::less(uniform<V>(words[2 * h]), V::splat_f(p.amount)), corrupted, V::splat_f(kKeep));
    }
    V::interleave2(codes);
  }
};

// Gaussian: group g = elements 4g .. 4g + 3, Box-Muller on word pairs (0, 1) and (2, 3).
struct GaussianModel {
  static constexpr int kValues = 4;
  template <class V>
  static typename V::U offsets() { return V::block_offsets4(); }
  template <class V>
  DAE_ALWAYS_INLINE static void values(const NoiseParams&, const typename V::U words[4], typename V::F normals[4]) {
    box_muller_lanes<V>(words[0], words[1], &normals[0], &normals[1]);
    box_muller_lanes<V>(words[2], words[3], &normals[2], &normals[3]);
    V::transpose4(normals);
  }
};

// ---------------------------------------------------------------------------
// Per-pixel draws into a buffer (for the channels of a pixel tile).
// ---------------------------------------------------------------------------

// Blocks first_block .. first_block + n_blocks - 1, rounded up to whole
// batches, Model::kValues values per block at out[kValues * i].
template <class V, class Model>
DAE_ALWAYS_INLINE void draw_blocks(const NoiseParams& p, std::uint64_t first_block, int n_blocks, float* out) {
  const PhiloxStream philox = make_philox_stream(p);
  for (int b = 0; b < n_blocks; b += V::kWidth) {
    typename V::U words[4];
    philox_batch<V>(philox, first_block + std::uint64_t(b), Model::template offsets<V>(), words);
    typename V::F values[Model::kValues];
    Model::template values<V>(p, words, values);
    for (int k = 0; k < Model::kValues; ++k) V::store(out + b * Model::kValues + k * V::kWidth, values[k]);
  }
}

template <class V, class Model>
void draw_codes(const NoiseParams& p, std::uint64_t first_block, int n_blocks, float* code) {
  const int rounded = (n_blocks + V::kWidth - 1) / V::kWidth * V::kWidth;
  if (blocks_straddle(first_block, rounded)) {
    draw_blocks<ScalarLanes, Model>(p, first_block, rounded, code);
  } else {
    draw_blocks<V, Model>(p, first_block, n_blocks, code);
  }
}

// ---------------------------------------------------------------------------
// Writing y and the mask.
// ---------------------------------------------------------------------------

// One vector of y or mask values: a plain store, or a non-temporal one
// (straight to memory, without first reading the line into the cache; `p`
// aligned to the vector size). Both leave the same bits in memory.
template <class V, bool kStream>
DAE_ALWAYS_INLINE void store_out(float* p, typename V::F v) {
  if constexpr (kStream) {
    V::stream(p, v);
  } else {
    V::store(p, v);
  }
}

// Whether V::stream may write at p (V::kStreamAlign: the bytes of one
// hardware vector).
template <class V>
DAE_ALWAYS_INLINE bool stream_aligned(const float* p) {
  return (reinterpret_cast<std::uintptr_t>(p) & (V::kStreamAlign - 1)) == 0;
}

// One vector of codes: y = code < 0 ? x : code, mask = code < 0 ? 0 : 1.
template <class V, bool kStream>
DAE_ALWAYS_INLINE void apply_code(typename V::F code, const float* x, float* y, float* mask) {
  const typename V::M keep = V::less(code, V::splat_f(0.0f));
  store_out<V, kStream>(y, V::select(keep, V::load(x), code));
  store_out<V, kStream>(mask, V::select(keep, V::splat_f(0.0f), V::splat_f(1.0f)));
}

// One vector of normals: gaussian_group's second loop, v = x + sigma z, then
// v < 0 ? 0 : (v > 1 ? 1 : v) when clipping; mask = 1.
template <class V, bool kStream>
DAE_ALWAYS_INLINE void apply_normal(typename V::F z, const float* x, float* y, float* mask, float sigma, bool clip) {
  typename V::F v = V::add(V::load(x), V::mul(V::splat_f(sigma), z));
  if (clip) v = V::clip01(v);
  store_out<V, kStream>(y, v);
  store_out<V, kStream>(mask, V::splat_f(1.0f));
}

// ---------------------------------------------------------------------------
// Element tiles: draw and apply fused, batch by batch, so that the memory
// traffic of x, y and the mask is spread over the computation instead of
// coming in bursts.
// ---------------------------------------------------------------------------

// How far ahead of the batch being computed its x is requested from memory
// (2048 elements, 8 KB): the hardware prefetcher alone runs only a few lines
// ahead of the loads, which leaves the core waiting on memory between batches.
constexpr int kPrefetchAhead = 2048;

// Asks for the cache line of x[i]; i may lie past the end of x (a prefetch
// never faults), so the address is formed as an integer.
DAE_ALWAYS_INLINE void prefetch(const float* x, int i) {
  const std::uintptr_t address = reinterpret_cast<std::uintptr_t>(x) + std::uintptr_t(i) * sizeof(float);
  __builtin_prefetch(reinterpret_cast<const void*>(address));
}

// Elements [0, n) of a tile whose first element `first` is a multiple of 4,
// for a Model with kValues values per block (a batch: kValues * kWidth
// elements). apply(lanes, streamed, value, e) writes element(s) e.. of the
// tile, reading x[e..].
//
// Software-pipelined: the Philox words of batch b + 1 are computed before
// the values of batch b. They do not depend on each other, and in program
// order the next batch's Philox rounds sit among the long dependency chains
// of this batch's values (a division, then a polynomial, then a square root
// in the Box-Muller step), where the core can run them in the gaps.
template <class V, bool kStream, class Model, typename Apply>
DAE_ALWAYS_INLINE void fused_elements(const NoiseParams& p, std::int64_t first, int n, const float* x, Apply apply) {
  using U = typename V::U;
  constexpr int kValues = Model::kValues;
  constexpr int kBatch = kValues * V::kWidth;
  constexpr int kFloatsPerLine = 16;  // 64-byte cache lines
  const std::integral_constant<bool, kStream> streamed;
  const PhiloxStream philox = make_philox_stream(p);
  const std::uint64_t first_block = std::uint64_t(first) / kValues;
  const int n_batches = n / kBatch;
  U next[4];
  if (n_batches > 0) philox_batch<V>(philox, first_block, Model::template offsets<V>(), next);
  for (int b = 0; b < n_batches; ++b) {
    const int e = b * kBatch;
    for (int line = 0; line < kBatch; line += kFloatsPerLine) prefetch(x, e + kPrefetchAhead + line);
    const U words[4] = {next[0], next[1], next[2], next[3]};
    if (b + 1 < n_batches) {
      philox_batch<V>(philox, first_block + std::uint64_t(b + 1) * V::kWidth, Model::template offsets<V>(), next);
    }
    typename V::F values[kValues];
    Model::template values<V>(p, words, values);
    for (int k = 0; k < kValues; ++k) apply(V{}, streamed, values[k], e + k * V::kWidth);
  }
  // The last n - n_batches kBatch < kBatch elements, one block at a time.
  for (int e = n_batches * kBatch; e < n; e += kValues) {
    ScalarLanes::U words[4];
    philox_batch<ScalarLanes>(philox, std::uint64_t(first + e) / kValues, 0, words);
    float values[kValues];
    Model::template values<ScalarLanes>(p, words, values);
    for (int h = 0; h < kValues && e + h < n; ++h) apply(ScalarLanes{}, std::false_type{}, values[h], e + h);
  }
}

// Runs fused_elements with non-temporal stores when asked and y and the mask
// are aligned for them (every batch then starts on a vector boundary), with
// plain stores otherwise; a tile whose blocks straddle a multiple of 2^32
// goes one block at a time.
template <class V, class Model, typename Apply>
DAE_ALWAYS_INLINE void run_elements(const NoiseParams& p, std::int64_t first, int n, const float* x, const float* y,
                                    const float* mask, bool stream, Apply apply) {
  const int n_blocks = (n + Model::kValues - 1) / Model::kValues;
  if (blocks_straddle(std::uint64_t(first) / Model::kValues, n_blocks)) {
    fused_elements<ScalarLanes, false, Model>(p, first, n, x, apply);
  } else if (V::kWidth > 1 && stream && stream_aligned<V>(y) && stream_aligned<V>(mask)) {
    fused_elements<V, true, Model>(p, first, n, x, apply);
  } else {
    fused_elements<V, false, Model>(p, first, n, x, apply);
  }
}

template <class V>
void mask_elements(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y, float* mask,
                   bool stream) {
  run_elements<V, MaskModel>(p, first, n, x, y, mask, stream, [&](auto lanes, auto streamed, auto code, int e) {
    apply_code<decltype(lanes), decltype(streamed)::value>(code, x + e, y + e, mask + e);
  });
}

template <class V>
void saltpepper_elements(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y, float* mask,
                         bool stream) {
  run_elements<V, SaltPepperModel>(p, first, n, x, y, mask, stream, [&](auto lanes, auto streamed, auto code, int e) {
    apply_code<decltype(lanes), decltype(streamed)::value>(code, x + e, y + e, mask + e);
  });
}

template <class V>
void gaussian_elements(const NoiseParams& p, std::int64_t first, int n, const float* x, float* y, float* mask,
                       bool stream) {
  run_elements<V, GaussianModel>(p, first, n, x, y, mask, stream, [&](auto lanes, auto streamed, auto z, int e) {
    apply_normal<decltype(lanes), decltype(streamed)::value>(z, x + e, y + e, mask + e, p.sigma, p.clip);
  });
}

// ---------------------------------------------------------------------------
// Pixel tiles: codes already drawn, applied to one channel's elements.
// ---------------------------------------------------------------------------

template <class V, bool kStream>
DAE_ALWAYS_INLINE int apply_codes_lanes(const float* code, const float* x, float* y, float* mask, int begin, int n) {
  int e = begin;
  for (; e + V::kWidth <= n; e += V::kWidth) apply_code<V, kStream>(V::load(code + e), x + e, y + e, mask + e);
  return e;
}

// Whole vectors, then the last n % kWidth elements one at a time. Streamed
// (when y and the mask are equally misaligned), the elements before the
// first y aligned for V::stream go one at a time too.
template <class V>
void apply_codes(const float* code, const float* x, float* y, float* mask, int n, bool stream) {
  constexpr std::uintptr_t kAlignMask = V::kStreamAlign - 1;
  const std::uintptr_t y_address = reinterpret_cast<std::uintptr_t>(y);
  if (V::kWidth > 1 && stream && ((y_address ^ reinterpret_cast<std::uintptr_t>(mask)) & kAlignMask) == 0) {
    const int to_aligned = int(((kAlignMask + 1 - (y_address & kAlignMask)) & kAlignMask) / sizeof(float));
    const int head = to_aligned < n ? to_aligned : n;
    apply_codes_lanes<ScalarLanes, false>(code, x, y, mask, 0, head);
    const int done = apply_codes_lanes<V, true>(code, x, y, mask, head, n);
    apply_codes_lanes<ScalarLanes, false>(code, x, y, mask, done, n);
    return;
  }
  const int done = apply_codes_lanes<V, false>(code, x, y, mask, 0, n);
  apply_codes_lanes<ScalarLanes, false>(code, x, y, mask, done, n);
}

template <class V>
DAE_ALWAYS_INLINE int box_muller_range(const std::uint32_t* w0, const std::uint32_t* w1, int begin, int n,
                                       float* z_cos, float* z_sin) {
  int i = begin;
  for (; i + V::kWidth <= n; i += V::kWidth) {
    typename V::F c, s;
    box_muller_lanes<V>(V::load_u(w0 + i), V::load_u(w1 + i), &c, &s);
    V::store(z_cos + i, c);
    V::store(z_sin + i, s);
  }
  return i;
}

template <class V>
void box_muller(const std::uint32_t* w0, const std::uint32_t* w1, int n, float* z_cos, float* z_sin) {
  const int done = box_muller_range<V>(w0, w1, 0, n, z_cos, z_sin);
  box_muller_range<ScalarLanes>(w0, w1, done, n, z_cos, z_sin);
}

template <class V>
void store_fence() {
  V::fence();
}

template <class V>
constexpr NoiseTileOps make_tile_ops(const char* name) {
  static_assert(V::kWidth <= kMaxBatchBlocks, "the draw buffers are padded for kMaxBatchBlocks blocks");
  return NoiseTileOps{name,
                      &mask_elements<V>,
                      &saltpepper_elements<V>,
                      &gaussian_elements<V>,
                      &draw_codes<V, MaskModel>,
                      &draw_codes<V, SaltPepperModel>,
                      &apply_codes<V>,
                      &store_fence<V>,
                      &box_muller<V>};
}

}  // namespace
}  // namespace dae::kernels::cpu
