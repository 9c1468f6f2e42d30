// Stochastic gradient descent exactly as torch.optim.SGD defines it (lr,
// momentum, dampening, nesterov, weight_decay), one fused kernel launch per
// parameter tensor (kernels/*/sgd).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace dae {

struct SgdOptions {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};

class SGD {
 public:
  // Throws dae::ArgumentError for values torch rejects (lr < 0, momentum < 0,
  // weight_decay < 0, nesterov without momentum or with dampening).
  SGD(std::vector<std::pair<std::string, Tensor>> named_parameters, SgdOptions options);

  // Updates every parameter that has a gradient (others are skipped, as in torch).
  void step();
  // Drops every parameter's gradient (torch's zero_grad(set_to_none=True)).
  void zero_grad();

  SgdOptions& options() { return options_; }
  const SgdOptions& options() const { return options_; }

  // Momentum buffers, named "optim.<parameter name>.momentum_buffer" as in
  // checkpoints (SPEC §3); only the buffers that exist are listed.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Restores buffers from a checkpoint (missing names mean "no buffer yet").
  void load_state(const std::map<std::string, Tensor>& state, const std::string& source);

 private:
  struct Slot {
    std::string name;
    Tensor param;
    Tensor momentum_buffer;  // undefined until the first step with momentum
  };
  std::vector<Slot> slots_;
  SgdOptions options_;
};

}  // namespace dae
