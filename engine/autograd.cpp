#include "engine/autograd.h"

#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"

namespace dae::autograd {

namespace {
thread_local bool t_grad_enabled = true;

// a + b as a new tensor (gradients arriving from several consumers). Never in
// place: a backward function may hand the same tensor to several inputs.
Tensor sum_of(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(a.shape(), a.device());
  const kernels::Exec& ex = DeviceContext::get(a.device()).exec();
  DAE_DISPATCH(a.device(), add, ex, a.numel(), a.data(), b.data(), out.data());
  return out;
}

void check_gradient(const Node& node, std::size_t i, const Tensor& grad, const Shape& expected, Device device) {
  DAE_CHECK(grad.shape() == expected, ShapeError, "backward of ", node.name, " produced a gradient of shape ",
            grad.shape().str(), " for input ", i, " of shape ", expected.str());
  DAE_CHECK(grad.device() == device, ShapeError, "backward of ", node.name, " produced a gradient on ",
            grad.device().str(), " for input ", i, " on ", device.str());
}
}  // namespace

bool grad_enabled() { return t_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs) {
    if (t != nullptr && t->defined() && t->requires_grad()) return true;
  }
  return false;
}

void record(const char* name, Tensor& output, std::initializer_list<const Tensor*> inputs, Node::BackwardFn backward) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    Edge edge;
    if (t != nullptr && t->defined() && t->requires_grad()) {
      edge.shape = t->shape();
      edge.device = t->device();
      if (t->grad_fn()) {
        edge.node = t->grad_fn();
      } else {
        edge.leaf = t->impl();
      }
    }
    node->inputs.push_back(std::move(edge));
  }
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
}

namespace {

void accumulate_into_leaf(TensorImpl& leaf, const Tensor& grad) {
  if (!leaf.grad) {
    leaf.grad = grad.clone().impl();  // a private copy: grad may alias other tensors
    return;
  }
  Tensor existing(leaf.grad);
  const kernels::Exec& ex = DeviceContext::get(existing.device()).exec();
  DAE_DISPATCH(existing.device(), accumulate, ex, existing.numel(), grad.data(), existing.data());
}

// Nodes reachable from root in reverse topological order (every node comes
// before the nodes it feeds from): the reverse of a depth-first post-order.
// The shared pointers keep every node alive for the whole pass, even after
// its consumers dropped their edges to it.
std::vector<std::shared_ptr<Node>> reverse_topological(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> post_order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack;  // node, next input to visit
  stack.emplace_back(root, 0);
  seen.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next++].node;
      if (child != nullptr && seen.insert(child.get()).second) stack.emplace_back(child, 0);
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_root) {
  DAE_CHECK(root.requires_grad(), ShapeError, "backward() on a tensor that does not require grad");
  NoGradGuard no_grad;
  if (root.is_leaf()) {
    accumulate_into_leaf(*root.impl(), grad_root);
    return;
  }
  std::shared_ptr<Node> keep_root = root.grad_fn();
  std::unordered_map<Node*, Tensor> pending;  // gradient waiting at each node
  pending[keep_root.get()] = grad_root;

  for (const std::shared_ptr<Node>& node_ptr : reverse_topological(keep_root)) {
    Node* node = node_ptr.get();
    auto found = pending.find(node);
    if (found == pending.end()) continue;  // no gradient flows through this node
    const Tensor grad_output = std::move(found->second);
    pending.erase(found);
    DAE_CHECK(node->backward != nullptr, ShapeError, "backward through ", node->name,
              " a second time: the graph was freed by the first backward()");
    std::vector<Tensor> grads = node->backward(grad_output, *node);
    DAE_CHECK(grads.size() == node->inputs.size(), ShapeError, "backward of ", node->name, " returned ",
              grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const Edge& edge = node->inputs[i];
      if (!edge.active() || !grads[i].defined()) continue;
      check_gradient(*node, i, grads[i], edge.shape, edge.device);
      if (edge.leaf) {
        accumulate_into_leaf(*edge.leaf, grads[i]);
      } else {
        auto [slot, inserted] = pending.try_emplace(edge.node.get(), grads[i]);
        if (!inserted) slot->second = sum_of(slot->second, grads[i]);
      }
    }
    // Free the saved tensors and the links upstream as soon as possible.
    node->backward = nullptr;
    node->inputs.clear();
  }
}

}  // namespace dae::autograd
