#include "tools/dae/progress.h"

#include <unistd.h>

#include <cstdio>

#include "engine/errors.h"

namespace dae::tool {

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string format_duration(double seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(seconds) / 3600, (int(seconds) / 60) % 60);
  }
  return buf;
}

Progress::Progress(std::string label, std::int64_t total)
    : label_(std::move(label)), total_(total), terminal_(stderr_is_terminal()) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double Progress::rate(std::int64_t done) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? double(done) / elapsed : 0.0;
}

void Progress::update(std::int64_t done, const std::string& detail, bool log_line) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double left = done > 0 ? elapsed * double(total_ - done) / double(done) : 0.0;
  const std::string line = concat(label_, " ", done, "/", total_, "  ", detail, "  elapsed ", format_duration(elapsed),
                                  ", left ", format_duration(left));
  if (terminal_) {
    if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else if (log_line) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void Progress::finish() {
  if (terminal_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace dae::tool
