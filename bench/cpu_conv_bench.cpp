// CPU convolutions, in GFLOP/s, against the FMA ceiling of the same threads.
//
//   dae_bench_conv [--threads=T] [--benchmark_filter=...] [--benchmark_repetitions=5]
//
// One row per layer of the three workloads' models (bench/conv_bench_shapes.h)
// and pass:
//   fwd          y = conv(x, w) + b
//   bwd_data     grad_x from grad_y
//   bwd_weight   grad_w from x and grad_y (the bias gradient is not included)
// named `conv/<set>/<layer>/<pass>` (`convT` for the transposed layers). Each
// pass counts 2 * (multiply-adds of the forward) floating-point operations,
// the convention PyTorch's profilers use too. Every row reports `GFLOP/s` and
// `of_peak`, that rate over the register-only FMA loop measured once at start
// on the same threads (`peak_GFLOP/s`; also the row fma_peak).
//
// bench/torch_conv_bench.py times the same shapes and passes in PyTorch.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench/conv_bench_shapes.h"
#include "bench/cpu_bench_common.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_transpose2d.h"

namespace {

using dae::bench::ConvCase;

enum class Pass { kForward, kBackwardData, kBackwardWeight };

const char* pass_name(Pass p) {
  switch (p) {
    case Pass::kForward: return "fwd";
    case Pass::kBackwardData: return "bwd_data";
    case Pass::kBackwardWeight: return "bwd_weight";
  }
  return "?";
}

// The FMA ceiling of bench_threads() threads, measured once (about 0.2 s).
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

void BM_conv(benchmark::State& state, ConvCase c, Pass pass) {
  const dae::kernels::Exec ex = dae::bench::bench_exec();
  std::size_t x_size, y_size, w_size;
  if (c.transposed) {
    const auto s = c.transposed_shape();
    x_size = std::size_t(s.input_size());
    y_size = std::size_t(s.output_size());
    w_size = std::size_t(s.weight_size());
  } else {
    const auto s = c.conv();
    x_size = std::size_t(s.input_size());
    y_size = std::size_t(s.output_size());
    w_size = std::size_t(s.weight_size());
  }
  const std::vector<float> x = dae::bench::random_values<float>(x_size, 1);
  const std::vector<float> w = dae::bench::random_values<float>(w_size, 2);
  const std::vector<float> b = dae::bench::random_values<float>(std::size_t(c.out_channels), 3);
  const std::vector<float> gy = dae::bench::random_values<float>(y_size, 4);
  std::vector<float> y(y_size, -1.0f), gx(x_size, -1.0f), gw(w_size, -1.0f);

  auto run = [&] {
    namespace cpu = dae::kernels::cpu;
    if (c.transposed) {
      const auto s = c.transposed_shape();
      switch (pass) {
        case Pass::kForward: cpu::conv_transpose2d_forward<float>(ex, s, x.data(), w.data(), b.data(), y.data()); break;
        case Pass::kBackwardData: cpu::conv_transpose2d_backward_data<float>(ex, s, gy.data(), w.data(), gx.data()); break;
        case Pass::kBackwardWeight:
          cpu::conv_transpose2d_backward_weight<float>(ex, s, x.data(), gy.data(), gw.data(), nullptr);
          break;
      }
    } else {
      const auto s = c.conv();
      switch (pass) {
        case Pass::kForward: cpu::conv2d_forward<float>(ex, s, x.data(), w.data(), b.data(), y.data()); break;
        case Pass::kBackwardData: cpu::conv2d_backward_data<float>(ex, s, gy.data(), w.data(), gx.data()); break;
        case Pass::kBackwardWeight: cpu::conv2d_backward_weight<float>(ex, s, x.data(), gy.data(), gw.data(), nullptr); break;
      }
    }
  };
  run();  // warm-up: first touch of every buffer, caches, thread pool
  double seconds = 0;
  std::int64_t passes = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++passes;
  }
  benchmark::DoNotOptimize(y.data());
  benchmark::DoNotOptimize(gx.data());
  benchmark::DoNotOptimize(gw.data());
  const double gflops = c.flops() * double(passes) / seconds * 1e-9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_peak"] = gflops / peak_gflops();
  state.counters["peak_GFLOP/s"] = peak_gflops();
  state.counters["ms"] = seconds / double(passes) * 1e3;
}

void register_all() {
  dae::bench::register_fma_peak();
  for (const ConvCase& c : dae::bench::conv_cases()) {
    for (Pass pass : {Pass::kForward, Pass::kBackwardData, Pass::kBackwardWeight}) {
      const std::string name = std::string(c.transposed ? "convT/" : "conv/") + c.set + "/" + c.layer + "/" +
                               pass_name(pass);
      benchmark::RegisterBenchmark(name.c_str(), BM_conv, c, pass)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
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
