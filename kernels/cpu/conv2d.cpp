#include "kernels/cpu/conv2d.h"

#include <algorithm>

#include "kernels/cpu/conv_common.h"

namespace dae::kernels::cpu {

// Forward: the forward tap product of conv_common.h. A = weight viewed as
// [out_channels, in_channels * kh * kw]; its columns are the taps in order.
template <typename T>
void conv2d_forward(const Exec& ex, const Conv2dShape& s, const T* x, const T* weight, const T* bias, T* y) {
  const std::vector<detail::ConvTap> taps = detail::forward_taps(s);
  const auto src = detail::PaddedSource<T>::make(x, s.batch, s.in_channels, s.in_height, s.in_width, s.stride, taps,
                                                 s.out_height, s.out_width);
  detail::ConvForwardProblem<T> p;
  p.m_rows = s.out_channels;
  p.k = int(taps.size());
  p.taps = taps.data();
  p.a = weight;
  p.a_row_stride = p.k;
  p.grid = {s.batch, s.out_height, s.out_width};
  p.out = detail::nchw_out(y, s.out_channels, s.out_height, s.out_width);
  p.bias = bias;
  detail::run_forward_products<T>(ex, src, {p});
}

template <typename T>
void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const T* grad_y, const T* weight, T* grad_x) {
  detail::conv_backward_data_taps<T>(ex, s, grad_y, weight, nullptr, grad_x);
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

// Weight gradient: the weight-gradient tap product, with grad_y as g and the
// forward taps over x: grad_w[co][tap] = sum over the batch's pixels of
// grad_y[co](pixel) * x_tap(pixel), summed in fixed pixel blocks (or, for
// few taps or few output channels, as dot products; conv_common.h).
template <typename T>
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const T* x, const T* grad_y, T* grad_weight,
                            T* grad_bias) {
  const std::vector<detail::ConvTap> taps = detail::forward_taps(s);
  const auto src = detail::PaddedSource<T>::make(x, s.batch, s.in_channels, s.in_height, s.in_width, s.stride, taps,
                                                 s.out_height, s.out_width);
  detail::run_weight_grad<T>(ex, src, taps, detail::PixelGrid{s.batch, s.out_height, s.out_width}, s.out_channels,
                             grad_y, grad_weight);
  if (grad_bias != nullptr) bias_backward<T>(ex, s.batch, s.out_channels, s.out_height * s.out_width, grad_y, grad_bias);
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
