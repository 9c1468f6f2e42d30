// The optimized CPU noise kernel against a plain scalar reference written
// here from the per-element functions of kernels/common/noise_body.h: same
// bits, for every kind and option, odd sizes (vector tails), batch 1,
// several seeds and steps, 1 and 2 threads, cached and streaming stores on
// aligned and misaligned outputs, and every instruction-set path this CPU
// can run (the portable one included).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/common/noise_body.h"
#include "kernels/cpu/noise.h"
#include "kernels/cpu/noise_tiles.h"

using namespace dae::kernels;
using dae::kernels::cpu::NoiseIsa;

namespace {

// The reference: one element (or one Gaussian group of four) at a time,
// straight from the definitions, no tiling, no threads.
void reference_corrupt(const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask) {
  const std::int64_t n = s.numel();
  switch (p.kind) {
    case NoiseKind::kNone:
      for (std::int64_t e = 0; e < n; ++e) {
        y[e] = x[e];
        mask[e] = 0.0f;
      }
      return;
    case NoiseKind::kGaussian:
      for (std::int64_t g = 0; 4 * g < n; ++g) {
        const int count = int(std::min<std::int64_t>(4, n - 4 * g));
        gaussian_group(p, g, count, x + 4 * g, y + 4 * g, mask + 4 * g);
      }
      return;
    case NoiseKind::kSaltPepper:
      for (std::int64_t e = 0; e < n; ++e) y[e] = saltpepper_element(p, noise_draw_unit(s, p, e), x[e], mask + e);
      return;
    case NoiseKind::kMask:
      for (std::int64_t e = 0; e < n; ++e) y[e] = mask_element(p, noise_draw_unit(s, p, e), x[e], mask + e);
      return;
    case NoiseKind::kBlock: {
      const std::int64_t plane = std::int64_t(s.height) * s.width;
      std::vector<char> covered(static_cast<std::size_t>(plane));
      for (int image = 0; image < s.batch; ++image) {
        std::fill(covered.begin(), covered.end(), 0);
        for (int j = 0; j < p.block_count; ++j) {
          int top = 0, left = 0;
          block_position(p, s, image, j, &top, &left);
          for (int row = top; row < top + p.block_h; ++row) {
            for (int col = left; col < left + p.block_w; ++col) covered[std::size_t(row * s.width + col)] = 1;
          }
        }
        for (int ch = 0; ch < s.channels; ++ch) {
          const std::int64_t base = (std::int64_t(image) * s.channels + ch) * plane;
          for (std::int64_t i = 0; i < plane; ++i) {
            y[base + i] = covered[std::size_t(i)] ? 0.0f : x[base + i];
            mask[base + i] = covered[std::size_t(i)] ? 1.0f : 0.0f;
          }
        }
      }
      return;
    }
  }
}

// Inputs mostly in [-0.25, 1.25] (so clipping shows at both ends), seasoned
// with the values whose bits a careless vector path changes: signed zeros,
// NaN, infinities, a subnormal, 0 and 1 exactly.
std::vector<float> test_input(std::int64_t n, std::uint32_t seed) {
  std::vector<float> x(static_cast<std::size_t>(n));
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = -0.25f + 1.5f * float(state >> 8) / 16777216.0f;
  }
  const float specials[] = {-0.0f, 0.0f, 1.0f, std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            1e-40f, -1.0f, 2.0f};
  for (std::size_t i = 0; i < x.size(); i += 97) x[i] = specials[(i / 97) % (sizeof specials / sizeof specials[0])];
  return x;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// Counts the elements whose bits differ and reports the first few.
int bit_mismatches(const float* got, const std::vector<float>& want, const char* what) {
  int bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (bits(got[i]) == bits(want[i])) continue;
    if (bad < 5) {
      UNSCOPED_INFO(what << "[" << i << "]: got " << got[i] << " (0x" << std::hex << bits(got[i]) << "), want "
                         << want[i] << " (0x" << bits(want[i]) << std::dec << ")");
    }
    ++bad;
  }
  return bad;
}

