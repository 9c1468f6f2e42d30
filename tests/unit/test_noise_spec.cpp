#include <catch2/catch.hpp>

#include "engine/errors.h"
#include "noise/noise.h"

using namespace dae;
using kernels::NoiseKind;

TEST_CASE("noise specs: every kind parses with its defaults and its keys", "[noise]") {
  REQUIRE(parse_noise_spec("none").params.kind == NoiseKind::kNone);
  const NoiseSpec g = parse_noise_spec("gaussian");
  REQUIRE(g.params.kind == NoiseKind::kGaussian);
  REQUIRE(g.params.sigma == 0.1f);
  REQUIRE(g.params.clip);
  const NoiseSpec g2 = parse_noise_spec("gaussian:sigma=0.3,clip=0");
  REQUIRE(g2.params.sigma == 0.3f);
  REQUIRE_FALSE(g2.params.clip);
  const NoiseSpec sp = parse_noise_spec("saltpepper:amount=0.2,salt=0.7,per_channel=0");
  REQUIRE(sp.params.amount == 0.2f);
  REQUIRE(sp.params.salt == 0.7f);
  REQUIRE_FALSE(sp.params.per_channel);
  REQUIRE(parse_noise_spec("saltpepper").params.amount == 0.1f);
  REQUIRE(parse_noise_spec("mask").params.p == 0.25f);
  REQUIRE(parse_noise_spec("mask:p=0.5").params.p == 0.5f);
  const NoiseSpec b = parse_noise_spec("block:size=8x12,count=3");
  REQUIRE(b.params.block_h == 8);
  REQUIRE(b.params.block_w == 12);
  REQUIRE(b.params.block_count == 3);
  const NoiseSpec b2 = parse_noise_spec("block");
  REQUIRE(b2.params.block_h == 8);
  REQUIRE(b2.params.block_w == 8);
  REQUIRE(b2.params.block_count == 1);
}

TEST_CASE("noise specs: default emphasis follows SPEC §5", "[noise]") {
  REQUIRE(parse_noise_spec("gaussian").default_beta() == 1.0f);
  REQUIRE(parse_noise_spec("none").default_beta() == 1.0f);
  for (const char* s : {"saltpepper", "mask", "block"}) {
    REQUIRE(parse_noise_spec(s).default_alpha() == 1.0f);
    REQUIRE(parse_noise_spec(s).default_beta() == 0.5f);
  }
}

TEST_CASE("noise specs: a mixture lists its specs and picks each about equally", "[noise]") {
  const NoiseMix mix = parse_noise("gaussian:sigma=0.2|block:size=8|mask:p=0.1");
  REQUIRE(mix.specs.size() == 3);
  REQUIRE(mix.specs[1].params.kind == NoiseKind::kBlock);
  int counts[3] = {0, 0, 0};
  for (std::uint64_t step = 0; step < 3000; ++step) ++counts[mix.pick(5, step)];
  for (int c : counts) REQUIRE(std::abs(c - 1000) < 4 * 26);  // 4 standard errors of a binomial(3000, 1/3)
  REQUIRE(mix.pick(5, 17) == mix.pick(5, 17));
}

TEST_CASE("noise specs: bad specs are errors that quote the bad part", "[noise]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"speckle", "unknown kind 'speckle'"},
      {"gaussian:sigma=-0.1", "'sigma=-0.1' must be >= 0"},
      {"gaussian:sigma=abc", "'sigma=abc' is not a number"},
      {"gaussian:sigma", "'sigma' is not key=value"},
      {"gaussian:sigma=", "'sigma=' has no value"},
      {"gaussian:sigma=0.1,", "stray ','"},
      {"gaussian:", "nothing after ':'"},
      {"gaussian:sigma=0.1,sigma=0.2", "'sigma' is given twice"},
      {"gaussian:amount=0.1", "unknown key 'amount' for gaussian"},
      {"gaussian:clip=2", "'clip=2' must be 0 or 1"},
      {"saltpepper:amount=1.5", "'amount=1.5' must be in [0, 1]"},
      {"saltpepper:salt=-1", "'salt=-1' must be in [0, 1]"},
      {"mask:p=2", "'p=2' must be in [0, 1]"},
      {"mask:p=nan", "'p=nan' is not a number"},
      {"block:size=0", "'size=0' must be at least 1"},
      {"block:size=4x", "is not an integer"},
      {"block:count=0", "'count=0' must be at least 1"},
      {"block:count=1.5", "'count=1.5' is not an integer"},
      {"gaussian:per_channel=0", "always drawn independently"},
      {"gaussian|", "empty entry"},
  };
  for (const auto& [spec, expect] : cases) {
    INFO("spec: " << spec);
    try {
      parse_noise(spec);
      FAIL("expected an ArgumentError");
    } catch (const ArgumentError& e) {
      const std::string message = e.what();
      INFO(message);
      REQUIRE(message.find(expect) != std::string::npos);
      const std::string quoted = dae::concat("'", spec, "'");
      if (!spec.empty()) REQUIRE(message.find(quoted) != std::string::npos);
    }
  }
  // A block larger than the image is known only with the image size.
  REQUIRE_THROWS_WITH(parse_noise("block:size=30").check_fits(28, 28), Catch::Contains("larger than the 28x28 image"));
  REQUIRE_NOTHROW(parse_noise("block:size=28").check_fits(28, 28));
}
