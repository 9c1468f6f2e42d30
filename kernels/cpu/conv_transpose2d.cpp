#include "kernels/cpu/conv_transpose2d.h"

#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_common.h"

namespace dae::kernels::cpu {

template <typename T>
void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const T* x, const T* weight,
                              const T* bias, T* y) {
  // y = backward-data of the convolution s.as_conv() applied to x, plus bias.
  detail::conv_backward_data_taps<T>(ex, s.as_conv(), x, weight, bias, y);
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
  // The weight gradient of as_conv() (input grad_y, output gradient x) has
  // our weight's layout [in_channels, out_channels, kh, kw].
  conv2d_backward_weight<T>(ex, s.as_conv(), grad_y, x, grad_weight, nullptr);
  if (grad_bias != nullptr) {
    bias_backward<T>(ex, s.batch, s.out_channels, s.out_height * s.out_width, grad_y, grad_bias);
  }
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
