#include "kernels/cpu/activations.h"

#include <cmath>

#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

template <typename T>
void relu_forward(const Exec& ex, std::int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
void relu_backward(const Exec& ex, std::int64_t n, const T* y, const T* gy, T* gx) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) gx[i] = y[i] > T(0) ? gy[i] : T(0);
}

template <typename T>
void sigmoid_forward(const Exec& ex, std::int64_t n, const T* x, T* y) {
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n, 1 << 13))
  for (std::int64_t i = 0; i < n; ++i) y[i] = T(1) / (T(1) + std::exp(-x[i]));
}

template <typename T>
void sigmoid_backward(const Exec& ex, std::int64_t n, const T* y, const T* gy, T* gx) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) gx[i] = gy[i] * (T(1) - y[i]) * y[i];
}

#define DAE_INSTANTIATE(T)                                                          \
  template void relu_forward<T>(const Exec&, std::int64_t, const T*, T*);           \
  template void relu_backward<T>(const Exec&, std::int64_t, const T*, const T*, T*); \
  template void sigmoid_forward<T>(const Exec&, std::int64_t, const T*, T*);        \
  template void sigmoid_backward<T>(const Exec&, std::int64_t, const T*, const T*, T*);
DAE_INSTANTIATE(float)
DAE_INSTANTIATE(double)
#undef DAE_INSTANTIATE

}  // namespace dae::kernels::cpu
