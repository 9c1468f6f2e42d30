// Helpers shared by the CPU GEMM and convolution benchmarks (dae_bench_gemm,
// dae_bench_conv):
//
//   * the thread count: `--threads=T` on the command line (default: all cores),
//     read before Google Benchmark sees the arguments;
//   * the ceiling every GFLOP/s figure is measured against: a register-only
//     FMA loop (no memory traffic at all) run on the same threads with the
//     widest vectors the CPU offers (AVX-512, AVX2+FMA or scalar, the same
//     choice the GEMM makes), reported as the row `fma_peak/threads:T`;
//   * filling buffers with non-zero random values (never time on zeros).
#pragma once

#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/common/exec.h"
#include "kernels/cpu/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dae::bench {

// Threads every benchmark runs on; set by parse_threads().
inline int& bench_threads() {
  static int threads = omp_get_max_threads();
  return threads;
}

// Reads `--threads=T` (T >= 1) and leaves the other arguments to Google Benchmark.
inline void parse_threads(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) bench_threads() = std::max(1, std::stoi(arg.substr(10)));
  }
}

inline kernels::Exec bench_exec() {
  kernels::Exec ex;
  ex.n_threads = bench_threads();
  return ex;
}

// Deterministic values in [-1, 1), never all zero.
template <typename T>
std::vector<T> random_values(std::size_t n, std::uint32_t seed) {
  std::vector<T> v(n);
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (auto& x : v) {
    state = state * 1664525u + 1013904223u;
    x = T(double(state >> 8) / double(1u << 23) - 1.0);
  }
  return v;
}

// ---- the FMA ceiling ----------------------------------------------------------

// kChains independent accumulator chains: enough to cover the FMA latency
// (4 cycles) times the FMA ports (2) with room to spare, and few enough to
// stay in registers. Each step is kChains vector FMAs; the result is returned
// so the loop cannot be removed.
constexpr int kChains = 20;

#if defined(__x86_64__)
// GCC 12 reports its own AVX-512 reduction intrinsic as "used uninitialized"
// once inlined; the warning is spurious.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"), noinline)) inline float fma_loop_avx512(std::int64_t steps) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + 1e-6f * float(i));
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
  for (std::int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 20
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}
#pragma GCC diagnostic pop

__attribute__((target("avx2,fma"), noinline)) inline float fma_loop_avx2(std::int64_t steps) {
  constexpr int kChains2 = 12;  // 16 ymm registers
  __m256 acc[kChains2];
  for (int i = 0; i < kChains2; ++i) acc[i] = _mm256_set1_ps(1.0f + 1e-6f * float(i));
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
  for (std::int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains2; ++i) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kChains2; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return lanes[0] + lanes[7];
}
#endif

inline float fma_loop_scalar(std::int64_t steps) {
  float acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (std::int64_t s = 0; s < steps; ++s) {
    for (float& a : acc) a = a * 0.999999f + 1e-7f;
  }
  return acc[0] + acc[7];
}

// Floating-point operations (2 per lane per FMA) of one call with `steps`.
inline double fma_loop(std::int64_t steps, float* sink) {
#if defined(__x86_64__)
  const kernels::cpu::CpuFeatures& f = kernels::cpu::cpu_features();
  if (f.avx512f) {
    *sink += fma_loop_avx512(steps);
    return double(steps) * kChains * 16 * 2;
  }
  if (f.avx2_fma) {
    *sink += fma_loop_avx2(steps);
    return double(steps) * 12 * 8 * 2;
  }
#endif
  *sink += fma_loop_scalar(steps);
  return double(steps) * 8 * 2;
}

// The row `fma_peak`: every thread runs the loop; GFLOP/s over all threads.
inline void BM_fma_peak(benchmark::State& state) {
  const int threads = int(state.range(0));
  constexpr std::int64_t kSteps = 2'000'000;
  double flops = 0;
  float sink = 0;
  for (auto _ : state) {
    double per_thread = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      const double f = fma_loop(kSteps, &sink);
#pragma omp master
      per_thread = f;
    }
    flops += per_thread * threads;
  }
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
}

inline void register_fma_peak() {
  benchmark::RegisterBenchmark("fma_peak", BM_fma_peak)->Arg(bench_threads())->ArgName("threads")->UseRealTime();
  if (bench_threads() > 1) {
    benchmark::RegisterBenchmark("fma_peak", BM_fma_peak)->Arg(1)->ArgName("threads")->UseRealTime();
  }
}

}  // namespace dae::bench
