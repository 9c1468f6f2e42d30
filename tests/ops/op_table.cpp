// The op table, part 1: elementwise ops, activations, reductions and losses,
// batch assembly. Image ops (convolutions, pooling) are in op_table_spatial.cpp.
//
// HOW TO ADD AN OP: add one OpFamily entry to the list of its kind (here, or
// in op_table_spatial.cpp). Nothing else changes: the PyTorch dump and check,
// the finite-difference test, the CUDA-vs-CPU test and the timing mode all
// read the table, and the Catch2 tests register one test per family.
// An entry says, in order:
//
//   .name             unique; used in labels, file names and test names
//   .torch            the PyTorch reference as a Python expression over the
//                     inputs and parameters by name (see OpFamily::torch)
//   .cases            a function returning the concrete cases: named inputs
//                     (shape, value range, differentiable or not), parameters,
//                     the output shape and the FLOP count. pointwise_cases()
//                     gives the standard elementwise shapes.
//   .forward          the op on Tensors, as users call it
//   .forward_kernel   the same op on the CPU kernels, in double
//   .backward_kernel  its backward on the CPU kernels, in double: the same
//                     composition of kernels the op's autograd node runs
//   .near_kink        only for ops with kinks or ties (relu, max pooling)
//   .tolerance        only when the default (rtol 1e-4) does not fit; say why
//
// For example, a pixel loss weighted by a 0/1 mask would read:
//
//   {
//       .name = "emphasized_mse",
//       .torch = "(alpha * (mask * (input - target) ** 2).sum()"
//                " + beta * ((1 - mask) * (input - target) ** 2).sum()) / input.numel()",
//       .cases = [] {
//         return with_params(pointwise_cases("emphasized_mse", {.inputs = {"input", "target", "mask"},
//                                                               .reduces_to_scalar = true, .masks = {"mask"}}),
//                            {{"alpha", 1.0}, {"beta", 0.5}});
//       },
//       .forward = [](const OpCase& c, const Tensors& in) {
//         return emphasized_mse(in[0], in[1], in[2], c.params.get("alpha"), c.params.get("beta"));
//       },
//       .forward_kernel = ...   (cpu::emphasized_mse_forward on in[0..2], writing out[0])
//       .backward_kernel = ...  (cpu::emphasized_mse_backward into grad[0] and grad[1]; grad[2]
//                                arrives empty, the mask is not differentiable)
//   },
//
// Inputs are drawn from a generator seeded by the case's label: uniform in a
// range and never near zero, distinct values (no ties), or a 0/1 mask (see
// Values in op_table.h). Keep shapes small: the whole suite runs in CI in
// seconds.
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

#include "engine/ops.h"
#include "kernels/cpu/activations.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/reductions.h"
#include "tests/ops/case_builders.h"
#include "tests/ops/op_table.h"

