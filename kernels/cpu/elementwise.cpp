#include "kernels/cpu/elementwise.h"

#include <cstring>

#include "kernels/common/macros.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

template <typename T>
void fill(const Exec& ex, std::int64_t n, T value, T* DAE_RESTRICT out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = value;
}

template <typename T>
void fill_from(const Exec& ex, std::int64_t n, const T* value, T* out) {
  fill<T>(ex, n, *value, out);
}

template <typename T>
void add(const Exec& ex, std::int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

template <typename T>
void sub(const Exec& ex, std::int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}

template <typename T>
void mul(const Exec& ex, std::int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

template <typename T>
void add_scalar(const Exec& ex, std::int64_t n, const T* a, T scalar, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + scalar;
}

template <typename T>
void mul_scalar(const Exec& ex, std::int64_t n, const T* a, T scalar, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] * scalar;
}

template <typename T>
void mul_by_scalar(const Exec& ex, std::int64_t n, const T* a, const T* scalar, T factor, T* out) {
  const T s = *scalar * factor;
  mul_scalar<T>(ex, n, a, s, out);
}

template <typename T>
void accumulate(const Exec& ex, std::int64_t n, const T* a, T* out) {
#pragma omp parallel for simd schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t i = 0; i < n; ++i) out[i] += a[i];
}

template <typename T>
void copy(const Exec&, std::int64_t n, const T* a, T* out) {
  if (a != out && n > 0) std::memcpy(out, a, std::size_t(n) * sizeof(T));
}

#define DAE_INSTANTIATE(T)                                                                  \
  template void fill<T>(const Exec&, std::int64_t, T, T*);                                  \
  template void fill_from<T>(const Exec&, std::int64_t, const T*, T*);                      \
  template void add<T>(const Exec&, std::int64_t, const T*, const T*, T*);                  \
  template void sub<T>(const Exec&, std::int64_t, const T*, const T*, T*);                  \
  template void mul<T>(const Exec&, std::int64_t, const T*, const T*, T*);                  \
  template void add_scalar<T>(const Exec&, std::int64_t, const T*, T, T*);                  \
  template void mul_scalar<T>(const Exec&, std::int64_t, const T*, T, T*);                  \
  template void mul_by_scalar<T>(const Exec&, std::int64_t, const T*, const T*, T, T*);     \
  template void accumulate<T>(const Exec&, std::int64_t, const T*, T*);                     \
  template void copy<T>(const Exec&, std::int64_t, const T*, T*);
DAE_INSTANTIATE(float)
DAE_INSTANTIATE(double)
#undef DAE_INSTANTIATE

}  // namespace dae::kernels::cpu
