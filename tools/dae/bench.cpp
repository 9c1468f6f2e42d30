// dae bench: images per second of a whole training step (forward, loss,
// backward, SGD update) of the two reference workloads of the benchmark issue:
//
//   w1  dae-mnist, batch 128, 1x28x28, gaussian:sigma=0.3, mse, SGD momentum 0.9
//   w2  dae-rgb, batch 8, 3x64x64, gaussian:sigma=0.1, mse+perceptual on VGG16
//       relu1_2, relu2_2, relu3_3 with weights 1, 1, 1, SGD momentum 0.9
//
// The batch is a fixed random image batch (the data pipeline is not timed);
// the noise is drawn per step as in training. After --warmup steps, each of
// --iters steps is timed (synchronised on the device) and the median reported.
// W2 uses --vgg weights when given, else randomly initialised VGG16 weights
// (the arithmetic, and so the speed, is the same). Prints `name value` lines,
// `images_per_s VALUE` last.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "engine/context.h"
#include "engine/errors.h"
#include "engine/random.h"
#include "engine/sgd.h"
#include "kernels/common/philox.h"
#include "kernels/cpu/cpu_features.h"
#include "losses/loss.h"
#include "losses/perceptual.h"
#include "models/dae.h"
#include "noise/noise.h"
#include "tools/dae/commands.h"

namespace dae::tool {

namespace {

struct BenchOptions {
  std::string workload = "w1";
  std::string device = "cpu";
  int threads = 0;
  int iters = 20;
  int warmup = 3;
  std::string vgg;
  std::string conv_algo = "custom";
};

// Resident-set high-water mark of this process, from /proc (0 when unavailable).
std::size_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::size_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    std::getline(status, key);
  }
  return 0;
}

void run_bench(const BenchOptions& o) {
  DAE_CHECK(o.workload == "w1" || o.workload == "w2", ArgumentError, "--workload must be w1 or w2 (got '", o.workload, "')");
  DAE_CHECK(o.iters >= 1 && o.warmup >= 0, ArgumentError, "--iters must be >= 1 and --warmup >= 0");
  if (o.threads > 0) set_num_threads(o.threads);
  const Device device = Device::parse(o.device);
  apply_device_options(device, o.conv_algo, false);
  const bool w1 = o.workload == "w1";
  const int batch = w1 ? 128 : 8, side = w1 ? 28 : 64;
  Generator gen(1, philox::kStreamInit);
  DenoisingAutoencoder model(dae_preset(w1 ? "dae-mnist" : "dae-rgb"), gen);
  model.to(device);
  const NoiseMix noise = parse_noise(w1 ? "gaussian:sigma=0.3" : "gaussian:sigma=0.1");
  std::shared_ptr<PerceptualLoss> perceptual;
  std::string vgg_source = "none";
  if (!w1) {
    PerceptualOptions po;
    po.layers = {"relu1_2", "relu2_2", "relu3_3"};
    po.layer_weights = {1.0f, 1.0f, 1.0f};
    if (!o.vgg.empty()) {
      perceptual = make_perceptual_loss(o.vgg, "relu1_2,relu2_2,relu3_3", "1,1,1", false);
      vgg_source = o.vgg;
    } else {
      auto vgg = std::make_shared<VggFeatures>(VggArch::kVgg16, vgg_relu_index(VggArch::kVgg16, "relu3_3"),
                                               InputNorm::kImagenet);
      perceptual = std::make_shared<PerceptualLoss>(vgg, po);
      vgg_source = "random VGG16 weights";
    }
    perceptual->to(device);
  }
  const TrainingLoss loss(parse_loss_spec(w1 ? "mse" : "mse+perceptual"), LossOptions{}, perceptual);
  SGD optimizer(model.named_parameters(), SgdOptions{0.05f, 0.9f, 0.0f, 0.0f, false});
  Generator data_gen(2);
  const Tensor clean = Tensor::uniform(Shape{batch, w1 ? 1 : 3, side, side}, 0.0f, 1.0f, data_gen, device);
  DeviceContext& ctx = DeviceContext::get(device);

  auto step = [&](std::int64_t k) {
    const Corruption c = corrupt(clean, noise, 7, std::uint64_t(k));
    const Tensor out = model(c.noisy);
    const LossTerms terms = loss(out, clean, c.mask, noise.specs[0]);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
    ctx.synchronize();
  };
  for (int k = 0; k < o.warmup; ++k) step(k);
  ctx.reset_peak();
  const std::size_t in_use_before = ctx.bytes_in_use();
  std::vector<double> ms;
  for (int k = 0; k < o.iters; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    step(o.warmup + k);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  std::printf("workload %s\n", o.workload.c_str());
  std::printf("device %s\n", device.str().c_str());
  if (device.is_cuda()) std::printf("conv_algo %s\n", o.conv_algo.c_str());
  std::printf("threads %d\n", DeviceContext::get(Device::cpu()).num_threads());
  std::printf("cpu_gemm %s\n", kernels::cpu::gemm_kernel_name());
  if (!w1) std::printf("vgg %s\n", vgg_source.c_str());
  std::printf("batch %d\n", batch);
  std::printf("iters %d\n", o.iters);
  std::printf("step_ms_min %.3f\n", ms.front());
  std::printf("step_ms_median %.3f\n", median);
  std::printf("step_ms_max %.3f\n", ms.back());
  std::printf("peak_step_bytes %zu\n", ctx.peak_bytes_in_use() - std::min(in_use_before, ctx.peak_bytes_in_use()));
  std::printf("peak_rss_bytes %zu\n", peak_rss_bytes());
  std::printf("images_per_s %.2f\n", double(batch) * 1000.0 / median);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Images per second of a whole training step (workloads w1, w2)");
  cmd->add_option("--workload", o->workload, "w1 (dae-mnist, MSE) or w2 (dae-rgb, MSE + VGG16 perceptual)");
  cmd->add_option("--device", o->device, "cpu or cuda[:N]");
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)");
  cmd->add_option("--iters", o->iters, "Timed steps (the median is reported)");
  cmd->add_option("--warmup", o->warmup, "Untimed steps first");
  cmd->add_option("--vgg", o->vgg, "VGG16 weights for w2 (default: random weights, same speed)")->default_str("none");
  cmd->add_option("--conv-algo", o->conv_algo, "CUDA convolutions: custom (our kernels), cublas or cudnn");
  cmd->callback([o]() { run_bench(*o); });
}

}  // namespace dae::tool
