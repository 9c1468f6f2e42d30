// Helpers shared by the CPU convolution kernels (conv2d and conv_transpose2d).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu::detail {

// Weight gradients sum images in groups of this many, in order; groups are
// then added in order. The partition depends only on the batch size.
constexpr int kWeightGradGroup = 8;

// Runs body(image, inner_exec, scratch) for every image of the batch. With at
// least as many images as threads, images are spread over threads and each
// body runs single-threaded; otherwise images run one after another and the
// body may use all threads (inner_exec.n_threads). `scratch` is a per-thread
// buffer of scratch_elems elements of T.
template <typename T, typename Body>
void for_each_image(const Exec& ex, int batch, std::size_t scratch_elems, Body body) {
  const int n_threads = std::max(1, ex.n_threads);
  if (batch >= n_threads && n_threads > 1) {
    Exec inner = ex;
    inner.n_threads = 1;
    inner.scratch = nullptr;  // host heap per thread
#pragma omp parallel num_threads(n_threads)
    {
      ScratchBuffer buffer(inner, scratch_elems * sizeof(T));
#pragma omp for schedule(static)
      for (int n = 0; n < batch; ++n) body(n, inner, buffer.as<T>());
    }
  } else {
    ScratchBuffer buffer(ex, scratch_elems * sizeof(T));
    for (int n = 0; n < batch; ++n) body(n, ex, buffer.as<T>());
  }
}

// Same partition for groups of images (weight gradients): body(group, inner_exec, scratch).
template <typename T, typename Body>
void for_each_group(const Exec& ex, int n_groups, std::size_t scratch_elems, Body body) {
  for_each_image<T>(ex, n_groups, scratch_elems, body);
}

// out = sum_g partial[g] (g in order), elementwise over n elements.
template <typename T>
void sum_partials(const Exec& ex, const std::vector<T>& partial, int n_groups, std::int64_t n, T* out) {
#pragma omp parallel for schedule(static) num_threads(std::max(1, ex.n_threads))
  for (std::int64_t i = 0; i < n; ++i) {
    T acc = partial[std::size_t(i)];
    for (int g = 1; g < n_groups; ++g) acc += partial[std::size_t(g) * n + i];
    out[i] = acc;
  }
}

}  // namespace dae::kernels::cpu::detail
