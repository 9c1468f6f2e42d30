// The deterministic sum behind every CPU reduction.
//
// The index range is cut into fixed chunks of kReductionChunk elements; each
// chunk is summed in double by one thread into 8 interleaved partial sums
// (lane i % 8), combined in a fixed order; the chunk sums are then added in
// chunk order. The arithmetic order depends only on n, never on the thread
// count, and two kernels whose terms are equal produce equal sums bit for bit
// (no `omp simd reduction`, which would let the compiler reorder additions).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common/exec.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

constexpr std::int64_t kReductionChunk = 4096;

namespace detail {
template <typename Term>
double sum_range(std::int64_t begin, std::int64_t end, const Term& term) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    for (int l = 0; l < 8; ++l) lane[l] += term(i + l);
  }
  for (int l = 0; i < end; ++i, ++l) lane[l] += term(i);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}
}  // namespace detail

// The chunking of chunked_sum with the sum of each chunk left to
// range_sum(begin, end), which must give detail::sum_range's result for its
// terms (a hand-vectorized loop with the same lanes and the same order).
template <typename RangeSum>
double chunked_range_sum(const Exec& ex, std::int64_t n, const RangeSum& range_sum) {
  if (n <= 0) return 0.0;
  const std::int64_t n_chunks = (n + kReductionChunk - 1) / kReductionChunk;
  if (n_chunks == 1) return range_sum(std::int64_t(0), n);
  std::vector<double> partial(static_cast<std::size_t>(n_chunks));
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n))
  for (std::int64_t c = 0; c < n_chunks; ++c) {
    const std::int64_t begin = c * kReductionChunk;
    partial[std::size_t(c)] = range_sum(begin, std::min(begin + kReductionChunk, n));
  }
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

// sum_{i < n} term(i), where term(i) returns a double. `visit(i)` style side
// effects inside term (writing a gradient) are allowed: every i is visited once.
template <typename Term>
double chunked_sum(const Exec& ex, std::int64_t n, const Term& term) {
  return chunked_range_sum(ex, n, [&](std::int64_t begin, std::int64_t end) {
    return detail::sum_range(begin, end, term);
  });
}

}  // namespace dae::kernels::cpu
