// AVX2 versions of the noise tile loops: one Philox block per 32-bit lane,
// two vectors of 8 blocks at a time (TwoBatches). Compiled with
// -ffp-contract=off and without FMA in the target (so nothing can be fused);
// only noise.cpp's dispatch calls in here, after checking the CPU.
#include "kernels/cpu/noise_tiles.h"

#include <cstdint>
#include <cstring>

#include "kernels/common/macros.h"
#include "kernels/common/noise_body.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

namespace dae::kernels::cpu {
namespace {

struct Avx2Lanes {
  static constexpr int kWidth = 8;
  static constexpr std::size_t kStreamAlign = 32;  // _mm256_stream_ps needs an aligned address
  using U = __m256i;
  using F = __m256;
  using M = __m256;  // all ones in the lanes where the condition holds

  static U splat_u(std::uint32_t v) { return _mm256_set1_epi32(int(v)); }
  static F splat_f(float v) { return _mm256_set1_ps(v); }

  // Lane j = 4 q + r (q: 128-bit half, r: position in it) computes block
  // 2 r + q of the batch; after transpose4's per-half 4x4 transpose, output
  // vector r then holds blocks 2 r, 2 r + 1, i.e. words 8 r .. 8 r + 7.
  static U block_offsets4() { return _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7); }
  // For interleave2: unpacklo takes positions r = 0, 1 of each half q, unpackhi
  // r = 2, 3; lane 4 q + r computes block 2 q + r (r < 2) or 4 + 2 q + r - 2,
  // so the unpacklo vector holds blocks 0..3 in order and unpackhi 4..7.
  static U block_offsets2() { return _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7); }

  static U add_u(U a, U b) { return _mm256_add_epi32(a, b); }
  static U and_u(U a, U b) { return _mm256_and_si256(a, b); }
  static U or_u(U a, U b) { return _mm256_or_si256(a, b); }
  static U xor_u(U a, U b) { return _mm256_xor_si256(a, b); }
  static U xor3_u(U a, U b, U c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  template <int kBits>
  static U shr_u(U a) { return _mm256_srli_epi32(a, kBits); }
  template <int kBits>
  static U shl_u(U a) { return _mm256_slli_epi32(a, kBits); }
  static M bit_set(U a, std::uint32_t bit) {
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(a, splat_u(bit)), splat_u(bit)));
  }
  // blendv moves bits; it does no arithmetic on them.
  static U select_u(M m, U a, U b) {
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(b), _mm256_castsi256_ps(a), m));
  }

  // _mm256_mul_epu32 multiplies the even 32-bit lanes into 64-bit products;
  // the odd lanes are shifted down and multiplied the same way. The product
  // of lane 2i sits in dwords (2i: lo, 2i+1: hi) of `even`, that of lane 2i+1
  // in the same dwords of `odd`; shifts and blends gather each half.
  static void mulhilo(std::uint32_t multiplier, U a, U* hi, U* lo) {
    const U m = splat_u(multiplier);
    const U even = _mm256_mul_epu32(a, m);
    const U odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);  // odd lanes from `odd`
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }

  static F to_float(U a) { return _mm256_cvtepi32_ps(a); }
  static F as_float(U a) { return _mm256_castsi256_ps(a); }
  static U as_bits(F a) { return _mm256_castps_si256(a); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static M less(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }  // false on NaN, like a < b
  static M greater(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  // For x > 0 normal: x = mantissa 2^exponent, mantissa in [1, 2), from the bits.
  static void exponent_mantissa(F x, F* exponent, F* mantissa) {
    const U bits = as_bits(x);
    *exponent = to_float(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), splat_u(127u)));
    *mantissa = as_float(or_u(and_u(bits, splat_u(0x007fffffu)), splat_u(0x3f800000u)));
  }
  // v < 0 ? 0 : (v > 1 ? 1 : v). max(a, b) is a > b ? a : b and min(a, b)
  // a < b ? a : b, operand order kept, so NaN and -0 pass like the scalar code.
  static F clip01(F v) { return _mm256_min_ps(splat_f(1.0f), _mm256_max_ps(splat_f(0.0f), v)); }
  // m ? a * b : a.
  static F mul_if(M m, F a, F b) { return select(m, mul(a, b), a); }
  // v with its sign flipped where bit 31 of s is set.
  static F flip_sign_by(F v, U s) { return as_float(xor_u(as_bits(v), and_u(s, splat_u(0x80000000u)))); }

  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static U load_u(const std::uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void stream(float* p, F v) { _mm256_stream_ps(p, v); }  // p aligned to kStreamAlign
  static void fence() { _mm_sfence(); }

  // v[0..3] (word k of each lane's block in v[k]) to memory order, for the
  // lane order of block_offsets4: afterwards v[r] holds words
  // 8 r .. 8 r + 7 of the batch (word k of block i at 4 i + k).
  static void transpose4(F v[4]) {
    const U a = as_bits(v[0]), b = as_bits(v[1]), c = as_bits(v[2]), d = as_bits(v[3]);
    // Per half: ab_lo = a0 b0 a1 b1, ab_hi = a2 b2 a3 b3 (likewise cd_lo, cd_hi).
    const U ab_lo = _mm256_unpacklo_epi32(a, b), ab_hi = _mm256_unpackhi_epi32(a, b);
    const U cd_lo = _mm256_unpacklo_epi32(c, d), cd_hi = _mm256_unpackhi_epi32(c, d);
    v[0] = as_float(_mm256_unpacklo_epi64(ab_lo, cd_lo));  // a0 b0 c0 d0: r = 0
    v[1] = as_float(_mm256_unpackhi_epi64(ab_lo, cd_lo));  // r = 1
    v[2] = as_float(_mm256_unpacklo_epi64(ab_hi, cd_hi));  // r = 2
    v[3] = as_float(_mm256_unpackhi_epi64(ab_hi, cd_hi));  // r = 3
  }
  // v[0..1] (value h of each lane's block in v[h]) to memory order, for the
  // lane order of block_offsets2: value h of block i at 2 i + h.
  static void interleave2(F v[2]) {
    const U a = as_bits(v[0]), b = as_bits(v[1]);
    v[0] = as_float(_mm256_unpacklo_epi32(a, b));
    v[1] = as_float(_mm256_unpackhi_epi32(a, b));
  }
};

}  // namespace
}  // namespace dae::kernels::cpu

#include "kernels/cpu/noise_tiles_impl.h"

namespace dae::kernels::cpu {
namespace {
constexpr NoiseTileOps kAvx2Ops = make_tile_ops<TwoBatches<Avx2Lanes>>("avx2");
}  // namespace
}  // namespace dae::kernels::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace dae::kernels::cpu {
const NoiseTileOps* noise_tiles_avx2() { return &kAvx2Ops; }
}  // namespace dae::kernels::cpu

#else

namespace dae::kernels::cpu {
const NoiseTileOps* noise_tiles_avx2() { return nullptr; }
}  // namespace dae::kernels::cpu

#endif
