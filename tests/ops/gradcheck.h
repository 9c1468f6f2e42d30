// Finite-difference gradient check of one op-table case, in double, on the
// CPU kernels (the family's forward_kernel and backward_kernel): it shows
// that the backward kernels compute the derivative of the forward kernels.
//
// The scalar checked is L(inputs) = sum_j out_j * grad_output_j, whose
// gradient the backward kernels compute. For each differentiable input:
//   - a sample of single elements (the first, the last and random ones):
//       numeric = (L(x + h e_k) - L(x - h e_k)) / 2h   vs   analytic_k
//   - a few random directions v of +-1 over all elements (so every element
//     of the gradient takes part, and an element the backward pass never
//     wrote shows up):
//       numeric = (L(x + h v) - L(x - h v)) / 2h       vs   sum_k v_k analytic_k
// The error of each pair is |analytic - numeric| / max(|analytic|, |numeric|, 1).
// Elements within kKinkBand of a kink or tie (the family's near_kink) are
// skipped, and left out of the directions; more skipped than checked fails.
#pragma once

#include <string>
#include <vector>

#include "tests/ops/op_table.h"
#include "tests/support/compare.h"

namespace dae::ops_test {

constexpr double kFiniteDifferenceStep = 1e-6;
constexpr double kKinkBand = 1e-5;
constexpr double kGradcheckTolerance = 1e-6;  // on the scaled error
constexpr int kSampledElements = 32;
constexpr int kRandomDirections = 3;

struct InputGradcheck {
  std::string input;
  test::Comparison comparison;  // report empty and ok true when the input passes
  int checked = 0;              // derivatives compared (elements and directions)
  int skipped = 0;              // elements skipped near a kink
};

// One entry per differentiable input of the case.
std::vector<InputGradcheck> gradcheck(const OpFamily& family, const OpCase& c, const CaseData& data);

}  // namespace dae::ops_test
