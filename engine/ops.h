// Differentiable operations on tensors. Each validates its arguments (shape,
// device; the message names the op, the argument and both shapes), runs the
// kernel of the tensors' device, and records its backward for autograd.
// The implementations live in engine/ops/, one op family per file, each
// backward right beside its forward.
#pragma once

#include <vector>

#include "engine/tensor.h"

namespace dae {

// ---- elementwise (engine/ops/elementwise.cpp); shapes must match exactly ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, float scalar);
Tensor mul(const Tensor& a, float scalar);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator+(const Tensor& a, float s) { return add(a, s); }
inline Tensor operator+(float s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, float s) { return add(a, -s); }
inline Tensor operator*(const Tensor& a, float s) { return mul(a, s); }
inline Tensor operator*(float s, const Tensor& a) { return mul(a, s); }
inline Tensor operator-(const Tensor& a) { return mul(a, -1.0f); }

// ---- activations (engine/ops/activations.cpp) ----
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);

// ---- reductions and losses (engine/ops/reductions.cpp); results are scalars (shape []) ----
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);
// mean((input - target)^2), as torch.nn.functional.mse_loss with reduction "mean".
Tensor mse_loss(const Tensor& input, const Tensor& target);

// ---- convolutions (engine/ops/conv.cpp) ----
// x [N, C_in, H, W], weight [C_out, C_in, kh, kw], bias [C_out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1, int padding = 0);
// x [N, C_in, H, W], weight [C_in, C_out, kh, kw], bias [C_out] or undefined.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1, int padding = 0,
                        int output_padding = 0);

// ---- pooling (engine/ops/pooling.cpp) ----
// Max pooling, floor mode; stride defaults to the kernel size.
Tensor max_pool2d(const Tensor& x, int kernel, int stride = 0, int padding = 0);

// ---- batch assembly (engine/ops/batch.cpp) ----
// Concatenates along dimension 0; all other dimensions must match.
Tensor cat_batch(const std::vector<Tensor>& parts);
// Rows [begin, end) of dimension 0, as a new tensor.
Tensor slice_batch(const Tensor& x, std::int64_t begin, std::int64_t end);

}  // namespace dae
