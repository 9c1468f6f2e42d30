// Define-by-run reverse-mode automatic differentiation.
//
// Each differentiable op, when gradients are enabled and one of its inputs
// requires them, records a Node: the edges to its inputs (the nodes that
// produced them, or the leaf tensors that collect gradients) and a backward
// function that maps the gradient of its output to the gradients of its
// inputs. The tensors a backward function needs are captured (detached) in
// its closure. Tensor::backward() walks the nodes in reverse topological
// order, sums gradients arriving from several consumers, accumulates them
// into the leaves' .grad, and frees each node's closure (and so its saved
// tensors) as soon as the node has run.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dae::autograd {

struct Edge {
  std::shared_ptr<Node> node;         // the producer of the input (non-leaf), or
  std::shared_ptr<TensorImpl> leaf;   // the leaf tensor that collects its gradient
  Shape shape;                        // the input's shape and device, to check gradients
  Device device;
  bool active() const { return node != nullptr || leaf != nullptr; }
};

struct Node {
  // Given dL/d(output), returns dL/d(input_i) for every input (an undefined
  // Tensor where needs_input_grad(i) is false).
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const Node& self)>;

  std::string name;
  std::vector<Edge> inputs;
  BackwardFn backward;

  bool needs_input_grad(std::size_t i) const { return i < inputs.size() && inputs[i].active(); }
};

// Whether ops record nodes on this thread (true unless a NoGradGuard is alive).
bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grads are enabled and any of the inputs requires a gradient.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

// Records `output` as produced by an op named `name` from `inputs` with the
// given backward function (no-op when no input requires a gradient).
void record(const char* name, Tensor& output, std::initializer_list<const Tensor*> inputs, Node::BackwardFn backward);

// Runs the backward pass from `root` with `grad_root` (same shape as root).
void run_backward(const Tensor& root, const Tensor& grad_root);

}  // namespace dae::autograd
