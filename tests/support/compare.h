// The one comparison helper of the test suite: absolute plus relative
// tolerance, the first mismatching pairs with their indices, and the worst
// error as a share of the tolerance.
//
//   element i passes when |actual - expected| <= atol + rtol * |expected|
//
// Use it through CHECK_CLOSE / REQUIRE_CLOSE so Catch2 prints the report.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace dae::test {

struct Tolerance {
  double rtol = 1e-4;
  double atol = 1e-6;
};

struct Comparison {
  bool ok = true;
  std::string report;  // empty when ok
  double worst_share = 0.0;  // max over elements of |a - e| / (atol + rtol |e|)
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;  // |a - e| / max(|e|, tiny)
};

template <typename A, typename E>
Comparison compare(const A* actual, const E* expected, std::size_t n, Tolerance tol, const std::string& what = "") {
  Comparison c;
  std::ostringstream out;
  std::size_t shown = 0, bad = 0, worst_index = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = double(actual[i]), e = double(expected[i]);
    const double err = std::fabs(a - e);
    const double allowed = tol.atol + tol.rtol * std::fabs(e);
    const bool nan_mismatch = std::isnan(a) != std::isnan(e);
    double share = allowed > 0 ? err / allowed : (err > 0 ? INFINITY : 0.0);
    if (std::isnan(a) && std::isnan(e)) share = 0.0;
    if (nan_mismatch) share = INFINITY;
    if (share > c.worst_share) {
      c.worst_share = share;
      worst_index = i;
    }
    if (err > c.max_abs_error && !std::isnan(err)) c.max_abs_error = err;
    const double rel = err / std::max(std::fabs(e), 1e-30);
    if (rel > c.max_rel_error && !std::isnan(rel)) c.max_rel_error = rel;
    if (share > 1.0) {
      ++bad;
      if (shown < 8) {
        out << "  [" << i << "] actual " << a << " expected " << e << " (error " << err << ", allowed " << allowed
            << ")\n";
        ++shown;
      }
    }
  }
  if (bad > 0) {
    c.ok = false;
    std::ostringstream head;
    head << (what.empty() ? "values" : what) << ": " << bad << " of " << n
         << " elements outside tolerance (rtol " << tol.rtol << ", atol " << tol.atol << "); worst at [" << worst_index
         << "] is " << c.worst_share << "x the tolerance\n";
    c.report = head.str() + out.str();
  }
  return c;
}

template <typename A, typename E>
Comparison compare(const std::vector<A>& actual, const std::vector<E>& expected, Tolerance tol,
                   const std::string& what = "") {
  if (actual.size() != expected.size()) {
    Comparison c;
    c.ok = false;
    c.worst_share = INFINITY;
    c.report = what + ": size mismatch: actual " + std::to_string(actual.size()) + " vs expected " +
               std::to_string(expected.size()) + "\n";
    return c;
  }
  return compare(actual.data(), expected.data(), actual.size(), tol, what);
}

}  // namespace dae::test

#define DAE_COMPARE_ASSERT_(MACRO, actual, expected, tol, what) \
  do {                                                          \
    const auto dae_cmp_ = ::dae::test::compare(actual, expected, tol, what); \
    INFO(dae_cmp_.report);                                      \
    MACRO(dae_cmp_.ok);                                         \
  } while (0)
#define CHECK_CLOSE(actual, expected, tol, what) DAE_COMPARE_ASSERT_(CHECK, actual, expected, tol, what)
#define REQUIRE_CLOSE(actual, expected, tol, what) DAE_COMPARE_ASSERT_(REQUIRE, actual, expected, tol, what)
