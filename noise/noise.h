// The corruption process of a denoising autoencoder (SPEC §4): parse a noise
// spec, corrupt a batch, and report which elements were corrupted.
//
//   none                                   identity, empty mask
//   gaussian:sigma=0.1,clip=1              x + N(0, sigma^2), clipped to [0, 1] unless clip=0
//   saltpepper:amount=0.1,salt=0.5         each element with probability amount -> 1 (prob. salt) or 0
//   mask:p=0.25                            each element with probability p -> 0
//   block:size=8,count=1                   count squares (size=HxW: rectangles) per image -> 0, all channels
//   per_channel=0|1 on saltpepper and mask: 0 = the channels of one pixel share the draw
//   "A|B|..."                              a mixture: each batch draws one spec uniformly
//
// Draws come from Philox keyed by (seed, step, element index), so the result
// is the same on every device and for every thread count (kernels/common/noise_body.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tensor.h"
#include "kernels/common/noise_body.h"

namespace dae {

struct NoiseSpec {
  std::string text;  // the spec as written, e.g. "gaussian:sigma=0.3"
  kernels::NoiseParams params;

  const char* kind_name() const;
  // Default emphasis weights of the pixel loss (SPEC §5): gaussian and none
  // weigh every element 1; the others weigh corrupted elements 1 and the rest 0.5.
  float default_alpha() const { return 1.0f; }
  float default_beta() const;
  // Throws dae::ArgumentError when the spec cannot apply to an image of this
  // size (a block larger than the image).
  void check_fits(int height, int width) const;
};

// One or more specs separated by '|'.
struct NoiseMix {
  std::string text;
  std::vector<NoiseSpec> specs;

  // Which spec the batch of (seed, step) uses (always 0 for a single spec).
  std::size_t pick(std::uint64_t seed, std::uint64_t step) const;
  void check_fits(int height, int width) const;
};

// Parsers; a bad spec throws dae::ArgumentError quoting the spec and the bad part.
NoiseSpec parse_noise_spec(std::string_view text);
NoiseMix parse_noise(std::string_view text);

struct Corruption {
  Tensor noisy;            // same shape and device as the clean batch
  Tensor mask;             // 1 where corrupted, 0 elsewhere (same shape)
  std::size_t spec_index;  // which spec of the mixture was drawn
};

// Corrupts a [N, C, H, W] batch with the spec the mixture picks for (seed,
// step). One fused kernel pass on the batch's device; no autograd.
Corruption corrupt(const Tensor& clean, const NoiseMix& noise, std::uint64_t seed, std::uint64_t step);
Corruption corrupt(const Tensor& clean, const NoiseSpec& noise, std::uint64_t seed, std::uint64_t step);

}  // namespace dae