// n floats starting `offset` floats past a 64-byte boundary (to reach the
// aligned and the misaligned store paths), filled with `fill`.
struct Buffer {
  Buffer(std::size_t n, int offset, float fill)
      : base(static_cast<float*>(std::aligned_alloc(64, ((n + std::size_t(offset)) * sizeof(float) + 63) / 64 * 64))),
        data(base + offset) {
    std::fill(data, data + n, fill);
  }
  ~Buffer() { std::free(base); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  float* base;
  float* data;
};

// How one kernel call runs: threads, store kind, and how far x, y and the
// mask sit past a 64-byte boundary. Streaming needs y and the mask aligned
// alike: 1/1 takes the unaligned head, 0/3 the plain-store fallback.
struct RunConfig {
  int threads;
  cpu::NoiseStores stores;
  int x_offset, y_offset, mask_offset;
};
constexpr RunConfig kRuns[] = {
    {1, cpu::NoiseStores::kCached, 0, 0, 0},    {2, cpu::NoiseStores::kCached, 0, 0, 0},
    {1, cpu::NoiseStores::kStreaming, 0, 0, 0}, {2, cpu::NoiseStores::kStreaming, 0, 0, 0},
    {2, cpu::NoiseStores::kStreaming, 1, 1, 1}, {2, cpu::NoiseStores::kStreaming, 2, 0, 3},
};

struct Case {
  std::string name;
  NoiseParams params;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  const auto add = [&](std::string name, NoiseParams p) { cases.push_back(Case{std::move(name), p}); };
  NoiseParams p;
  add("none", p);
  for (float sigma : {0.0f, 0.1f, 0.7f}) {
    for (bool clip : {true, false}) {
      p = NoiseParams{};
      p.kind = NoiseKind::kGaussian;
      p.sigma = sigma;
      p.clip = clip;
      add("gaussian sigma=" + std::to_string(sigma) + " clip=" + std::to_string(clip), p);
    }
  }
  for (bool per_channel : {true, false}) {
    for (float amount : {0.0f, 0.1f, 0.5f, 1.0f}) {
      for (float salt : {0.0f, 0.3f, 1.0f}) {
        p = NoiseParams{};
        p.kind = NoiseKind::kSaltPepper;
        p.amount = amount;
        p.salt = salt;
        p.per_channel = per_channel;
        add("saltpepper amount=" + std::to_string(amount) + " salt=" + std::to_string(salt) +
                " per_channel=" + std::to_string(per_channel),
            p);
      }
    }
    for (float prob : {0.0f, 0.25f, 0.5f, 1.0f}) {
      p = NoiseParams{};
      p.kind = NoiseKind::kMask;
      p.p = prob;
      p.per_channel = per_channel;
      add("mask p=" + std::to_string(prob) + " per_channel=" + std::to_string(per_channel), p);
    }
  }
  return cases;
}

// Block sizes that fit the image: 1x1, a small square, a wide rectangle, the
// whole image, and a large rectangle (several of each per image).
std::vector<Case> block_cases(const ImageShape& s) {
  std::vector<Case> cases;
  const int sizes[][3] = {
      {1, 1, 1}, {3, 3, 2}, {2, 7, 5}, {s.height, s.width, 1}, {s.height / 2 + 1, s.width / 3 + 1, 3}};
  for (const auto& hwc : sizes) {
    if (hwc[0] < 1 || hwc[1] < 1 || hwc[0] > s.height || hwc[1] > s.width) continue;
    NoiseParams p;
    p.kind = NoiseKind::kBlock;
    p.per_channel = false;
    p.block_h = hwc[0];
    p.block_w = hwc[1];
    p.block_count = hwc[2];
    cases.push_back(Case{"block " + std::to_string(hwc[0]) + "x" + std::to_string(hwc[1]) + " count=" +
                             std::to_string(hwc[2]),
                         p});
  }
  return cases;
}

}  // namespace

