// Elementwise CUDA kernels: the twins of kernels/cpu/elementwise.h (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

void fill(const Exec& ex, std::int64_t n_elements, float value, float* out);
void fill_from(const Exec& ex, std::int64_t n_elements, const float* value, float* out);
void add(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, float* out);
void sub(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, float* out);
void mul(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, float* out);
void add_scalar(const Exec& ex, std::int64_t n_elements, const float* a, float scalar, float* out);
void mul_scalar(const Exec& ex, std::int64_t n_elements, const float* a, float scalar, float* out);
void mul_by_scalar(const Exec& ex, std::int64_t n_elements, const float* a, const float* scalar, float factor,
                   float* out);
void accumulate(const Exec& ex, std::int64_t n_elements, const float* a, float* out);
void copy(const Exec& ex, std::int64_t n_elements, const float* a, float* out);

}  // namespace dae::kernels::cuda
