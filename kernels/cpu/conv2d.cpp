#include "kernels/cpu/conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/conv_common.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"

namespace dae::kernels::cpu {

using detail::for_each_group;
using detail::for_each_image;
using detail::kWeightGradGroup;

template <typename T>
void conv2d_forward(const Exec& ex, const Conv2dShape& s, const T* x, const T* weight, const T* bias, T* y) {
  const int k = s.in_channels * s.kernel_h * s.kernel_w;  // GEMM depth
  const int hw_out = s.out_height * s.out_width;
  const std::size_t in_image = std::size_t(s.in_channels) * s.in_height * s.in_width;
  const std::size_t out_image = std::size_t(s.out_channels) * hw_out;
  const bool identity = im2col_is_identity(s);
  const std::size_t col_elems = identity ? 0 : std::size_t(k) * hw_out;

  for_each_image<T>(ex, s.batch, col_elems, [&](int n, const Exec& inner, T* col) {
    const T* x_n = x + n * in_image;
    T* y_n = y + n * out_image;
    if (!identity) im2col(s, x_n, col);
    const T* b_matrix = identity ? x_n : col;
    T beta = T(0);
    if (bias != nullptr) {
      for (int c = 0; c < s.out_channels; ++c) std::fill(y_n + std::size_t(c) * hw_out, y_n + std::size_t(c + 1) * hw_out, bias[c]);
      beta = T(1);
    }
    // y_n[out_channels x hw_out] = weight[out_channels x k] * col[k x hw_out] (+ bias)
    gemm<T>(inner, false, false, s.out_channels, hw_out, k, T(1), weight, k, b_matrix, hw_out, beta, y_n, hw_out);
  });
}

template <typename T>
void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const T* grad_y, const T* weight, T* grad_x) {
  const int k = s.in_channels * s.kernel_h * s.kernel_w;
  const int hw_out = s.out_height * s.out_width;
  const std::size_t in_image = std::size_t(s.in_channels) * s.in_height * s.in_width;
  const std::size_t out_image = std::size_t(s.out_channels) * hw_out;
  const bool identity = im2col_is_identity(s);
  const std::size_t col_elems = identity ? 0 : std::size_t(k) * hw_out;

  for_each_image<T>(ex, s.batch, col_elems, [&](int n, const Exec& inner, T* col) {
    const T* gy_n = grad_y + n * out_image;
    T* gx_n = grad_x + n * in_image;
    // col[k x hw_out] = weight^T[k x out_channels] * grad_y_n[out_channels x hw_out]
    T* target = identity ? gx_n : col;
    gemm<T>(inner, true, false, k, hw_out, s.out_channels, T(1), weight, k, gy_n, hw_out, T(0), target, hw_out);
    if (!identity) {
      std::fill(gx_n, gx_n + in_image, T(0));
      col2im_add(s, col, gx_n);
    }
  });
}

template <typename T>
void bias_backward(const Exec& ex, int batch, int channels, int pixels, const T* grad_y, T* grad_bias) {
#pragma omp parallel for schedule(static) num_threads(std::max(1, std::min(ex.n_threads, channels)))
  for (int c = 0; c < channels; ++c) {
    double acc = 0.0;
    for (int n = 0; n < batch; ++n) {
      const T* plane = grad_y + (std::size_t(n) * channels + c) * pixels;
      double plane_sum = 0.0;
#pragma omp simd reduction(+ : plane_sum)
      for (int i = 0; i < pixels; ++i) plane_sum += double(plane[i]);
      acc += plane_sum;
    }
    grad_bias[c] = T(acc);
  }
}

template <typename T>
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const T* x, const T* grad_y, T* grad_weight,
                            T* grad_bias) {
  const int k = s.in_channels * s.kernel_h * s.kernel_w;
  const int hw_out = s.out_height * s.out_width;
  const std::size_t in_image = std::size_t(s.in_channels) * s.in_height * s.in_width;
  const std::size_t out_image = std::size_t(s.out_channels) * hw_out;
  const bool identity = im2col_is_identity(s);
  const std::size_t col_elems = identity ? 0 : std::size_t(k) * hw_out;
  const std::int64_t w_elems = s.weight_size();
  const int n_groups = (s.batch + kWeightGradGroup - 1) / kWeightGradGroup;

  std::vector<T> partial(n_groups > 1 ? std::size_t(n_groups) * w_elems : 0);
  for_each_group<T>(ex, n_groups, col_elems, [&](int g, const Exec& inner, T* col) {
    T* target = n_groups > 1 ? partial.data() + std::size_t(g) * w_elems : grad_weight;
    const int first = g * kWeightGradGroup;
    const int last = std::min(s.batch, first + kWeightGradGroup);
    for (int n = first; n < last; ++n) {
      const T* x_n = x + n * in_image;
      if (!identity) im2col(s, x_n, col);
      const T* b_matrix = identity ? x_n : col;
      // grad_weight[out_channels x k] (+)= grad_y_n[out_channels x hw_out] * col^T[hw_out x k]
      gemm<T>(inner, false, true, s.out_channels, k, hw_out, T(1), grad_y + n * out_image, hw_out, b_matrix,
              hw_out, n == first ? T(0) : T(1), target, k);
    }
  });
  if (n_groups > 1) detail::sum_partials(ex, partial, n_groups, w_elems, grad_weight);
  if (grad_bias != nullptr) bias_backward<T>(ex, s.batch, s.out_channels, hw_out, grad_y, grad_bias);
}

#define DAE_INSTANTIATE(T)                                                                                 \
  template void conv2d_forward<T>(const Exec&, const Conv2dShape&, const T*, const T*, const T*, T*);      \
  template void conv2d_backward_data<T>(const Exec&, const Conv2dShape&, const T*, const T*, T*);          \
  template void conv2d_backward_weight<T>(const Exec&, const Conv2dShape&, const T*, const T*, T*, T*);    \
  template void bias_backward<T>(const Exec&, int, int, int, const T*, T*);
DAE_INSTANTIATE(float)
DAE_INSTANTIATE(double)
#undef DAE_INSTANTIATE

}  // namespace dae::kernels::cpu
