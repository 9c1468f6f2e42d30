// The CPU kernel of one perceptual-loss layer (kernels/cpu/perceptual.h): the
// unweighted case runs a vectorized loop that must give the general loop's
// bits, value and gradient, for any size and thread count.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "engine/random.h"
#include "engine/tensor.h"
#include "kernels/cpu/perceptual.h"

using namespace dae;

namespace {
bool same_bits(float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; }
}  // namespace

TEST_CASE("feature distance: no weight map gives the bits of a weight map of ones, for any size and thread count",
          "[perceptual]") {
  Generator gen(11);
  // Sizes with tails shorter than a vector, one chunk, and several chunks with a ragged end.
  for (const kernels::FeatureDistanceShape s : {kernels::FeatureDistanceShape{1, 1, 5},
                                                kernels::FeatureDistanceShape{1, 3, 1001},
                                                kernels::FeatureDistanceShape{2, 64, 97},
                                                kernels::FeatureDistanceShape{8, 64, 64 * 64}}) {
    const Tensor a = Tensor::uniform(Shape{s.size()}, -2.0f, 3.0f, gen);
    const Tensor b = Tensor::uniform(Shape{s.size()}, -2.0f, 3.0f, gen);
    const std::vector<float> ones(std::size_t(s.batch) * s.pixels, 1.0f);
    const float scale = 1.0f / float(s.channels * s.pixels);
    for (const int threads : {1, 2, 3}) {
      INFO("size " << s.size() << ", threads " << threads);
      kernels::Exec ex;
      ex.n_threads = threads;
      std::vector<float> grad_fast(std::size_t(s.size())), grad_general(std::size_t(s.size()));
      float value_fast = 0.0f, value_general = 0.0f;
      kernels::cpu::feature_distance(ex, s, a.data(), b.data(), nullptr, scale, &value_fast, grad_fast.data());
      kernels::cpu::feature_distance(ex, s, a.data(), b.data(), ones.data(), scale, &value_general,
                                     grad_general.data());
      REQUIRE(same_bits(value_fast, value_general));
      REQUIRE(value_fast > 0.0f);
      std::size_t differ = 0;
      for (std::size_t i = 0; i < grad_fast.size(); ++i) differ += same_bits(grad_fast[i], grad_general[i]) ? 0 : 1;
      REQUIRE(differ == 0);
    }
  }
}
