#include "tests/ops/run_case.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "engine/context.h"
#include "engine/tensor.h"

namespace dae::ops_test {

namespace {

std::vector<Tensor> make_inputs(const OpCase& c, const CaseData& data, Device device) {
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = Tensor::from_vector(c.inputs[i].shape, data.inputs[i], device);
    t.set_requires_grad(c.inputs[i].differentiable);
    inputs.push_back(t);
  }
  return inputs;
}

bool any_differentiable(const OpCase& c) {
  for (const InputDecl& in : c.inputs)
    if (in.differentiable) return true;
  return false;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

CaseResult run_case(const OpFamily& family, const OpCase& c, const CaseData& data, Device device) {
  std::vector<Tensor> inputs = make_inputs(c, data, device);
  Tensor output = family.forward(c, inputs);
  if (output.shape() != c.output)
    throw std::logic_error(c.label + ": output shape " + output.shape().str() + ", declared " + c.output.str());
  if (any_differentiable(c)) output.backward(Tensor::from_vector(c.output, data.grad_output, device));

  CaseResult result;
  result.output = output.to_vector();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) {
      result.grads.emplace_back();
      continue;
    }
    const Tensor grad = inputs[i].grad();
    if (!grad.defined()) throw std::logic_error(c.label + ": no gradient reached input '" + c.inputs[i].name + "'");
    result.grads.push_back(grad.to_vector());
  }
  return result;
}

CaseTiming time_case(const OpFamily& family, const OpCase& c, const CaseData& data, Device device, int repetitions) {
  using Clock = std::chrono::steady_clock;
  DeviceContext& context = DeviceContext::get(device);
  std::vector<Tensor> inputs = make_inputs(c, data, device);
  const Tensor grad_output = Tensor::from_vector(c.output, data.grad_output, device);
  const bool backward = any_differentiable(c);
  std::vector<double> forward_times, backward_times;
  for (int rep = 0; rep <= repetitions; ++rep) {  // rep 0 warms up
    for (Tensor& t : inputs) t.zero_grad();  // time the pass, not gradient accumulation
    context.synchronize();
    const auto t0 = Clock::now();
    Tensor output = family.forward(c, inputs);
    context.synchronize();
    const auto t1 = Clock::now();
    if (backward) output.backward(grad_output);
    context.synchronize();
    const auto t2 = Clock::now();
    if (rep == 0) continue;
    forward_times.push_back(std::chrono::duration<double>(t1 - t0).count());
    backward_times.push_back(std::chrono::duration<double>(t2 - t1).count());
  }
  return {median(forward_times), median(backward_times)};
}

}  // namespace dae::ops_test
