// Noise kernels on the CPU, in GB/s (bytes read + written), against a plain
// memory copy of the same tensor (the ceiling a one-pass kernel can reach).
//
//   dae_bench_cpu [--benchmark_filter=...] [--threads=T]  (default: all cores)
//
// Bytes counted per element: the clean input read (4), the noisy output (4)
// and the mask (4) written; the copy reads 4 and writes 4.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "engine/context.h"
#include "engine/random.h"
#include "kernels/cpu/noise.h"
#include "noise/noise.h"

namespace {

constexpr std::int64_t kBatch = 64, kChannels = 3, kSide = 256;  // 12.6 M elements, 50 MB per tensor

dae::Tensor& clean_input() {
  static dae::Tensor x = [] {
    dae::Generator gen(1);
    return dae::Tensor::uniform(dae::Shape{kBatch, kChannels, kSide, kSide}, 0.1f, 0.9f, gen);
  }();
  return x;
}

void BM_copy(benchmark::State& state) {
  const dae::Tensor& x = clean_input();
  dae::Tensor y = dae::Tensor::zeros(x.shape());
  const int threads = dae::DeviceContext::get(dae::Device::cpu()).num_threads();
  const std::int64_t n = x.numel();
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      const std::int64_t begin = n * t / threads, end = n * (t + 1) / threads;
      std::memcpy(y.data() + begin, x.data() + begin, std::size_t(end - begin) * sizeof(float));
    }
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(double(n) * 8.0, benchmark::Counter::kIsIterationInvariantRate);
}

// The kernel itself, on preallocated outputs (no allocation in the loop).
void BM_noise(benchmark::State& state, const std::string& spec) {
  const dae::Tensor& x = clean_input();
  dae::kernels::NoiseParams p = dae::parse_noise_spec(spec).params;
  p.seed = 1;
  const dae::kernels::ImageShape shape{int(kBatch), int(kChannels), int(kSide), int(kSide)};
  dae::Tensor y = dae::Tensor::zeros(x.shape()), mask = dae::Tensor::zeros(x.shape());
  const dae::kernels::Exec& ex = dae::DeviceContext::get(dae::Device::cpu()).exec();
  for (auto _ : state) {
    ++p.step;
    dae::kernels::cpu::corrupt(ex, p, shape, x.data(), y.data(), mask.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(double(x.numel()) * 12.0, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_copy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, gaussian, std::string("gaussian:sigma=0.1"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, saltpepper, std::string("saltpepper:amount=0.1"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, saltpepper_shared, std::string("saltpepper:amount=0.1,per_channel=0"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, mask, std::string("mask:p=0.25"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, block, std::string("block:size=16,count=4"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_noise, none, std::string("none"))->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) dae::set_num_threads(std::stoi(arg.substr(10)));
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
