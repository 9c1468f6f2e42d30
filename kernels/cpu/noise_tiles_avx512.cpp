// AVX-512 versions of the noise tile loops: one Philox block per 32-bit lane,
// two vectors of 16 blocks at a time (TwoBatches). Compiled with
// -ffp-contract=off; only AVX512F is used, and only noise.cpp's dispatch
// calls in here, after checking the CPU.
#include "kernels/cpu/noise_tiles.h"

#include <cstdint>
#include <cstring>

#include "kernels/common/macros.h"
#include "kernels/common/noise_body.h"

#if defined(__x86_64__) && defined(__GNUC__)

// GCC 12 reports its own AVX-512 intrinsics (which start from
// _mm512_undefined_*) as "used uninitialized" once inlined; the warning is
// spurious and is silenced for the AVX-512 code of this file only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

namespace dae::kernels::cpu {
namespace {

struct Avx512Lanes {
  static constexpr int kWidth = 16;
  static constexpr std::size_t kStreamAlign = 64;  // _mm512_stream_ps needs an aligned address
  using U = __m512i;
  using F = __m512;
  using M = __mmask16;

  static U splat_u(std::uint32_t v) { return _mm512_set1_epi32(int(v)); }
  static F splat_f(float v) { return _mm512_set1_ps(v); }

  // Lane j = 4 q + r (q: 128-bit quarter, r: position in it) computes block
  // 4 r + q of the batch; after transpose4's per-quarter 4x4 transpose, output
  // vector r then holds blocks 4 r .. 4 r + 3, i.e. words 16 r .. 16 r + 15.
  static U block_offsets4() { return _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15); }
  // For interleave2: unpacklo takes positions r = 0, 1 of each quarter q, unpackhi
  // r = 2, 3; lane 4 q + r computes block 2 q + r (r < 2) or 8 + 2 q + r - 2,
  // so the unpacklo vector holds blocks 0..7 in order and unpackhi 8..15.
  static U block_offsets2() { return _mm512_setr_epi32(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15); }

  static U add_u(U a, U b) { return _mm512_add_epi32(a, b); }
  static U and_u(U a, U b) { return _mm512_and_si512(a, b); }
  static U or_u(U a, U b) { return _mm512_or_si512(a, b); }
  static U xor_u(U a, U b) { return _mm512_xor_si512(a, b); }
  static U xor3_u(U a, U b, U c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }  // 0x96: a ^ b ^ c
  template <int kBits>
  static U shr_u(U a) { return _mm512_srli_epi32(a, kBits); }
  template <int kBits>
  static U shl_u(U a) { return _mm512_slli_epi32(a, kBits); }
  static M bit_set(U a, std::uint32_t bit) { return _mm512_test_epi32_mask(a, splat_u(bit)); }
  static U select_u(M m, U a, U b) { return _mm512_mask_blend_epi32(m, b, a); }

  // _mm512_mul_epu32 multiplies the even 32-bit lanes into 64-bit products;
  // the odd lanes are shifted down and multiplied the same way. The product
  // of lane 2i sits in dwords (2i: lo, 2i+1: hi) of `even`, that of lane 2i+1
  // in the same dwords of `odd`; a masked pair swap gathers each half.
  static void mulhilo(std::uint32_t multiplier, U a, U* hi, U* lo) {
    const U m = splat_u(multiplier);
    const U even = _mm512_mul_epu32(a, m);
    const U odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);  // even lanes: even's dword 2i+1
    *lo = _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CDAB);  // odd lanes: odd's dword 2i
  }

  static F to_float(U a) { return _mm512_cvtepi32_ps(a); }
  static F as_float(U a) { return _mm512_castsi512_ps(a); }
  static U as_bits(F a) { return _mm512_castps_si512(a); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static M less(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }    // false on NaN, like a < b
  static M greater(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
  // For x > 0 normal: x = mantissa 2^exponent, mantissa in [1, 2). getexp
  // and getmant read the exponent and the mantissa bits: exact, no rounding.
  static void exponent_mantissa(F x, F* exponent, F* mantissa) {
    *exponent = _mm512_getexp_ps(x);
    *mantissa = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
  }
  // v < 0 ? 0 : (v > 1 ? 1 : v). max(a, b) is a > b ? a : b and min(a, b)
  // a < b ? a : b, operand order kept, so NaN and -0 pass like the scalar code.
  static F clip01(F v) { return _mm512_min_ps(splat_f(1.0f), _mm512_max_ps(splat_f(0.0f), v)); }
  // m ? a * b : a, as one masked multiply.
  static F mul_if(M m, F a, F b) { return _mm512_mask_mul_ps(a, m, a, b); }
  // v with its sign flipped where bit 31 of s is set: v ^ (s & sign bit) in
  // one ternary-logic op (0x78: A ^ (B & C)).
  static F flip_sign_by(F v, U s) {
    return as_float(_mm512_ternarylogic_epi32(as_bits(v), s, splat_u(0x80000000u), 0x78));
  }

  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static U load_u(const std::uint32_t* p) { return _mm512_loadu_si512(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void stream(float* p, F v) { _mm512_stream_ps(p, v); }  // p aligned to kStreamAlign
  static void fence() { _mm_sfence(); }

  // v[0..3] (word k of each lane's block in v[k]) to memory order, for the
  // lane order of block_offsets4: afterwards v[r] holds words
  // 16 r .. 16 r + 15 of the batch (word k of block i at 4 i + k).
  static void transpose4(F v[4]) {
    const U a = as_bits(v[0]), b = as_bits(v[1]), c = as_bits(v[2]), d = as_bits(v[3]);
    // Per quarter: ab_lo = a0 b0 a1 b1, ab_hi = a2 b2 a3 b3 (likewise cd_lo, cd_hi).
    const U ab_lo = _mm512_unpacklo_epi32(a, b), ab_hi = _mm512_unpackhi_epi32(a, b);
    const U cd_lo = _mm512_unpacklo_epi32(c, d), cd_hi = _mm512_unpackhi_epi32(c, d);
    v[0] = as_float(_mm512_unpacklo_epi64(ab_lo, cd_lo));  // a0 b0 c0 d0: r = 0
    v[1] = as_float(_mm512_unpackhi_epi64(ab_lo, cd_lo));  // r = 1
    v[2] = as_float(_mm512_unpacklo_epi64(ab_hi, cd_hi));  // r = 2
    v[3] = as_float(_mm512_unpackhi_epi64(ab_hi, cd_hi));  // r = 3
  }
  // v[0..1] (value h of each lane's block in v[h]) to memory order, for the
  // lane order of block_offsets2: value h of block i at 2 i + h.
  static void interleave2(F v[2]) {
    const U a = as_bits(v[0]), b = as_bits(v[1]);
    v[0] = as_float(_mm512_unpacklo_epi32(a, b));
    v[1] = as_float(_mm512_unpackhi_epi32(a, b));
  }
};

}  // namespace
}  // namespace dae::kernels::cpu

#include "kernels/cpu/noise_tiles_impl.h"

namespace dae::kernels::cpu {
namespace {
constexpr NoiseTileOps kAvx512Ops = make_tile_ops<TwoBatches<Avx512Lanes>>("avx512");
}  // namespace
}  // namespace dae::kernels::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#pragma GCC diagnostic pop

namespace dae::kernels::cpu {
const NoiseTileOps* noise_tiles_avx512() { return &kAvx512Ops; }
}  // namespace dae::kernels::cpu

#else

namespace dae::kernels::cpu {
const NoiseTileOps* noise_tiles_avx512() { return nullptr; }
}  // namespace dae::kernels::cpu

#endif
