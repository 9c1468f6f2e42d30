#include "engine/sgd.h"

#include <cmath>

#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"

namespace dae {

SGD::SGD(std::vector<std::pair<std::string, Tensor>> named_parameters, SgdOptions options) : options_(options) {
  DAE_CHECK(std::isfinite(options.lr) && options.lr >= 0.0f, ArgumentError, "invalid learning rate ", options.lr,
            " (must be >= 0)");
  DAE_CHECK(options.momentum >= 0.0f, ArgumentError, "invalid momentum ", options.momentum, " (must be >= 0)");
  DAE_CHECK(options.weight_decay >= 0.0f, ArgumentError, "invalid weight decay ", options.weight_decay,
            " (must be >= 0)");
  DAE_CHECK(!options.nesterov || (options.momentum > 0.0f && options.dampening == 0.0f), ArgumentError,
            "Nesterov momentum requires a momentum > 0 and zero dampening");
  for (auto& [name, param] : named_parameters) slots_.push_back(Slot{name, param, Tensor()});
}

void SGD::step() {
  for (Slot& slot : slots_) {
    const Tensor grad = slot.param.grad();
    if (!grad.defined()) continue;
    kernels::SgdParams p;
    p.lr = options_.lr;
    p.momentum = options_.momentum;
    p.dampening = options_.dampening;
    p.weight_decay = options_.weight_decay;
    p.nesterov = options_.nesterov;
    p.first_step = !slot.momentum_buffer.defined();
    if (p.momentum != 0.0f && p.first_step) slot.momentum_buffer = Tensor::empty(slot.param.shape(), slot.param.device());
    const Device device = slot.param.device();
    const kernels::Exec& ex = DeviceContext::get(device).exec();
    DAE_DISPATCH(device, sgd_update, ex, slot.param.numel(), p, slot.param.data(), grad.data(),
                 p.momentum != 0.0f ? slot.momentum_buffer.data() : static_cast<float*>(nullptr));
  }
}

void SGD::zero_grad() {
  for (Slot& slot : slots_) slot.param.zero_grad();
}

std::vector<std::pair<std::string, Tensor>> SGD::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Slot& slot : slots_) {
    if (slot.momentum_buffer.defined()) out.emplace_back("optim." + slot.name + ".momentum_buffer", slot.momentum_buffer);
  }
  return out;
}

void SGD::load_state(const std::map<std::string, Tensor>& state, const std::string& source) {
  for (Slot& slot : slots_) {
    auto it = state.find("optim." + slot.name + ".momentum_buffer");
    if (it == state.end()) {
      slot.momentum_buffer = Tensor();
      continue;
    }
    DAE_CHECK(it->second.shape() == slot.param.shape(), ShapeError, source, ": momentum buffer of '", slot.name,
              "' has shape ", it->second.shape().str(), " but the parameter has shape ", slot.param.shape().str());
    slot.momentum_buffer = it->second.to(slot.param.device()).clone();
  }
}

}  // namespace dae