TEST_CASE("noise kernel: every path gives the scalar reference's bits, for any thread count",
          "[noise][reference]") {
  // Odd sizes everywhere: single elements, planes that are not multiples of
  // the vector width, odd planes (so the per-pixel draws of odd images start
  // mid Philox block), planes larger than one tile, and enough elements to
  // run on several threads.
  const ImageShape shapes[] = {{1, 1, 1, 1},   {1, 1, 1, 7},    {3, 1, 1, 1},   {1, 3, 5, 7},
                               {2, 3, 37, 29}, {5, 3, 67, 131}, {1, 2, 61, 97}, {4, 1, 33, 65}};
  const std::uint64_t seeds[] = {0, 1, 0xdeadbeefcafef00dull};
  const std::uint64_t steps[] = {0, 7, (1ull << 40) + 3};
  const std::vector<NoiseIsa> isas = cpu::supported_noise_isas();
  REQUIRE(!isas.empty());
  REQUIRE(isas.front() == NoiseIsa::kPortable);
  int compared = 0;
  for (const ImageShape& s : shapes) {
    std::vector<Case> cases = all_cases();
    for (Case& c : block_cases(s)) cases.push_back(c);
    const std::vector<float> x = test_input(s.numel(), std::uint32_t(s.numel()));
    for (std::size_t k = 0; k < cases.size(); ++k) {
      // Every case on every shape, with one (seed, step) pair per case in turn,
      // and all nine pairs on the first cases.
      for (std::size_t pair = 0; pair < 9; ++pair) {
        if (k >= 3 && pair != k % 9) continue;
        NoiseParams p = cases[k].params;
        p.seed = seeds[pair / 3];
        p.step = steps[pair % 3];
        std::vector<float> want_y(x.size()), want_mask(x.size());
        reference_corrupt(p, s, x.data(), want_y.data(), want_mask.data());
        for (NoiseIsa isa : isas) {
          for (const RunConfig& run : kRuns) {
            INFO(cases[k].name << ", shape " << s.batch << "x" << s.channels << "x" << s.height << "x" << s.width
                               << ", seed " << p.seed << ", step " << p.step << ", " << cpu::noise_isa_name(isa) << ", "
                               << run.threads << " thread(s), "
                               << (run.stores == cpu::NoiseStores::kStreaming ? "streaming" : "cached")
                               << " stores, x/y/mask offsets " << run.x_offset << "/" << run.y_offset << "/"
                               << run.mask_offset);
            // Poisoned outputs: an element the kernel forgets shows as a mismatch.
            Buffer x_in(x.size(), run.x_offset, 0.0f);
            Buffer y(x.size(), run.y_offset, std::numeric_limits<float>::quiet_NaN());
            Buffer mask(x.size(), run.mask_offset, -7.0f);
            std::copy(x.begin(), x.end(), x_in.data);
            Exec ex;
            ex.n_threads = run.threads;
            cpu::corrupt_with(isa, run.stores, ex, p, s, x_in.data, y.data, mask.data);
            REQUIRE(bit_mismatches(y.data, want_y, "y") == 0);
            REQUIRE(bit_mismatches(mask.data, want_mask, "mask") == 0);
            ++compared;
          }
        }
      }
    }
  }
  INFO("paths tested: " << isas.size());
  REQUIRE(compared > 0);
}

TEST_CASE("noise kernel: corrupt() takes the widest supported path, the portable one under DAE_CPU_BASELINE=1",
          "[noise][reference]") {
  std::vector<NoiseIsa> isas = cpu::supported_noise_isas();
  const auto env_is_1 = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::string(v) == "1";
  };
  const bool baseline = env_is_1("DAE_CPU_BASELINE");
  const bool no_avx512 = env_is_1("DAE_CPU_NO_AVX512");
  if (no_avx512) std::erase(isas, NoiseIsa::kAvx512);
  INFO("DAE_CPU_BASELINE " << (baseline ? "= 1" : "unset") << ", DAE_CPU_NO_AVX512 " << (no_avx512 ? "= 1" : "unset")
                           << ", widest allowed path: " << cpu::noise_isa_name(isas.back()));
  REQUIRE(cpu::best_noise_isa() == (baseline ? NoiseIsa::kPortable : isas.back()));
}

