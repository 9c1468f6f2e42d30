// The fused loss reductions on the CPU, in GB/s, against the unfused
// sequence of elementwise kernels and against a memory copy.
//
//   dae_bench_loss [--threads=T] [--benchmark_filter=...]
//
// feature_distance (one layer of the perceptual loss) reads the two feature
// maps and writes the gradient: 12 bytes per element. The unfused sequence
// computes the same value and gradient as an autograd graph of separate ops
// would: d = a - b, d2 = d * d, value = sum(d2) * scale, grad = d * 2 scale
// (four passes). Both report "GB/s" as 12 bytes per element over their time,
// so the two rates compare directly (the ratio is the speed-up); the copy
// reads 4 and writes 4 bytes per element.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "engine/context.h"
#include "engine/random.h"
#include "engine/tensor.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/losses.h"
#include "kernels/cpu/perceptual.h"
#include "kernels/cpu/reductions.h"

namespace {

using namespace dae;

// VGG16 relu1_2 of the W2 workload (8 x 64 x 64 x 64) and a 4x larger map.
const kernels::FeatureDistanceShape kShapes[] = {{8, 64, 64 * 64}, {32, 64, 64 * 64}};

struct Buffers {
  Tensor a, b, grad, tmp1, tmp2, value;
  explicit Buffers(const kernels::FeatureDistanceShape& s) {
    Generator gen(3);
    a = Tensor::uniform(Shape{s.size()}, 0.0f, 2.0f, gen);
    b = Tensor::uniform(Shape{s.size()}, 0.0f, 2.0f, gen);
    grad = Tensor::zeros(Shape{s.size()});
    tmp1 = Tensor::zeros(Shape{s.size()});
    tmp2 = Tensor::zeros(Shape{s.size()});
    value = Tensor::zeros(Shape{});
  }
};

const kernels::Exec& exec() { return DeviceContext::get(Device::cpu()).exec(); }

void set_rate(benchmark::State& state, double bytes_per_iteration) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_copy(benchmark::State& state) {
  const auto& s = kShapes[state.range(0)];
  Buffers buf(s);
  const std::int64_t n = s.size();
  const int threads = exec().n_threads;
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      const std::int64_t begin = n * t / threads, end = n * (t + 1) / threads;
      std::memcpy(buf.grad.data() + begin, buf.a.data() + begin, std::size_t(end - begin) * sizeof(float));
    }
    benchmark::ClobberMemory();
  }
  set_rate(state, double(n) * 8.0);
}

void BM_feature_distance_fused(benchmark::State& state) {
  const auto& s = kShapes[state.range(0)];
  Buffers buf(s);
  for (auto _ : state) {
    kernels::cpu::feature_distance(exec(), s, buf.a.data(), buf.b.data(), nullptr, 1e-3f, buf.value.data(),
                                   buf.grad.data());
    benchmark::ClobberMemory();
  }
  set_rate(state, double(s.size()) * 12.0);
}

void BM_feature_distance_unfused(benchmark::State& state) {
  const auto& s = kShapes[state.range(0)];
  Buffers buf(s);
  const std::int64_t n = s.size();
  for (auto _ : state) {
    kernels::cpu::sub<float>(exec(), n, buf.a.data(), buf.b.data(), buf.tmp1.data());         // d
    kernels::cpu::mul<float>(exec(), n, buf.tmp1.data(), buf.tmp1.data(), buf.tmp2.data());   // d^2
    kernels::cpu::sum<float>(exec(), n, buf.tmp2.data(), buf.value.data());                   // sum
    kernels::cpu::mul_scalar<float>(exec(), n, buf.tmp1.data(), 2e-3f, buf.grad.data());      // gradient
    benchmark::ClobberMemory();
  }
  set_rate(state, double(n) * 12.0);
}

void BM_pixel_loss_fused(benchmark::State& state) {
  const auto& s = kShapes[state.range(0)];
  Buffers buf(s);
  for (auto _ : state) {
    kernels::cpu::weighted_mse<float>(exec(), s.size(), buf.a.data(), buf.b.data(), buf.tmp1.data(), 1.0f, 0.5f,
                                      buf.value.data(), buf.grad.data());
    benchmark::ClobberMemory();
  }
  set_rate(state, double(s.size()) * 16.0);  // output, clean and mask read, gradient written
}

}  // namespace

BENCHMARK(BM_copy)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_feature_distance_fused)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_feature_distance_unfused)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_pixel_loss_fused)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) set_num_threads(std::stoi(arg.substr(10)));
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