namespace dae::ops_test {

std::vector<OpFamily> spatial_families();  // op_table_spatial.cpp

namespace {

namespace cpu = kernels::cpu;
using Tensors = std::vector<Tensor>;

std::int64_t size_of(const std::vector<double>& v) { return std::int64_t(v.size()); }

// Elements per row of dimension 0 (for the batch ops).
std::int64_t row_size(const Shape& s) { return s.numel() / s[0]; }

Shape with_rows(const Shape& s, std::int64_t rows) {
  std::vector<std::int64_t> dims = s.to_vector();
  dims[0] = rows;
  return Shape(dims);
}

std::vector<OpCase> cat_batch_cases() {
  // Parts differ in their row counts only; one part, batch 1, odd inner sizes.
  const std::vector<std::pair<std::vector<int>, Shape>> layouts = {
      {{1}, Shape{1, 3, 5, 7}},          {{1, 1}, Shape{1, 2, 3, 3}}, {{2, 3}, Shape{2, 3, 5, 7}},
      {{1, 2, 3}, Shape{1, 4, 3}},       {{3, 1}, Shape{1, 7}},       {{2, 1, 2}, Shape{1, 1, 9, 11}},
  };
  std::vector<OpCase> cases;
  for (const auto& [rows, part_shape] : layouts) {
    OpCase c;
    c.op = "cat_batch";
    std::int64_t total = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      c.inputs.push_back(input("part" + std::to_string(i), with_rows(part_shape, rows[i])));
      total += rows[i];
    }
    c.output = with_rows(part_shape, total);
    c.flops = {0.0, 0.0};
    cases.push_back(c);
  }
  return cases;
}

std::vector<OpCase> slice_batch_cases() {
  const std::vector<std::tuple<Shape, int, int>> slices = {
      {Shape{5, 3, 4, 4}, 0, 5}, {Shape{5, 3, 4, 4}, 0, 1}, {Shape{5, 3, 4, 4}, 2, 4},
      {Shape{5, 3, 4, 4}, 4, 5}, {Shape{1, 7}, 0, 1},        {Shape{6, 1, 3, 5}, 1, 4},
  };
  std::vector<OpCase> cases;
  for (const auto& [shape, begin, end] : slices) {
    OpCase c;
    c.op = "slice_batch";
    c.inputs = {input("x", shape)};
    c.params.set("begin", begin).set("end", end);
    c.detail = c.params.show({"begin", "end"});
    c.output = with_rows(shape, end - begin);
    cases.push_back(c);
  }
  return cases;
}

std::vector<OpCase> reshape_cases() {
  const std::vector<std::pair<Shape, Shape>> reshapes = {
      {Shape{2, 3, 4, 5}, Shape{6, 20}}, {Shape{7}, Shape{1, 7, 1, 1}}, {Shape{3, 5}, Shape{15}},
      {Shape{1, 1, 1, 1}, Shape{}},      {Shape{2, 9, 5}, Shape{3, 3, 2, 5}},
  };
  std::vector<OpCase> cases;
  for (const auto& [from, to] : reshapes) {
    OpCase c;
    c.op = "reshape";
    c.inputs = {input("x", from)};
    c.output = to;
    c.detail = "to " + to.str();
    cases.push_back(c);
  }
  return cases;
}

std::vector<OpFamily> pointwise_families() {
  return {
      {
          .name = "add",
          .torch = "a + b",
          .cases = [] { return pointwise_cases("add", {.inputs = {"a", "b"}, .backward_flops_per_element = 0}); },
          .forward = [](const OpCase&, const Tensors& in) { return add(in[0], in[1]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::add(serial_exec(), size_of(in[0]), in[0].data(), in[1].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>&, const double* g, Arrays<double>& grad) {
                // d(a + b)/da = d(a + b)/db = 1: both gradients are the upstream gradient.
                for (auto& gi : grad)
                  if (!gi.empty()) cpu::copy(serial_exec(), size_of(gi), g, gi.data());
              },
      },
      {
          .name = "sub",
          .torch = "a - b",
          .cases = [] { return pointwise_cases("sub", {.inputs = {"a", "b"}}); },
          .forward = [](const OpCase&, const Tensors& in) { return sub(in[0], in[1]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::sub(serial_exec(), size_of(in[0]), in[0].data(), in[1].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                const std::int64_t n = size_of(in[0]);
                if (!grad[0].empty()) cpu::copy(serial_exec(), n, g, grad[0].data());
                if (!grad[1].empty()) cpu::mul_scalar(serial_exec(), n, g, -1.0, grad[1].data());
              },
      },
      {
          .name = "mul",
          .torch = "a * b",
          .cases = [] { return pointwise_cases("mul", {.inputs = {"a", "b"}, .backward_flops_per_element = 2}); },
          .forward = [](const OpCase&, const Tensors& in) { return mul(in[0], in[1]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::mul(serial_exec(), size_of(in[0]), in[0].data(), in[1].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                const std::int64_t n = size_of(in[0]);
                if (!grad[0].empty()) cpu::mul(serial_exec(), n, g, in[1].data(), grad[0].data());  // d/da = b
                if (!grad[1].empty()) cpu::mul(serial_exec(), n, g, in[0].data(), grad[1].data());  // d/db = a
              },
      },
      {
          .name = "add_scalar",
          .torch = "x + scalar",
          .cases =
              [] {
                return with_scalars(pointwise_cases("add_scalar", {.inputs = {"x"}, .backward_flops_per_element = 0}),
                                    {0.37, -1.5, 2.25});
              },
          .forward = [](const OpCase& c, const Tensors& in) { return add(in[0], float(c.params.get("scalar"))); },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                cpu::add_scalar(serial_exec(), size_of(in[0]), in[0].data(), c.params.get("scalar"), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                cpu::copy(serial_exec(), size_of(in[0]), g, grad[0].data());
              },
      },
      {
          .name = "mul_scalar",
          .torch = "x * scalar",
          .cases = [] { return with_scalars(pointwise_cases("mul_scalar", {.inputs = {"x"}}), {0.37, -1.5, 2.25}); },
          .forward = [](const OpCase& c, const Tensors& in) { return mul(in[0], float(c.params.get("scalar"))); },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                cpu::mul_scalar(serial_exec(), size_of(in[0]), in[0].data(), c.params.get("scalar"), out);
              },
          .backward_kernel =
              [](const OpCase& c, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                cpu::mul_scalar(serial_exec(), size_of(in[0]), g, c.params.get("scalar"), grad[0].data());
              },
      },
      {
          .name = "relu",
          .torch = "torch.relu(x)",
          .cases = [] { return pointwise_cases("relu", {.inputs = {"x"}, .lo = -2.0f, .hi = 2.0f}); },
          .forward = [](const OpCase&, const Tensors& in) { return relu(in[0]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::relu_forward(serial_exec(), size_of(in[0]), in[0].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                // The op's backward reads the saved output y = relu(x).
                const std::int64_t n = size_of(in[0]);
                std::vector<double> y(in[0].size());
                cpu::relu_forward(serial_exec(), n, in[0].data(), y.data());
                cpu::relu_backward(serial_exec(), n, y.data(), g, grad[0].data());
              },
          .near_kink = [](const OpCase&, const Arrays<double>& in, std::size_t, std::int64_t e,
                          double band) { return std::fabs(in[0][std::size_t(e)]) < band; },
      },
      {
          .name = "sigmoid",
          .torch = "torch.sigmoid(x)",
          .cases =
              [] {
                return pointwise_cases("sigmoid", {.inputs = {"x"}, .lo = -4.0f, .hi = 4.0f, .flops_per_element = 4,
                                                   .backward_flops_per_element = 3});
              },
          .forward = [](const OpCase&, const Tensors& in) { return sigmoid(in[0]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::sigmoid_forward(serial_exec(), size_of(in[0]), in[0].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                const std::int64_t n = size_of(in[0]);
                std::vector<double> y(in[0].size());
                cpu::sigmoid_forward(serial_exec(), n, in[0].data(), y.data());
                cpu::sigmoid_backward(serial_exec(), n, y.data(), g, grad[0].data());
              },
      },
      {
          .name = "sum",
          .torch = "x.sum()",
          // Positive values: a sum near zero would make every relative error meaningless.
          .cases =
              [] {
                return pointwise_cases("sum", {.inputs = {"x"}, .lo = 0.1f, .hi = 1.0f, .backward_flops_per_element = 0,
                                               .reduces_to_scalar = true});
              },
          .forward = [](const OpCase&, const Tensors& in) { return sum(in[0]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::sum(serial_exec(), size_of(in[0]), in[0].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                cpu::fill_from(serial_exec(), size_of(in[0]), g, grad[0].data());  // d(sum)/dx_i = 1
              },
      },
      {
          .name = "mean",
          .torch = "x.mean()",
          .cases =
              [] {
                return pointwise_cases("mean", {.inputs = {"x"}, .lo = 0.1f, .hi = 1.0f, .reduces_to_scalar = true});
              },
          .forward = [](const OpCase&, const Tensors& in) { return mean(in[0]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::mean(serial_exec(), size_of(in[0]), in[0].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                const std::int64_t n = size_of(in[0]);  // d(mean)/dx_i = 1/n
                cpu::fill_from(serial_exec(), n, g, grad[0].data());
                cpu::mul_scalar(serial_exec(), n, grad[0].data(), 1.0 / double(n), grad[0].data());
              },
      },
      {
          .name = "mse_loss",
          .torch = "F.mse_loss(input, target)",
          .cases =
              [] {
                return pointwise_cases("mse_loss", {.inputs = {"input", "target"}, .flops_per_element = 3,
                                                    .backward_flops_per_element = 4, .reduces_to_scalar = true});
              },
          .forward = [](const OpCase&, const Tensors& in) { return mse_loss(in[0], in[1]); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::mse_forward(serial_exec(), size_of(in[0]), in[0].data(), in[1].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                const std::int64_t n = size_of(in[0]);  // 2 (input - target) / n, and its negative
                if (!grad[0].empty()) cpu::mse_backward(serial_exec(), n, in[0].data(), in[1].data(), g, grad[0].data());
                if (!grad[1].empty()) cpu::mse_backward(serial_exec(), n, in[1].data(), in[0].data(), g, grad[1].data());
              },
      },
  };
}

// Batch assembly is plain memory copies in the engine; the double versions
// copy with the copy kernel the same way.
std::vector<OpFamily> batch_families() {
  return {
      {
          .name = "cat_batch",
          .torch = "torch.cat(inputs, 0)",
          .cases = cat_batch_cases,
          .forward = [](const OpCase&, const Tensors& in) { return cat_batch(in); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                for (const auto& part : in) {
                  cpu::copy(serial_exec(), size_of(part), part.data(), out);
                  out += part.size();
                }
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                for (std::size_t i = 0; i < in.size(); ++i) {
                  if (!grad[i].empty()) cpu::copy(serial_exec(), size_of(grad[i]), g, grad[i].data());
                  g += in[i].size();
                }
              },
      },
      {
          .name = "slice_batch",
          .torch = "x[begin:end]",
          .cases = slice_batch_cases,
          .forward = [](const OpCase& c, const Tensors& in) {
            return slice_batch(in[0], c.params.get_int("begin"), c.params.get_int("end"));
          },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                const std::int64_t row = row_size(c.inputs[0].shape);
                cpu::copy(serial_exec(), c.output.numel(), in[0].data() + c.params.get_int("begin") * row, out);
              },
          .backward_kernel =
              [](const OpCase& c, const Arrays<double>&, const double* g, Arrays<double>& grad) {
                const std::int64_t row = row_size(c.inputs[0].shape);
                cpu::fill(serial_exec(), size_of(grad[0]), 0.0, grad[0].data());
                cpu::copy(serial_exec(), c.output.numel(), g, grad[0].data() + c.params.get_int("begin") * row);
              },
      },
      {
          .name = "reshape",
          .torch = "x.reshape(output_shape)",
          .cases = reshape_cases,
          .forward = [](const OpCase& c, const Tensors& in) { return in[0].reshape(c.output); },
          .forward_kernel =
              [](const OpCase&, const Arrays<double>& in, double* out) {
                cpu::copy(serial_exec(), size_of(in[0]), in[0].data(), out);
              },
          .backward_kernel =
              [](const OpCase&, const Arrays<double>&, const double* g, Arrays<double>& grad) {
                cpu::copy(serial_exec(), size_of(grad[0]), g, grad[0].data());
              },
      },
  };
}

std::vector<OpFamily> build_table() {
  std::vector<OpFamily> table;
  for (auto part : {pointwise_families(), batch_families(), spatial_families()})
    for (OpFamily& f : part) table.push_back(std::move(f));
  return table;
}

std::string inputs_text(const OpCase& c) {
  std::string text;
  for (const InputDecl& in : c.inputs) {
    if (!text.empty()) text += ' ';
    text += in.name + in.shape.str();
    if (!in.differentiable) text += "(no grad)";
  }
  return text;
}

std::vector<OpCase> build_cases() {
  std::vector<OpCase> all;
  std::map<std::string, int> seen;
  for (const OpFamily& f : op_table()) {
    if (seen.count(f.name)) throw std::logic_error("op table: two families are called '" + f.name + "'");
    seen[f.name] = 1;
    int index = 0;
    for (OpCase c : f.cases()) {
      if (c.op != f.name) throw std::logic_error("op table: family '" + f.name + "' made a case of '" + c.op + "'");
      c.label = c.op + "#" + std::to_string(index++) + " " + inputs_text(c);
      if (!c.detail.empty()) c.label += " " + c.detail;
      if (c.cuda_only) c.label += " (cuda only)";
      all.push_back(std::move(c));
    }
  }
  return all;
}

}  // namespace

const std::vector<OpFamily>& op_table() {
  static const std::vector<OpFamily> table = build_table();
  return table;
}

const std::vector<OpCase>& all_cases() {
  static const std::vector<OpCase> cases = build_cases();
  return cases;
}

std::vector<const OpCase*> cases_of(const OpFamily& family) {
  std::vector<const OpCase*> out;
  for (const OpCase& c : all_cases())
    if (c.op == family.name) out.push_back(&c);
  return out;
}

const OpFamily& family_of(const OpCase& c) {
  for (const OpFamily& f : op_table())
    if (f.name == c.op) return f;
  throw std::out_of_range("op table: no family '" + c.op + "'");
}

}  // namespace dae::ops_test