// The tile functions of each path, called directly with block indices near
// multiples of 2^32, where a vector batch's low counter words would wrap and
// the batch is drawn one block at a time (real tensors reach this only past
// 2^34 elements).
TEST_CASE("noise tiles: batches that straddle 2^32 Philox blocks give the per-element bits", "[noise][reference]") {
  NoiseParams p;
  p.seed = 99;
  p.step = 5;
  p.p = 0.3f;
  p.amount = 0.4f;
  p.salt = 0.6f;
  p.sigma = 0.25f;
  const std::uint64_t first_blocks[] = {(1ull << 32) - 5, (3ull << 32) - 17, (1ull << 32) - 16};
  const int n_blocks = 40;
  for (NoiseIsa isa : cpu::supported_noise_isas()) {
    const cpu::NoiseTileOps& ops = cpu::noise_tiles(isa);
    for (std::uint64_t first_block : first_blocks) {
      INFO(ops.name << ", first block " << first_block);
      // Per-pixel codes: saltpepper_element / mask_element with x = kKeep return the code itself.
      std::vector<float> code(std::size_t(n_blocks + cpu::kMaxBatchBlocks) * 4), want;
      float hit = 0.0f;
      ops.mask_codes(p, first_block, n_blocks, code.data());
      for (std::uint64_t unit = 4 * first_block; unit < 4 * (first_block + n_blocks); ++unit) {
        want.push_back(mask_element(p, unit, cpu::kKeep, &hit));
      }
      REQUIRE(bit_mismatches(code.data(), want, "mask code") == 0);
      code.assign(std::size_t(n_blocks + cpu::kMaxBatchBlocks) * 2, 0.0f);
      want.clear();
      ops.saltpepper_codes(p, first_block, n_blocks, code.data());
      for (std::uint64_t unit = 2 * first_block; unit < 2 * (first_block + n_blocks); ++unit) {
        want.push_back(saltpepper_element(p, unit, cpu::kKeep, &hit));
      }
      REQUIRE(bit_mismatches(code.data(), want, "saltpepper code") == 0);
      // Fused element tiles: an odd element count, cached and streaming stores.
      for (NoiseKind kind : {NoiseKind::kMask, NoiseKind::kSaltPepper, NoiseKind::kGaussian}) {
        for (bool stream : {false, true}) {
          p.kind = kind;
          const int n = 4 * n_blocks - 3;
          const std::int64_t first = std::int64_t(4 * first_block);
          const std::vector<float> x = test_input(n, 3);
          const std::size_t count = static_cast<std::size_t>(n);
          std::vector<float> want_y(count), want_mask(count);
          for (int e = 0; e < n; ++e) {
            const std::uint64_t unit = std::uint64_t(first + e);
            const std::size_t i = std::size_t(e);
            if (kind == NoiseKind::kMask) want_y[i] = mask_element(p, unit, x[i], &want_mask[i]);
            if (kind == NoiseKind::kSaltPepper) want_y[i] = saltpepper_element(p, unit, x[i], &want_mask[i]);
            if (kind == NoiseKind::kGaussian && e % 4 == 0) {
              gaussian_group(p, (first + e) / 4, std::min(4, n - e), &x[i], &want_y[i], &want_mask[i]);
            }
          }
          Buffer y(count, 0, std::numeric_limits<float>::quiet_NaN()), mask(count, 0, -7.0f);
          const auto run = kind == NoiseKind::kMask         ? ops.mask_elements
                           : kind == NoiseKind::kSaltPepper ? ops.saltpepper_elements
                                                            : ops.gaussian_elements;
          run(p, first, n, x.data(), y.data, mask.data, stream);
          if (stream) ops.store_fence();
          INFO("kind " << int(kind) << (stream ? ", streaming" : ", cached"));
          REQUIRE(bit_mismatches(y.data, want_y, "y") == 0);
          REQUIRE(bit_mismatches(mask.data, want_mask, "mask") == 0);
        }
      }
    }
  }
}

// The lane-wise log and sincos of every path against exact_math.h on every
// input the Gaussian model can give them: u0 = to_uniform_open0(w0) and
// u1 = to_uniform(w1) take 2^24 values each, and here each value once.
TEST_CASE("noise tiles: Box-Muller gives exact_math.h's bits for all 2^24 uniforms", "[noise][reference]") {
  constexpr int kChunk = 1 << 20;
  std::vector<std::uint32_t> w0(kChunk), w1(kChunk);
  std::vector<float> want_cos(kChunk), want_sin(kChunk), got_cos(kChunk), got_sin(kChunk);
  const std::vector<NoiseIsa> isas = cpu::supported_noise_isas();
  int mismatches = 0;
  for (std::uint32_t chunk_start = 0; chunk_start < (1u << 24); chunk_start += kChunk) {
    for (int i = 0; i < kChunk; ++i) {
      const std::uint32_t value = chunk_start + std::uint32_t(i);  // the 24 bits a uniform keeps
      // w1 runs through the 2^24 values in another order (an odd multiplier
      // is a bijection mod 2^24); the low 8 bits, which the uniforms drop, vary too.
      w0[std::size_t(i)] = (value << 8) | (value & 0xffu);
      w1[std::size_t(i)] = (((value * 0x9E3779B1u) & 0xffffffu) << 8) | ((value >> 3) & 0xffu);
      // gaussian_group's pair loop.
      const float u0 = dae::philox::to_uniform_open0(w0[std::size_t(i)]);
      const float u1 = dae::philox::to_uniform(w1[std::size_t(i)]);
      const float radius = dae::exact::sqrt(dae::exact::mul(-2.0f, dae::exact::log(u0)));
      float s = 0.0f, c = 0.0f;
      dae::exact::sincos_2pi(u1, &s, &c);
      want_cos[std::size_t(i)] = dae::exact::mul(radius, c);
      want_sin[std::size_t(i)] = dae::exact::mul(radius, s);
    }
    for (NoiseIsa isa : isas) {
      cpu::noise_tiles(isa).box_muller(w0.data(), w1.data(), kChunk, got_cos.data(), got_sin.data());
      INFO(cpu::noise_isa_name(isa) << ", uniforms from " << chunk_start);
      mismatches += bit_mismatches(got_cos.data(), want_cos, "z_cos");
      mismatches += bit_mismatches(got_sin.data(), want_sin, "z_sin");
      REQUIRE(mismatches == 0);
    }
  }
}
