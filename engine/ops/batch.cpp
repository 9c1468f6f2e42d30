// Concatenation and slicing along the batch dimension (plain copies).
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/op_utils.h"

namespace dae {

namespace {
std::int64_t row_elements(const Shape& s) { return s.rank() == 0 ? 1 : s.numel() / std::max<std::int64_t>(s[0], 1); }

Shape with_rows(const Shape& s, std::int64_t rows) {
  std::vector<std::int64_t> dims = s.to_vector();
  dims[0] = rows;
  return Shape(dims);
}
}  // namespace

Tensor cat_batch(const std::vector<Tensor>& parts) {
  DAE_CHECK(!parts.empty(), ShapeError, "cat_batch: no tensors to concatenate");
  const Tensor& first = parts.front();
  detail::check_defined("cat_batch", "parts[0]", first);
  DAE_CHECK(first.rank() >= 1, ShapeError, "cat_batch: tensors need at least one dimension");
  std::int64_t rows = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Tensor& p = parts[i];
    detail::check_defined("cat_batch", "parts[i]", p);
    DAE_CHECK(p.rank() == first.rank() && with_rows(p.shape(), 0) == with_rows(first.shape(), 0), ShapeError,
              "cat_batch: part ", i, " has shape ", p.shape().str(), " but part 0 has shape ", first.shape().str());
    detail::check_same_device("cat_batch", "parts[0]", first, "parts[i]", p);
    rows += p.size(0);
  }
  Tensor out = Tensor::empty(with_rows(first.shape(), rows), first.device());
  DeviceContext& ctx = DeviceContext::get(first.device());
  std::int64_t offset = 0;
  std::vector<std::int64_t> row_counts;
  for (const Tensor& p : parts) {
    ctx.copy_within(out.data() + offset, p.data(), p.nbytes());
    offset += p.numel();
    row_counts.push_back(p.size(0));
  }
  if (autograd::grad_enabled()) {
    bool any = false;
    for (const Tensor& p : parts) any = any || p.requires_grad();
    if (any) {
      // record() takes a fixed list; chain one node per part through a shared gradient.
      auto node = std::make_shared<autograd::Node>();
      node->name = "cat_batch";
      for (const Tensor& p : parts) {
        autograd::Edge edge;
        if (p.requires_grad()) {
          edge.shape = p.shape();
          edge.device = p.device();
          if (p.grad_fn()) edge.node = p.grad_fn(); else edge.leaf = p.impl();
        }
        node->inputs.push_back(std::move(edge));
      }
      node->backward = [row_counts](const Tensor& g, const autograd::Node& self) {
        std::vector<Tensor> grads;
        std::int64_t begin = 0;
        for (std::size_t i = 0; i < row_counts.size(); ++i) {
          if (self.needs_input_grad(i)) grads.push_back(slice_batch(g, begin, begin + row_counts[i]));
          else grads.emplace_back();
          begin += row_counts[i];
        }
        return grads;
      };
      out.impl()->grad_fn = node;
      out.impl()->requires_grad = true;
    }
  }
  return out;
}

Tensor slice_batch(const Tensor& x, std::int64_t begin, std::int64_t end) {
  detail::check_defined("slice_batch", "x", x);
  DAE_CHECK(x.rank() >= 1, ShapeError, "slice_batch: tensor needs at least one dimension");
  DAE_CHECK(0 <= begin && begin <= end && end <= x.size(0), ShapeError, "slice_batch: rows [", begin, ", ", end,
            ") out of range for shape ", x.shape().str());
  const std::int64_t per_row = row_elements(x.shape());
  Tensor out = Tensor::empty(with_rows(x.shape(), end - begin), x.device());
  DeviceContext::get(x.device()).copy_within(out.data(), x.data() + begin * per_row, out.nbytes());
  const Shape full = x.shape();
  autograd::record("slice_batch", out, {&x}, [full, begin, per_row](const Tensor& g, const autograd::Node&) {
    Tensor grad = Tensor::zeros(full, g.device());
    DeviceContext::get(g.device()).copy_within(grad.data() + begin * per_row, g.data(), g.nbytes());
    return std::vector<Tensor>{grad};
  });
  return out;
}

}  // namespace dae
