#include "engine/random.h"

#include <cmath>

#include "kernels/common/philox.h"

namespace dae {

void Generator::uniform(float* out, std::int64_t n, float lo, float hi) {
  const philox::Key key = philox::make_key(seed_);
  const std::int64_t n_blocks = (n + 3) / 4;
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const philox::Block block = philox::philox4x32_10(philox::make_counter(offset_ + std::uint64_t(b), 0, stream_), key);
    for (int lane = 0; lane < 4 && b * 4 + lane < n; ++lane) {
      out[b * 4 + lane] = lo + (hi - lo) * philox::to_uniform(block.v[lane]);
    }
  }
  offset_ += std::uint64_t(n_blocks);
}

void Generator::normal(float* out, std::int64_t n, float mean, float stddev) {
  const philox::Key key = philox::make_key(seed_);
  const std::int64_t n_blocks = (n + 3) / 4;
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const philox::Block block = philox::philox4x32_10(philox::make_counter(offset_ + std::uint64_t(b), 0, stream_), key);
    for (int pair = 0; pair < 2; ++pair) {
      const double u0 = philox::to_uniform_open0(block.v[2 * pair]);
      const double u1 = philox::to_uniform(block.v[2 * pair + 1]);
      const double radius = std::sqrt(-2.0 * std::log(u0));
      const double z[2] = {radius * std::cos(kTwoPi * u1), radius * std::sin(kTwoPi * u1)};
      for (int k = 0; k < 2; ++k) {
        const std::int64_t i = b * 4 + pair * 2 + k;
        if (i < n) out[i] = float(mean + stddev * z[k]);
      }
    }
  }
  offset_ += std::uint64_t(n_blocks);
}

std::uint64_t Generator::below(std::uint64_t bound) {
  const philox::Key key = philox::make_key(seed_);
  const philox::Block block = philox::philox4x32_10(philox::make_counter(offset_, 0, stream_), key);
  ++offset_;
  const std::uint64_t bits = (std::uint64_t(block.v[0]) << 32) | block.v[1];
  // Rejection sampling: exact uniformity for any bound.
  const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % bound);
  std::uint64_t value = bits;
  while (value >= limit) {
    const philox::Block more = philox::philox4x32_10(philox::make_counter(offset_, 0, stream_), key);
    ++offset_;
    value = (std::uint64_t(more.v[0]) << 32) | more.v[1];
  }
  return value % bound;
}

}  // namespace dae
