// Noise corruption: the CUDA kernel gives the CPU's bits for every kind, on
// odd shapes and batch 1, through the public corrupt() and through the
// kernel directly (outputs poisoned with NaN, a grid smaller than the
// problem, unaligned pointers that take the scalar path).
#include <string>
#include <vector>

#include "kernels/cpu/noise.h"
#include "kernels/cuda/noise.h"
#include "noise/noise.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

const std::vector<std::string> kSpecs = {
    "gaussian:sigma=0.3",
    "gaussian:sigma=0.3,clip=0",
    "saltpepper:amount=0.2,salt=0.4,per_channel=1",
    "saltpepper:amount=0.2,salt=0.4,per_channel=0",
    "mask:p=0.3,per_channel=1",
    "mask:p=0.3,per_channel=0",
    "block:size=3,count=2",
    "block:size=2x5,count=3",
    "none",
};

// Odd sizes, batch 1, one and three channels, element counts not a multiple of 4.
const std::vector<Shape> kShapes = {
    Shape{1, 1, 7, 5}, Shape{3, 3, 9, 11}, Shape{2, 1, 28, 28}, Shape{1, 3, 13, 17}, Shape{5, 2, 6, 6},
};

TEST_CASE("noise: cuda corrupt gives the cpu's bits for every kind and shape", "[cuda][noise]") {
  DAE_REQUIRE_CUDA_DEVICE();
  for (const std::string& text : kSpecs) {
    const NoiseSpec spec = parse_noise_spec(text);
    for (const Shape& shape : kShapes) {
      INFO(text << " on " << shape.str());
      const Tensor clean = random_tensor(shape, 7, 0.0f, 1.0f);
      const Corruption cpu = corrupt(clean, spec, 1234, 17);
      const Corruption cuda = corrupt(clean.to(gpu()), spec, 1234, 17);
      CHECK_SAME_BITS(cuda.noisy.to_vector(), cpu.noisy.to_vector());
      CHECK_SAME_BITS(cuda.mask.to_vector(), cpu.mask.to_vector());
    }
  }
}

TEST_CASE("noise: the kernel writes every element, for any grid and alignment", "[cuda][noise]") {
  DAE_REQUIRE_CUDA_DEVICE();
  const kernels::ImageShape s{3, 3, 11, 13};  // 1287 elements
  const std::int64_t n = s.numel();
  const std::vector<float> clean = random_values(n + 1, 3, 0.0f, 1.0f);
  for (const std::string& text : kSpecs) {
    kernels::NoiseParams p = parse_noise_spec(text).params;
    p.seed = 99;
    p.step = 5;
    std::vector<float> want_y(static_cast<std::size_t>(n)), want_mask(static_cast<std::size_t>(n));
    kernels::cpu::corrupt(cpu_exec(), p, s, clean.data(), want_y.data(), want_mask.data());
    for (int max_blocks : {0, 1, 2}) {
      for (int offset : {0, 1}) {  // offset 1: no longer 16-byte aligned
        INFO(text << ", max_blocks " << max_blocks << ", offset " << offset);
        kernels::Exec ex = gpu_exec();
        ex.max_blocks = max_blocks;
        const Tensor x = Tensor::from_vector(Shape{n + 1}, clean, gpu());
        const Tensor y = poisoned(Shape{n + 1});
        const Tensor mask = poisoned(Shape{n + 1});
        // Element 0 is skipped with offset 1: x + 1 holds clean[1..], so compare against a shifted CPU run.
        std::vector<float> expect_y = want_y, expect_mask = want_mask;
        if (offset == 1) kernels::cpu::corrupt(cpu_exec(), p, s, clean.data() + 1, expect_y.data(), expect_mask.data());
        kernels::cuda::corrupt(ex, p, s, x.data() + offset, y.data() + offset, mask.data() + offset);
        std::vector<float> got_y = y.to_vector(), got_mask = mask.to_vector();
        got_y.erase(got_y.begin(), got_y.begin() + offset);
        got_mask.erase(got_mask.begin(), got_mask.begin() + offset);
        got_y.resize(static_cast<std::size_t>(n));
        got_mask.resize(static_cast<std::size_t>(n));
        CHECK(count_nan(got_y) == 0);
        CHECK(count_nan(got_mask) == 0);
        CHECK_SAME_BITS(got_y, expect_y);
        CHECK_SAME_BITS(got_mask, expect_mask);
      }
    }
  }
}

TEST_CASE("noise: more blocks than one tile of corners", "[cuda][noise]") {
  DAE_REQUIRE_CUDA_DEVICE();
  // 300 blocks per image: the kernel draws the corners 256 at a time.
  const NoiseSpec spec = parse_noise_spec("block:size=1x2,count=300");
  const Tensor clean = random_tensor(Shape{2, 3, 23, 29}, 11, 0.0f, 1.0f);
  const Corruption cpu = corrupt(clean, spec, 5, 6);
  const Corruption cuda = corrupt(clean.to(gpu()), spec, 5, 6);
  CHECK_SAME_BITS(cuda.noisy.to_vector(), cpu.noisy.to_vector());
  CHECK_SAME_BITS(cuda.mask.to_vector(), cpu.mask.to_vector());
}

TEST_CASE("noise: other seeds and steps give other bits on cuda", "[cuda][noise]") {
  DAE_REQUIRE_CUDA_DEVICE();
  const Tensor clean = random_tensor(Shape{2, 3, 16, 16}, 13, 0.0f, 1.0f).to(gpu());
  for (const char* text : {"gaussian:sigma=0.2", "saltpepper:amount=0.3", "mask:p=0.4,per_channel=0",
                           "block:size=4,count=2"}) {
    INFO(text);
    const NoiseSpec spec = parse_noise_spec(text);
    const std::vector<float> base = corrupt(clean, spec, 1, 1).noisy.to_vector();
    CHECK(base == corrupt(clean, spec, 1, 1).noisy.to_vector());  // same (seed, step): same bits
    CHECK(base != corrupt(clean, spec, 2, 1).noisy.to_vector());
    CHECK(base != corrupt(clean, spec, 1, 2).noisy.to_vector());
  }
}

}  // namespace
}  // namespace dae::cuda_test
