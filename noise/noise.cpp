#include "noise/noise.h"

#include <charconv>
#include <cmath>
#include <set>

#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "kernels/common/philox.h"
#include "kernels/cpu/noise.h"
#if DAE_WITH_CUDA
#include "kernels/cuda/noise.h"
#endif

namespace dae {

using kernels::NoiseKind;

namespace {

// Throws "bad noise spec 'SPEC': " followed by the parts.
template <typename... Parts>
[[noreturn]] void bad(std::string_view spec, const Parts&... parts) {
  throw ArgumentError(concat("bad noise spec '", spec, "': ", parts...));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

float parse_float(std::string_view spec, std::string_view key, std::string_view value) {
  float v = 0.0f;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v)) {
    bad(spec, "'", key, "=", value, "' is not a number");
  }
  return v;
}

int parse_int(std::string_view spec, std::string_view key, std::string_view value) {
  int v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size()) {
    bad(spec, "'", key, "=", value, "' is not an integer");
  }
  return v;
}

bool parse_flag(std::string_view spec, std::string_view key, std::string_view value) {
  if (value == "1") return true;
  if (value == "0") return false;
  bad(spec, "'", key, "=", value, "' must be 0 or 1");
}

void require_unit_interval(std::string_view spec, std::string_view key, std::string_view text, float v) {
  if (v < 0.0f || v > 1.0f) bad(spec, "'", key, "=", text, "' must be in [0, 1]");
}

}  // namespace

const char* NoiseSpec::kind_name() const {
  switch (params.kind) {
    case NoiseKind::kNone: return "none";
    case NoiseKind::kGaussian: return "gaussian";
    case NoiseKind::kSaltPepper: return "saltpepper";
    case NoiseKind::kMask: return "mask";
    case NoiseKind::kBlock: return "block";
  }
  return "?";
}

float NoiseSpec::default_beta() const {
  return params.kind == NoiseKind::kGaussian || params.kind == NoiseKind::kNone ? 1.0f : 0.5f;
}

void NoiseSpec::check_fits(int height, int width) const {
  if (params.kind != NoiseKind::kBlock) return;
  DAE_CHECK(params.block_h <= height && params.block_w <= width, ArgumentError, "bad noise spec '", text, "': block ",
            params.block_h, "x", params.block_w, " is larger than the ", height, "x", width, " image");
}

NoiseSpec parse_noise_spec(std::string_view raw) {
  const std::string_view spec = trim(raw);
  if (spec.empty()) bad(raw, "empty spec (expected none, gaussian, saltpepper, mask or block)");
  NoiseSpec out;
  out.text = std::string(spec);
  const std::size_t colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  kernels::NoiseParams& p = out.params;
  if (kind == "none") {
    p.kind = NoiseKind::kNone;
  } else if (kind == "gaussian") {
    p.kind = NoiseKind::kGaussian;
  } else if (kind == "saltpepper") {
    p.kind = NoiseKind::kSaltPepper;
  } else if (kind == "mask") {
    p.kind = NoiseKind::kMask;
  } else if (kind == "block") {
    p.kind = NoiseKind::kBlock;
  } else {
    bad(spec, "unknown kind '", kind, "' (expected none, gaussian, saltpepper, mask or block)");
  }
  if (colon == std::string_view::npos) return out;
  std::string_view rest = spec.substr(colon + 1);
  if (rest.empty()) bad(spec, "nothing after ':' (write '", kind, "' alone for the defaults)");
  std::set<std::string> seen;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item.empty()) bad(spec, "empty parameter (stray ',')");
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) bad(spec, "'", item, "' is not key=value");
    const std::string_view key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    if (value.empty()) bad(spec, "'", item, "' has no value");
    if (!seen.insert(std::string(key)).second) bad(spec, "'", key, "' is given twice");
    const auto unknown = [&]() {
      bad(spec, "unknown key '", key, "' for ", kind, " noise");
    };
    if (key == "per_channel") {
      p.per_channel = parse_flag(spec, key, value);
      if (p.kind == NoiseKind::kGaussian && !p.per_channel) {
        bad(spec, "'per_channel=0': gaussian noise is always drawn independently per element");
      }
      if (p.kind == NoiseKind::kBlock && p.per_channel) {
        bad(spec, "'per_channel=1': a block always covers every channel of its pixels");
      }
      if (p.kind == NoiseKind::kBlock) p.per_channel = false;
    } else if (p.kind == NoiseKind::kGaussian && key == "sigma") {
      p.sigma = parse_float(spec, key, value);
      if (p.sigma < 0.0f) bad(spec, "'sigma=", value, "' must be >= 0");
    } else if (p.kind == NoiseKind::kGaussian && key == "clip") {
      p.clip = parse_flag(spec, key, value);
    } else if (p.kind == NoiseKind::kSaltPepper && key == "amount") {
      p.amount = parse_float(spec, key, value);
      require_unit_interval(spec, key, value, p.amount);
    } else if (p.kind == NoiseKind::kSaltPepper && key == "salt") {
      p.salt = parse_float(spec, key, value);
      require_unit_interval(spec, key, value, p.salt);
    } else if (p.kind == NoiseKind::kMask && key == "p") {
      p.p = parse_float(spec, key, value);
      require_unit_interval(spec, key, value, p.p);
    } else if (p.kind == NoiseKind::kBlock && key == "size") {
      const std::size_t x = value.find('x');
      if (x == std::string_view::npos) {
        p.block_h = p.block_w = parse_int(spec, key, value);
      } else {
        p.block_h = parse_int(spec, key, value.substr(0, x));
        p.block_w = parse_int(spec, key, value.substr(x + 1));
      }
      if (p.block_h < 1 || p.block_w < 1) bad(spec, "'size=", value, "' must be at least 1");
    } else if (p.kind == NoiseKind::kBlock && key == "count") {
      p.block_count = parse_int(spec, key, value);
      if (p.block_count < 1) bad(spec, "'count=", value, "' must be at least 1");
    } else {
      unknown();
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (p.kind == NoiseKind::kBlock) p.per_channel = false;
  return out;
}

