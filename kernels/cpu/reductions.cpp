#include "kernels/cpu/reductions.h"

#include "kernels/cpu/chunked_sum.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {


template <typename T>
void sum(const Exec& ex, std::int64_t n, const T* x, T* out) {
  out[0] = T(chunked_sum(ex, n, [x](std::int64_t i) { return double(x[i]); }));
}

template <typename T>
void mean(const Exec& ex, std::int64_t n, const T* x, T* out) {
  const double s = chunked_sum(ex, n, [x](std::int64_t i) { return double(x[i]); });
  out[0] = T(s / double(n));
}

template <typename T>
void mse_forward(const Exec& ex, std::int64_t n, const T* a, const T* b, T* out) {
  const double s = chunked_sum(ex, n, [a, b](std::int64_t i) {
    const double d = double(a[i]) - double(b[i]);
    return d * d;
  });
  out[0] = T(s / double(n));
}

template <typename T>
void mse_backward(const Exec& ex, std::int64_t n, const T* a, const T* b, const T* grad_loss, T* grad_a) {
  const T scale = T(2) / T(n) * grad_loss[0];
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) grad_a[i] = (a[i] - b[i]) * scale;
}

#define DAE_INSTANTIATE(T)                                                                 \
  template void sum<T>(const Exec&, std::int64_t, const T*, T*);                           \
  template void mean<T>(const Exec&, std::int64_t, const T*, T*);                          \
  template void mse_forward<T>(const Exec&, std::int64_t, const T*, const T*, T*);         \
  template void mse_backward<T>(const Exec&, std::int64_t, const T*, const T*, const T*, T*);
DAE_INSTANTIATE(float)
DAE_INSTANTIATE(double)
#undef DAE_INSTANTIATE

}  // namespace dae::kernels::cpu
