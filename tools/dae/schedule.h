// Learning-rate schedules (--lr-schedule). The rate of a step is a pure
// function of the step, so a resumed run continues on the same curve.
//
//   constant                 lr
//   step:every=N,gamma=G     lr * G^floor(step / N)
//   cosine                   lr * (1 + cos(pi * step / total)) / 2
#pragma once

#include <cstdint>
#include <string>

namespace dae::tool {

class LrSchedule {
 public:
  // Throws dae::ArgumentError quoting the bad part of the spec.
  static LrSchedule parse(const std::string& spec);
  // The learning rate of `step` (0-based) of a run of `total_steps`.
  float at(float base_lr, std::int64_t step, std::int64_t total_steps) const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind { kConstant, kStep, kCosine } kind_ = Kind::kConstant;
  std::string text_ = "constant";
  std::int64_t every_ = 1;
  float gamma_ = 1.0f;
};

}  // namespace dae::tool
