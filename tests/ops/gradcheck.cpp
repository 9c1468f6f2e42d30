#include "tests/ops/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "engine/random.h"

namespace dae::ops_test {

namespace {

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// L = sum_j out_j * grad_output_j at the current inputs.
double objective(const OpFamily& f, const OpCase& c, const Arrays<double>& in, const std::vector<double>& g) {
  std::vector<double> out(g.size());
  f.forward_kernel(c, in, out.data());
  double total = 0.0;
  for (std::size_t j = 0; j < out.size(); ++j) total += out[j] * g[j];
  return total;
}

// The first and the last element, then random distinct ones (all when few).
std::vector<std::int64_t> sample_elements(std::int64_t n, Generator& gen) {
  std::vector<std::int64_t> picked;
  if (n <= kSampledElements) {
    for (std::int64_t k = 0; k < n; ++k) picked.push_back(k);
    return picked;
  }
  std::set<std::int64_t> seen = {0, n - 1};
  picked = {0, n - 1};
  while (int(picked.size()) < kSampledElements) {
    const auto k = std::int64_t(gen.below(std::uint64_t(n)));
    if (seen.insert(k).second) picked.push_back(k);
  }
  return picked;
}

struct ScaledPairs {
  std::vector<double> analytic, numeric;
  void add(double a, double n) {
    const double scale = std::max({std::fabs(a), std::fabs(n), 1.0});
    analytic.push_back(a / scale);
    numeric.push_back(n / scale);
  }
};

InputGradcheck check_input(const OpFamily& f, const OpCase& c, Arrays<double>& in, const std::vector<double>& g,
                           std::size_t i, const std::vector<double>& analytic, Generator& gen) {
  const double h = kFiniteDifferenceStep;
  std::vector<double>& x = in[i];
  const auto n = std::int64_t(x.size());
  std::vector<bool> kink(x.size(), false);
  if (f.near_kink)
    for (std::int64_t k = 0; k < n; ++k) kink[std::size_t(k)] = f.near_kink(c, in, i, k, kKinkBand);

  InputGradcheck result;
  result.input = c.inputs[i].name;
  ScaledPairs pairs;
  const std::vector<std::int64_t> elements = sample_elements(n, gen);
  for (std::int64_t k : elements) {
    if (kink[std::size_t(k)]) {
      ++result.skipped;
      continue;
    }
    const double saved = x[std::size_t(k)];
    x[std::size_t(k)] = saved + h;
    const double above = objective(f, c, in, g);
    x[std::size_t(k)] = saved - h;
    const double below = objective(f, c, in, g);
    x[std::size_t(k)] = saved;
    pairs.add(analytic[std::size_t(k)], (above - below) / (2 * h));
  }
  const std::vector<double> original = x;
  for (int d = 0; d < kRandomDirections; ++d) {
    std::vector<double> v(x.size());
    double along = 0.0;  // the analytic directional derivative
    for (std::size_t k = 0; k < v.size(); ++k) {
      v[k] = kink[k] ? 0.0 : (gen.below(2) ? 1.0 : -1.0);
      along += v[k] * analytic[k];
    }
    for (std::size_t k = 0; k < v.size(); ++k) x[k] = original[k] + h * v[k];
    const double above = objective(f, c, in, g);
    for (std::size_t k = 0; k < v.size(); ++k) x[k] = original[k] - h * v[k];
    const double below = objective(f, c, in, g);
    x = original;
    pairs.add(along, (above - below) / (2 * h));
  }
  result.checked = int(pairs.analytic.size());

  const std::string what = "grad." + result.input + " (error / max(|analytic|, |numeric|, 1); samples are elements " +
                           "in the order listed below, then " + std::to_string(kRandomDirections) + " random directions)";
  result.comparison = test::compare(pairs.analytic, pairs.numeric, test::Tolerance{0.0, kGradcheckTolerance}, what);
  if (!result.comparison.ok) {
    result.comparison.report += "  elements:";
    for (std::int64_t k : elements)
      if (!kink[std::size_t(k)]) result.comparison.report.append(" ").append(std::to_string(k));
    result.comparison.report += "\n";
  }
  const auto unwritten = std::count_if(analytic.begin(), analytic.end(), [](double a) { return std::isnan(a); });
  if (unwritten > 0) {
    result.comparison.ok = false;
    result.comparison.report += "grad." + result.input + ": the backward kernels left " + std::to_string(unwritten) +
                                " of " + std::to_string(n) + " elements unwritten (still NaN)\n";
  }
  if (result.skipped > result.checked) {
    result.comparison.ok = false;
    result.comparison.report += "grad." + result.input + ": " + std::to_string(result.skipped) +
                                " sampled elements lie near a kink, more than were checked; draw the inputs further "
                                "from the op's kinks\n";
  }
  return result;
}

}  // namespace

std::vector<InputGradcheck> gradcheck(const OpFamily& family, const OpCase& c, const CaseData& data) {
  Arrays<double> in;
  for (const auto& values : data.inputs) in.push_back(widen(values));
  const std::vector<double> g = widen(data.grad_output);

  // The analytic gradients, poisoned first so that unwritten elements show.
  Arrays<double> analytic(in.size());
  for (std::size_t i = 0; i < in.size(); ++i)
    if (c.inputs[i].differentiable) analytic[i].assign(in[i].size(), std::numeric_limits<double>::quiet_NaN());
  family.backward_kernel(c, in, g.data(), analytic);

  Generator gen(label_seed(c.label) ^ 0x9e3779b97f4a7c15ull);
  std::vector<InputGradcheck> results;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (c.inputs[i].differentiable) results.push_back(check_input(family, c, in, g, i, analytic[i], gen));
  return results;
}

}  // namespace dae::ops_test
