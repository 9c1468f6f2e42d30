// Progress of long work: on a terminal, one line rewritten in place (step,
// loss, rate, time left); otherwise plain log lines, one per report.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dae::tool {

class Progress {
 public:
  // `total` units of work (steps, images); `label` starts each line.
  Progress(std::string label, std::int64_t total);
  // Reports that `done` units are finished; `detail` is appended ("loss 0.0123").
  // On a terminal the line is redrawn at most every 0.1 s; off a terminal a
  // line is printed only when `log_line` is true.
  void update(std::int64_t done, const std::string& detail, bool log_line);
  // Ends the in-place line (prints a newline on a terminal).
  void finish();
  // Units per second since the start.
  double rate(std::int64_t done) const;

  static bool stderr_is_terminal();

 private:
  std::string label_;
  std::int64_t total_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1m05s", "3.2s"
std::string format_duration(double seconds);

}  // namespace dae::tool
