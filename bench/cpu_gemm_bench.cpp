// The CPU GEMM (kernels/cpu/gemm.h), in GFLOP/s, against the FMA ceiling.
//
//   dae_bench_gemm [--threads=T] [--benchmark_filter=...] [--benchmark_repetitions=5]
//
// Rows `gemm/<op>/m:M/n:N/k:K` compute C = op(A) op(B) (beta 0), 2 M N K
// floating-point operations each: square products and the matrix shapes of
// the convolutions (VGG16's conv1_2 and conv3_2 forward as one product over
// the batch, a weight gradient, an im2col-style backward product). `of_peak`
// is the rate over the register-only FMA loop on the same threads (the row
// fma_peak, measured once at start as `peak_GFLOP/s`).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/cpu_bench_common.h"
#include "kernels/cpu/gemm.h"

namespace {

struct GemmCase {
  bool trans_a, trans_b;
  int m, n, k;
};

double peak_gflops() {
  static const double peak = [] {
    const int threads = dae::bench::bench_threads();
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
      float sink = 0;
      double flops = 0;
      const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink) reduction(+ : flops)
      flops += dae::bench::fma_loop(1'000'000, &sink);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      benchmark::DoNotOptimize(sink);
      best = std::max(best, flops / s * 1e-9);
    }
    return best;
  }();
  return peak;
}

void BM_gemm(benchmark::State& state, GemmCase g) {
  const dae::kernels::Exec ex = dae::bench::bench_exec();
  const std::vector<float> a = dae::bench::random_values<float>(std::size_t(g.m) * g.k, 1);
  const std::vector<float> b = dae::bench::random_values<float>(std::size_t(g.k) * g.n, 2);
  std::vector<float> c(std::size_t(g.m) * g.n, -1.0f);
  const int lda = g.trans_a ? g.m : g.k;
  const int ldb = g.trans_b ? g.k : g.n;
  auto run = [&] {
    dae::kernels::cpu::gemm<float>(ex, g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                                   c.data(), g.n);
  };
  run();
  double seconds = 0;
  std::int64_t calls = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++calls;
  }
  benchmark::DoNotOptimize(c.data());
  const double gflops = 2.0 * g.m * g.n * double(g.k) * double(calls) / seconds * 1e-9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_peak"] = gflops / peak_gflops();
  state.counters["peak_GFLOP/s"] = peak_gflops();
}

void register_all() {
  dae::bench::register_fma_peak();
  const std::vector<GemmCase> cases = {
      {false, false, 256, 256, 256},   {false, false, 512, 512, 512},  {false, false, 1024, 1024, 1024},
      {false, false, 2048, 2048, 2048}, {true, false, 1024, 1024, 1024}, {false, true, 1024, 1024, 1024},
      {false, false, 64, 32768, 576},   // VGG16 conv1_2 forward, batch 8, as one product
      {false, false, 256, 2048, 2304},  // VGG16 conv3_2 forward, batch 8
      {false, true, 64, 576, 32768},    // conv1_2 weight gradient: grad_y x col^T
      {true, false, 576, 4096, 64},     // an im2col-style backward-data product of one image
  };
  for (const GemmCase& g : cases) {
    const std::string name = std::string("gemm/") + (g.trans_a ? "t" : "n") + (g.trans_b ? "t" : "n") +
                             "/m:" + std::to_string(g.m) + "/n:" + std::to_string(g.n) + "/k:" + std::to_string(g.k);
    benchmark::RegisterBenchmark(name.c_str(), BM_gemm, g)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  dae::bench::parse_threads(argc, argv);
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
