// The op table: every differentiable op declared once, as an OpFamily that
// generates many concrete OpCases. Every check of tests/ops reads this table:
//
//   dae_op_harness --dump / --check   our float forward and backward vs PyTorch
//   test_gradcheck.cpp                 finite differences in double on the CPU kernels
//   test_cuda_vs_cpu.cpp               the CUDA device vs the CPU, forward and backward
//   dae_op_harness --time              median time and GFLOP/s per case
//
// How to add an op: see the top of op_table.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/shape.h"
#include "engine/tensor.h"
#include "tests/support/compare.h"

namespace dae::ops_test {

// How the values of an input are drawn, from a generator seeded by the
// case's label.
enum class Values {
  kUniform,   // uniform in [lo, hi), never within kMinMagnitude of zero (nothing is
              // tested on zeros, no ReLU input sits on its kink)
  kDistinct,  // evenly spaced in [lo, hi), shuffled: no two equal (no max-pooling ties)
  kMask,      // 0 or 1 with probability 1/2 each (for masks; declare them not differentiable)
};

// One tensor argument of a case.
struct InputDecl {
  std::string name;  // the argument's name; also its variable name in the PyTorch expression
  Shape shape;
  float lo = -1.0f;
  float hi = 1.0f;
  Values values = Values::kUniform;
  // Whether the gradient with respect to this input is computed and checked.
  bool differentiable = true;
};

constexpr float kMinMagnitude = 1e-3f;

// Named numbers of a case (stride, padding, a scalar operand, the sizes a
// kernel shape struct needs). Integers are stored exactly as doubles.
struct Params {
  std::vector<std::pair<std::string, double>> values;

  Params& set(const std::string& name, double value);
  double get(const std::string& name) const;  // throws std::out_of_range when absent
  int get_int(const std::string& name) const { return int(get(name)); }
  // "name=value" for the given names, space separated (for labels).
  std::string show(const std::vector<std::string>& names) const;
};

struct FlopCount {
  double forward = 0.0;
  double backward = 0.0;  // all input gradients of the case together
};

struct OpCase {
  std::string op;      // the family's name
  std::string label;   // "conv2d#7 x[2,3,9,7] weight[4,3,3,3] stride=2 padding=1"; set by all_cases()
  std::string detail;  // the part of the label after the inputs (parameters worth reading)
  std::vector<InputDecl> inputs;
  Params params;
  Shape output;  // the output's shape, computed independently of the engine
  FlopCount flops;
  // Only the CUDA-vs-CPU test (and timing) runs it: a size meant to exceed one
  // launch grid, which PyTorch and the finite differences gain nothing from.
  bool cuda_only = false;
};

template <typename T>
using Arrays = std::vector<std::vector<T>>;

// The values a case runs on: one array per input and the upstream gradient
// dL/d(output), all float (the double checks widen them exactly).
struct CaseData {
  Arrays<float> inputs;
  std::vector<float> grad_output;
};

// The tolerance of an op's float results, against PyTorch (computed in
// double) and CUDA against the CPU. Element i passes when
//   |actual - expected| <= rtol * |expected| + atol_share * max_j |expected_j|
// (compare.h's test with atol scaled to the tensor's magnitude, which only
// matters where sums cancel to near zero).
struct ToleranceSpec {
  double rtol = 1e-4;
  double atol_share = 1e-5;
};

struct OpFamily {
  std::string name;
  // The PyTorch reference as a Python expression. tests/ops/torch_reference.py
  // evaluates it with: torch, F (torch.nn.functional), each input under its
  // name (float64, requiring grad where differentiable), each parameter under
  // its name (int or float), `inputs` (the list of inputs) and `output_shape`.
  std::string torch;
  std::function<std::vector<OpCase>()> cases;
  // The op on tensors (float, any device), as the engine's users call it.
  std::function<Tensor(const OpCase&, const std::vector<Tensor>&)> forward;
  // The same op on the CPU kernels in double, for the finite-difference check.
  // forward_kernel writes out[0 .. output.numel()).
  std::function<void(const OpCase&, const Arrays<double>& in, double* out)> forward_kernel;
  // backward_kernel writes dL/d(input i) into grad_in[i], which arrives sized
  // for each differentiable input and empty for the others.
  std::function<void(const OpCase&, const Arrays<double>& in, const double* grad_out, Arrays<double>& grad_in)>
      backward_kernel;
  // Optional (ops that are not smooth everywhere): true when moving element
  // `element` of input `input` by up to `band` could cross a kink or change a
  // max; finite differences skip such points.
  std::function<bool(const OpCase&, const Arrays<double>& in, std::size_t input, std::int64_t element, double band)>
      near_kink;
  ToleranceSpec tolerance;
};

// Every family, in a fixed order (op_table.cpp).
const std::vector<OpFamily>& op_table();
// Every case of every family, labelled, in table order.
const std::vector<OpCase>& all_cases();
// The cases of one family (a subset of all_cases(), same objects).
std::vector<const OpCase*> cases_of(const OpFamily& family);
const OpFamily& family_of(const OpCase& c);  // throws when the op is unknown

// The seeded values of a case (a pure function of its label and declaration).
CaseData make_case_data(const OpCase& c);
// A stable 64-bit seed from a label (the same on every platform).
std::uint64_t label_seed(const std::string& label);

// compare.h's tolerance for one expected tensor, per the family's spec.
test::Tolerance tolerance_for(const ToleranceSpec& spec, const std::vector<float>& expected);

}  // namespace dae::ops_test
