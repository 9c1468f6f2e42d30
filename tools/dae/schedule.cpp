#include "tools/dae/schedule.h"

#include <charconv>
#include <cmath>

#include "engine/errors.h"

namespace dae::tool {

LrSchedule LrSchedule::parse(const std::string& spec) {
  LrSchedule s;
  s.text_ = spec;
  if (spec == "constant") return s;
  if (spec == "cosine") {
    s.kind_ = Kind::kCosine;
    return s;
  }
  const auto bad = [&](const std::string& why) -> LrSchedule {
    throw ArgumentError("bad --lr-schedule '" + spec + "': " + why +
                        " (expected constant, step:every=N,gamma=G or cosine)");
  };
  if (spec.rfind("step:", 0) != 0) return bad("unknown schedule");
  s.kind_ = Kind::kStep;
  bool have_every = false, have_gamma = false;
  std::string rest = spec.substr(5);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) return bad("'" + item + "' is not key=value");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "every") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.every_);
      if (ec != std::errc() || end != value.data() + value.size() || s.every_ < 1) return bad("'every=" + value + "' must be an integer >= 1");
      have_every = true;
    } else if (key == "gamma") {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s.gamma_);
      if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(s.gamma_) || s.gamma_ <= 0.0f) {
        return bad("'gamma=" + value + "' must be a number > 0");
      }
      have_gamma = true;
    } else {
      return bad("unknown key '" + key + "'");
    }
  }
  if (!have_every) return bad("'every' is missing");
  if (!have_gamma) s.gamma_ = 0.1f;
  return s;
}

float LrSchedule::at(float base_lr, std::int64_t step, std::int64_t total_steps) const {
  switch (kind_) {
    case Kind::kConstant:
      return base_lr;
    case Kind::kStep:
      return base_lr * std::pow(gamma_, float(step / every_));
    case Kind::kCosine:
      return total_steps <= 0 ? base_lr
                              : float(double(base_lr) * 0.5 * (1.0 + std::cos(M_PI * double(step) / double(total_steps))));
  }
  return base_lr;
}

}  // namespace dae::tool
