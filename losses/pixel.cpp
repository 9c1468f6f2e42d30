#include "losses/pixel.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"

namespace dae {

Tensor emphasized_mse(const Tensor& output, const Tensor& clean, const Tensor& mask, float alpha, float beta) {
  DAE_CHECK(output.defined() && clean.defined(), ShapeError, "emphasized_mse: undefined output or clean tensor");
  DAE_CHECK(output.shape() == clean.shape(), ShapeError, "emphasized_mse: output has shape ", output.shape().str(),
            " but clean has shape ", clean.shape().str());
  DAE_CHECK(output.device() == clean.device(), ShapeError, "emphasized_mse: output is on ", output.device().str(),
            " but clean is on ", clean.device().str());
  DAE_CHECK(output.numel() > 0, ShapeError, "emphasized_mse: empty output ", output.shape().str());
  if (mask.defined()) {
    DAE_CHECK(mask.shape() == output.shape() && mask.device() == output.device(), ShapeError,
              "emphasized_mse: mask ", mask.description(), " does not match output ", output.description());
  }
  DAE_CHECK(std::isfinite(alpha) && std::isfinite(beta) && alpha >= 0.0f && beta >= 0.0f, ArgumentError,
            "emphasis weights must be finite and >= 0 (alpha ", alpha, ", beta ", beta, ")");
  const bool want_grad = autograd::any_requires_grad({&output});
  Tensor value = Tensor::empty(Shape{}, output.device());
  Tensor grad = want_grad ? Tensor::empty(output.shape(), output.device()) : Tensor();
  const kernels::Exec& ex = DeviceContext::get(output.device()).exec();
  DAE_DISPATCH(output.device(), weighted_mse, ex, output.numel(), output.data(), clean.data(),
               mask.defined() ? mask.data() : static_cast<const float*>(nullptr), alpha, beta, value.data(),
               want_grad ? grad.data() : static_cast<float*>(nullptr));
  autograd::record("emphasized_mse", value, {&output}, [grad](const Tensor& g, const autograd::Node&) {
    Tensor scaled = Tensor::empty(grad.shape(), grad.device());
    const kernels::Exec& gex = DeviceContext::get(g.device()).exec();
    DAE_DISPATCH(g.device(), mul_by_scalar, gex, grad.numel(), grad.data(), g.data(), 1.0f, scaled.data());
    return std::vector<Tensor>{scaled};
  });
  return value;
}

}  // namespace dae