NoiseMix parse_noise(std::string_view text) {
  NoiseMix mix;
  mix.text = std::string(trim(text));
  std::string_view rest = mix.text;
  if (rest.empty()) throw ArgumentError("bad noise spec '': empty (expected e.g. gaussian:sigma=0.3)");
  while (true) {
    const std::size_t bar = rest.find('|');
    const std::string_view part = rest.substr(0, bar);
    if (trim(part).empty()) throw ArgumentError("bad noise spec '" + mix.text + "': empty entry between '|'");
    mix.specs.push_back(parse_noise_spec(part));
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 1);
  }
  return mix;
}

std::size_t NoiseMix::pick(std::uint64_t seed, std::uint64_t step) const {
  if (specs.size() <= 1) return 0;
  const philox::Block r = philox::philox4x32_10(philox::make_counter(0, step, philox::kStreamNoiseKind),
                                                philox::make_key(seed));
  return std::size_t((std::uint64_t(r.v[0]) * specs.size()) >> 32);
}

void NoiseMix::check_fits(int height, int width) const {
  for (const NoiseSpec& s : specs) s.check_fits(height, width);
}

Corruption corrupt(const Tensor& clean, const NoiseSpec& noise, std::uint64_t seed, std::uint64_t step) {
  DAE_CHECK(clean.defined() && clean.rank() == 4, ShapeError, "corrupt: the clean batch must be [N, C, H, W], got ",
            clean.defined() ? clean.shape().str() : std::string("an undefined tensor"));
  kernels::ImageShape s{int(clean.size(0)), int(clean.size(1)), int(clean.size(2)), int(clean.size(3))};
  noise.check_fits(s.height, s.width);
  kernels::NoiseParams p = noise.params;
  p.seed = seed;
  p.step = step;
  Corruption out{Tensor::empty(clean.shape(), clean.device()), Tensor::empty(clean.shape(), clean.device()), 0};
  const kernels::Exec& ex = DeviceContext::get(clean.device()).exec();
  DAE_DISPATCH(clean.device(), corrupt, ex, p, s, clean.data(), out.noisy.data(), out.mask.data());
  return out;
}

Corruption corrupt(const Tensor& clean, const NoiseMix& noise, std::uint64_t seed, std::uint64_t step) {
  const std::size_t index = noise.pick(seed, step);
  Corruption out = corrupt(clean, noise.specs.at(index), seed, step);
  out.spec_index = index;
  return out;
}

}  // namespace dae
