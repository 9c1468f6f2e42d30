// Elementwise CPU kernels over dense arrays of n_elements values.
// Outputs may alias inputs (in-place use) unless stated otherwise.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

// out[i] = value
template <typename T> void fill(const Exec& ex, std::int64_t n_elements, T value, T* out);
// out[i] = *value (the scalar lives in the same memory space as out)
template <typename T> void fill_from(const Exec& ex, std::int64_t n_elements, const T* value, T* out);
// out[i] = a[i] + b[i]
template <typename T> void add(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, T* out);
// out[i] = a[i] - b[i]
template <typename T> void sub(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, T* out);
// out[i] = a[i] * b[i]
template <typename T> void mul(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, T* out);
// out[i] = a[i] + scalar
template <typename T> void add_scalar(const Exec& ex, std::int64_t n_elements, const T* a, T scalar, T* out);
// out[i] = a[i] * scalar
template <typename T> void mul_scalar(const Exec& ex, std::int64_t n_elements, const T* a, T scalar, T* out);
// out[i] = a[i] * (*scalar) * factor (scale by a device-resident scalar, e.g. an upstream gradient)
template <typename T>
void mul_by_scalar(const Exec& ex, std::int64_t n_elements, const T* a, const T* scalar, T factor, T* out);
// out[i] += a[i] (gradient accumulation)
template <typename T> void accumulate(const Exec& ex, std::int64_t n_elements, const T* a, T* out);
// out[i] = a[i]
template <typename T> void copy(const Exec& ex, std::int64_t n_elements, const T* a, T* out);

}  // namespace dae::kernels::cpu
