#include "kernels/cpu/losses.h"

#include "kernels/cpu/chunked_sum.h"

namespace dae::kernels::cpu {

template <typename T>
void weighted_mse(const Exec& ex, std::int64_t n, const T* a, const T* b, const T* mask, T alpha, T beta, T* value,
                  T* grad_a) {
  const T scale = T(2) / T(n);  // as mse_backward with an upstream gradient of 1
  const double total = chunked_sum(ex, n, [=](std::int64_t i) {
    const T w = mask == nullptr ? T(1) : (mask[i] != T(0) ? alpha : beta);
    if (grad_a != nullptr) grad_a[i] = (a[i] - b[i]) * (scale * w);
    const double d = double(a[i]) - double(b[i]);
    return d * d * double(w);
  });
  value[0] = T(total / double(n));
}

template void weighted_mse<float>(const Exec&, std::int64_t, const float*, const float*, const float*, float, float,
                                  float*, float*);
template void weighted_mse<double>(const Exec&, std::int64_t, const double*, const double*, const double*, double,
                                   double, double*, double*);

}  // namespace dae::kernels::cpu
