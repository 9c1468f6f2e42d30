#include "tests/ops/case_builders.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace dae::ops_test {

Params& Params::set(const std::string& name, double value) {
  for (auto& [key, v] : values) {
    if (key == name) {
      v = value;
      return *this;
    }
  }
  values.emplace_back(name, value);
  return *this;
}

double Params::get(const std::string& name) const {
  for (const auto& [key, v] : values)
    if (key == name) return v;
  throw std::out_of_range("op case has no parameter '" + name + "'");
}

std::string Params::show(const std::vector<std::string>& names) const {
  std::string text;
  for (const std::string& name : names) {
    char number[32];
    std::snprintf(number, sizeof number, "%g", get(name));
    if (!text.empty()) text += ' ';
    text += name + "=" + number;
  }
  return text;
}

std::vector<Shape> elementwise_shapes() {
  return {Shape{1},          Shape{7},          Shape{3, 5},        Shape{1, 1, 1, 1},
          Shape{1, 3, 5, 7}, Shape{2, 3, 5, 7}, Shape{4, 1, 13, 11}, Shape{3, 16, 9, 9}};
}

Shape beyond_one_grid_shape() { return Shape{1, 1, 1031, 1031}; }  // 1,062,961 > 4096 * 256

std::vector<OpCase> pointwise_cases(const std::string& op, const PointwiseSpec& spec) {
  std::vector<Shape> shapes = elementwise_shapes();
  shapes.push_back(beyond_one_grid_shape());
  std::vector<OpCase> cases;
  for (const Shape& shape : shapes) {
    OpCase c;
    c.op = op;
    for (const std::string& name : spec.inputs) {
      InputDecl in = input(name, shape, spec.lo, spec.hi);
      if (std::find(spec.masks.begin(), spec.masks.end(), name) != spec.masks.end()) {
        in.values = Values::kMask;
        in.differentiable = false;
      }
      c.inputs.push_back(in);
    }
    c.output = spec.reduces_to_scalar ? Shape{} : shape;
    c.flops = {spec.flops_per_element * double(shape.numel()), spec.backward_flops_per_element * double(shape.numel())};
    c.cuda_only = shape == beyond_one_grid_shape();
    cases.push_back(c);
  }
  return cases;
}

std::vector<OpCase> with_scalars(std::vector<OpCase> cases, const std::vector<double>& scalars) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    cases[i].params.set("scalar", double(float(scalars[i % scalars.size()])));
    cases[i].detail = cases[i].params.show({"scalar"});
  }
  return cases;
}

std::vector<OpCase> with_params(std::vector<OpCase> cases, const std::vector<std::pair<std::string, double>>& params) {
  std::vector<std::string> names;
  for (const auto& [name, value] : params) names.push_back(name);
  for (OpCase& c : cases) {
    for (const auto& [name, value] : params) c.params.set(name, value);
    const std::string shown = c.params.show(names);
    c.detail = c.detail.empty() ? shown : c.detail + " " + shown;
  }
  return cases;
}

}  // namespace dae::ops_test
