// Noise kernels on the CPU, in GB/s (bytes read + written), against a plain
// memory copy of the same tensor: the ceiling a one-pass kernel can reach.
//
//   dae_bench_cpu [--benchmark_filter=...] [--benchmark_repetitions=5] [--threads=T]  (default: all cores)
//
// The tensor is [128, 3, 512, 512] floats: 100.7 M elements, 403 MB, far
// larger than the last-level cache of current server CPUs (tens to a few
// hundred MB), so every row streams from and to DRAM. Copy and noise rows use
// the same tensor.
//
// Bytes counted per element:
//   copy   4 read (input) + 4 written (output)                = 8
//   noise  4 read (input) + 4 written (noisy) + 4 written (mask) = 12
// (Write-allocate reads of the destinations are not counted, for either.)
//
// Each noise row also reports `copy_GB/s`, a copy of the same tensor on the
// same threads timed between its iterations, and `of_copy`, its own GB/s as
// a fraction of that. BM_copy is the copy alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "engine/context.h"
#include "engine/random.h"
#include "kernels/cpu/noise.h"
#include "noise/noise.h"

namespace {

constexpr std::int64_t kBatch = 128, kChannels = 3, kSide = 512;  // 100.7 M elements, 403 MB per tensor
constexpr double kCopyBytesPerElement = 8.0;   // 4 read + 4 written
constexpr double kNoiseBytesPerElement = 12.0; // 4 read + 4 noisy written + 4 mask written

dae::Tensor& clean_input() {
  static dae::Tensor x = [] {
    dae::Generator gen(1);
    return dae::Tensor::uniform(dae::Shape{kBatch, kChannels, kSide, kSide}, 0.1f, 0.9f, gen);
  }();
  return x;
}

// An output tensor of the benchmark's shape, allocated once and written once
// (so no row pays the page faults of first touch), shared by all rows.
dae::Tensor make_output() {
  dae::Tensor t = dae::Tensor::empty(clean_input().shape());
  std::fill(t.data(), t.data() + t.numel(), -1.0f);
  return t;
}
dae::Tensor& output() {
  static dae::Tensor y = make_output();
  return y;
}
dae::Tensor& mask_output() {
  static dae::Tensor mask = make_output();
  return mask;
}
dae::Tensor& copy_output() {
  static dae::Tensor copy = make_output();
  return copy;
}

int bench_threads() { return dae::DeviceContext::get(dae::Device::cpu()).num_threads(); }

// One copy of x into y, split into one contiguous slice per thread.
void parallel_copy(const float* x, float* y, std::int64_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const std::int64_t begin = n * t / threads, end = n * (t + 1) / threads;
    std::memcpy(y + begin, x + begin, std::size_t(end - begin) * sizeof(float));
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// GB/s of `iterations` passes over `bytes` in `seconds` (a plain counter, so
// that the repetitions' median is a median of rates).
double gbs(double bytes, std::int64_t iterations, double seconds) {
  return bytes * double(iterations) / seconds * 1e-9;
}

void BM_copy(benchmark::State& state) {
  const dae::Tensor& x = clean_input();
  dae::Tensor& y = output();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    parallel_copy(x.data(), y.data(), x.numel(), bench_threads());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = gbs(double(x.numel()) * kCopyBytesPerElement, state.iterations(), seconds_since(start));
}

// The kernel itself, on preallocated outputs (no allocation in the loop); the
// step changes every iteration, so every iteration draws new noise. Before
// each kernel call, untimed by the framework but timed here, a copy of the
// same tensor on the same threads into a buffer of its own: `copy_GB/s` is
// the copy ceiling measured in the same seconds as the kernel, and
// `of_copy` = GB/s / copy_GB/s (the machine's bandwidth drifts, with the
// load of other processes, by more than the differences measured here).
void BM_noise(benchmark::State& state, const std::string& spec) {
  const dae::Tensor& x = clean_input();
  dae::kernels::NoiseParams p = dae::parse_noise_spec(spec).params;
  p.seed = 1;
  const dae::kernels::ImageShape shape{int(kBatch), int(kChannels), int(kSide), int(kSide)};
  dae::Tensor& y = output();
  dae::Tensor& mask = mask_output();
  dae::Tensor& copy = copy_output();
  const dae::kernels::Exec& ex = dae::DeviceContext::get(dae::Device::cpu()).exec();
  double noise_seconds = 0, copy_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto copy_start = std::chrono::steady_clock::now();
    parallel_copy(x.data(), copy.data(), x.numel(), bench_threads());
    copy_seconds += seconds_since(copy_start);
    ++p.step;
    state.ResumeTiming();
    const auto start = std::chrono::steady_clock::now();
    dae::kernels::cpu::corrupt(ex, p, shape, x.data(), y.data(), mask.data());
    benchmark::ClobberMemory();
    noise_seconds += seconds_since(start);
  }
  const double rate = gbs(double(x.numel()) * kNoiseBytesPerElement, state.iterations(), noise_seconds);
  const double copy_rate = gbs(double(x.numel()) * kCopyBytesPerElement, state.iterations(), copy_seconds);
  state.counters["GB/s"] = rate;
  state.counters["copy_GB/s"] = copy_rate;
  state.counters["of_copy"] = rate / copy_rate;
}

void register_all() {
  const auto add = [](const char* name, const char* spec) {
    benchmark::RegisterBenchmark(name, BM_noise, std::string(spec))->Unit(benchmark::kMillisecond)->UseRealTime();
  };
  benchmark::RegisterBenchmark("BM_copy", BM_copy)->Unit(benchmark::kMillisecond)->UseRealTime();
  add("BM_noise/gaussian", "gaussian:sigma=0.1");
  add("BM_noise/gaussian_noclip", "gaussian:sigma=0.1,clip=0");
  add("BM_noise/saltpepper", "saltpepper:amount=0.1");
  add("BM_noise/saltpepper_shared", "saltpepper:amount=0.1,per_channel=0");
  add("BM_noise/mask", "mask:p=0.25");
  add("BM_noise/mask_shared", "mask:p=0.25,per_channel=0");
  add("BM_noise/block", "block:size=16,count=4");
  add("BM_noise/none", "none");
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) dae::set_num_threads(std::stoi(arg.substr(10)));
  }
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
