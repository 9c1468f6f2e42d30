#include "kernels/cpu/conv_transpose2d.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_common.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col.h"

namespace dae::kernels::cpu {

using detail::for_each_group;
using detail::for_each_image;
using detail::kWeightGradGroup;

template <typename T>
void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const T* x, const T* weight,
                              const T* bias, T* y) {
  const Conv2dShape conv = s.as_conv();  // conv: y-shaped input -> x-shaped output
  const int k = s.out_channels * s.kernel_h * s.kernel_w;
  const int hw_in = s.in_height * s.in_width;
  const int hw_out = s.out_height * s.out_width;
  const std::size_t in_image = std::size_t(s.in_channels) * hw_in;
  const std::size_t out_image = std::size_t(s.out_channels) * hw_out;
  const bool identity = im2col_is_identity(conv);

  for_each_image<T>(ex, s.batch, identity ? 0 : std::size_t(k) * hw_in, [&](int n, const Exec& inner, T* col) {
    const T* x_n = x + n * in_image;
    T* y_n = y + n * out_image;
    // col[k x hw_in] = weight^T[k x in_channels] * x_n[in_channels x hw_in]
    T* target = identity ? y_n : col;
    gemm<T>(inner, true, false, k, hw_in, s.in_channels, T(1), weight, k, x_n, hw_in, T(0), target, hw_in);
    if (!identity) {
      std::fill(y_n, y_n + out_image, T(0));
      col2im_add(conv, col, y_n);
    }
    if (bias != nullptr) {
      for (int c = 0; c < s.out_channels; ++c) {
        T* plane = y_n + std::size_t(c) * hw_out;
        for (int i = 0; i < hw_out; ++i) plane[i] += bias[c];
      }
    }
  });
}

template <typename T>
void conv_transpose2d_backward_data(const Exec& ex, const ConvTranspose2dShape& s, const T* grad_y,
                                    const T* weight, T* grad_x) {
  // grad_x = conv2d(grad_y, weight viewed as [in_channels, out_channels*kh*kw]) without bias.
  conv2d_forward<T>(ex, s.as_conv(), grad_y, weight, nullptr, grad_x);
}

template <typename T>
void conv_transpose2d_backward_weight(const Exec& ex, const ConvTranspose2dShape& s, const T* x, const T* grad_y,
                                      T* grad_weight, T* grad_bias) {
  const Conv2dShape conv = s.as_conv();
  const int k = s.out_channels * s.kernel_h * s.kernel_w;
  const int hw_in = s.in_height * s.in_width;
  const int hw_out = s.out_height * s.out_width;
  const std::size_t in_image = std::size_t(s.in_channels) * hw_in;
  const std::size_t out_image = std::size_t(s.out_channels) * hw_out;
  const bool identity = im2col_is_identity(conv);
  const std::int64_t w_elems = s.weight_size();
  const int n_groups = (s.batch + kWeightGradGroup - 1) / kWeightGradGroup;

  std::vector<T> partial(n_groups > 1 ? std::size_t(n_groups) * w_elems : 0);
  for_each_group<T>(ex, n_groups, identity ? 0 : std::size_t(k) * hw_in, [&](int g, const Exec& inner, T* col) {
    T* target = n_groups > 1 ? partial.data() + std::size_t(g) * w_elems : grad_weight;
    const int first = g * kWeightGradGroup;
    const int last = std::min(s.batch, first + kWeightGradGroup);
    for (int n = first; n < last; ++n) {
      const T* gy_n = grad_y + n * out_image;
      if (!identity) im2col(conv, gy_n, col);
      const T* b_matrix = identity ? gy_n : col;
      // grad_weight[in_channels x k] (+)= x_n[in_channels x hw_in] * col^T[hw_in x k]
      gemm<T>(inner, false, true, s.in_channels, k, hw_in, T(1), x + n * in_image, hw_in, b_matrix, hw_in,
              n == first ? T(0) : T(1), target, k);
    }
  });
  if (n_groups > 1) detail::sum_partials(ex, partial, n_groups, w_elems, grad_weight);
  if (grad_bias != nullptr) bias_backward<T>(ex, s.batch, s.out_channels, hw_out, grad_y, grad_bias);
}

#define DAE_INSTANTIATE(T)                                                                                        \
  template void conv_transpose2d_forward<T>(const Exec&, const ConvTranspose2dShape&, const T*, const T*,         \
                                            const T*, T*);                                                        \
  template void conv_transpose2d_backward_data<T>(const Exec&, const ConvTranspose2dShape&, const T*, const T*,   \
                                                  T*);                                                            \
  template void conv_transpose2d_backward_weight<T>(const Exec&, const ConvTranspose2dShape&, const T*, const T*, \
                                                    T*, T*);
DAE_INSTANTIATE(float)
DAE_INSTANTIATE(double)
#undef DAE_INSTANTIATE

}  // namespace dae::kernels::cpu
