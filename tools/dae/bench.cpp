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
//
// --cuda-graph (real CUDA on a GPU) times replays of one captured step
// instead: after the warm-up, one step runs under the context's capture
// guard (a rehearsal: it fails clearly if the step would allocate memory the
// cache cannot serve, or synchronise with the host), then the next step is
// captured on the context's stream, noise, forward, loss, backward and SGD
// update, into a CUDA graph, and each of --iters replays is timed as a step
// is (launch to synchronised end, wall clock). The first replay is checked
// against a real step from the same weights (graph_check_max_abs_diff, 0
// with deterministic kernels).
// A replay does the captured step's arithmetic and memory traffic exactly,
// kernel for kernel, on the same buffers: it really updates the weights and
// momentum buffers, from the gradients it computes. What it does not redo is
// the host's work: no op dispatch, no autograd tape, no allocator calls, no
// kernel launches one by one. And the kernel arguments are baked in: the
// noise is drawn with the captured step's (seed, step), so every replay
// corrupts the batch with the same noise, where training draws new noise
// each step.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

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
  bool cuda_graph = false;
};

// A line of /proc/self/status in bytes ("VmHWM:" the resident-set
// high-water mark, "VmRSS:" the resident set now); 0 when unavailable.
std::size_t proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == field) {
      std::size_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    std::getline(status, key);
  }
  return 0;
}

// Resets VmHWM to the current resident set (Linux: clear_refs 5), so that
// the growth of the resident set over the steps can be read as VmHWM - VmRSS
// before; bench/compare_torch.py reads PyTorch's the same way.
// False when the kernel does not allow it.
bool reset_rss_peak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return bool(clear);
}

void run_bench(const BenchOptions& o) {
  DAE_CHECK(o.workload == "w1" || o.workload == "w2", ArgumentError, "--workload must be w1 or w2 (got '", o.workload, "')");
  DAE_CHECK(o.iters >= 1 && o.warmup >= 0, ArgumentError, "--iters must be >= 1 and --warmup >= 0");
  if (o.threads > 0) set_num_threads(o.threads);
  const Device device = Device::parse(o.device);
  DAE_CHECK(!o.cuda_graph || device.is_cuda(), ArgumentError, "--cuda-graph needs --device cuda (got --device ",
            o.device, ")");
  // Two steps reach the allocator's steady state: the first allocates the
  // gradients and momentum buffers, and its gradients, still held during the
  // second step's forward pass, keep blocks out of the cache that the second
  // step then allocates once more.
  DAE_CHECK(!o.cuda_graph || o.warmup >= 2, ArgumentError, "--cuda-graph needs --warmup >= 2: the warm-up steps ",
            "fill the caching allocator, so that the captured step allocates nothing new");
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

  // Queues one training step on the device; nothing in it waits for the
  // device (the loss is never read back), so it can be captured as it is.
  auto queue_step = [&](std::int64_t k) {
    const Corruption c = corrupt(clean, noise, 7, std::uint64_t(k));
    const Tensor out = model(c.noisy);
    const LossTerms terms = loss(out, clean, c.mask, noise.specs[0]);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
  };
  auto step = [&](std::int64_t k) {
    queue_step(k);
    ctx.synchronize();
  };
  auto elapsed_ms = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  // The resident set's growth is counted from before the first step: it
  // includes the gradients, momentum buffers and whatever the allocator's
  // cache keeps, as PyTorch's counted the same way does (compare_torch.py).
  const bool rss_peak_reset = reset_rss_peak();
  const std::size_t rss_before = proc_status_bytes("VmRSS:");
  for (int k = 0; k < o.warmup; ++k) step(k);
  ctx.reset_peak();
  const std::size_t in_use_before = ctx.bytes_in_use();
  std::vector<double> ms;
  CapturedGraph graph;
  std::size_t graph_cached_allocs = 0;
  const std::int64_t graph_step = o.warmup + 1;  // the step whose noise the replays reuse
  // The first replay (untimed; it also uploads the graph to the device),
  // checked against a real step `k` from the same weights and momentum
  // buffers: the largest |difference| of the weights after the two, and the
  // largest change of a weight in the real step. The kernels are
  // deterministic, so the difference is normally 0; throws when it is a
  // sizeable part of the update (the replay does not do the step). Leaves
  // the weights of the real step.
  struct ReplayCheck {
    double max_diff = 0.0, max_update = 0.0;
  } graph_check;
  auto check_replay = [&](std::int64_t k) {
    std::vector<Tensor> state;
    for (const auto& [name, param] : model.named_parameters()) state.push_back(param);
    const std::size_t n_params = state.size();
    for (const auto& [name, buffer] : optimizer.state()) state.push_back(buffer);
    auto read = [&] {
      std::vector<std::vector<float>> values;
      for (const Tensor& t : state) values.push_back(t.to_vector());
      return values;
    };
    const auto before = read();
    graph.replay();
    ctx.synchronize();
    const auto replayed = read();
    for (std::size_t i = 0; i < state.size(); ++i) {
      ctx.copy_from_host(state[i].data(), before[i].data(), state[i].nbytes());
    }
    step(k);
    const auto real = read();
    ReplayCheck c;
    for (std::size_t i = 0; i < n_params; ++i) {
      for (std::size_t j = 0; j < real[i].size(); ++j) {
        const double diff = std::fabs(double(replayed[i][j]) - double(real[i][j]));
        if (!(diff <= c.max_diff)) c.max_diff = diff;  // a NaN sticks, and fails the check below
        c.max_update = std::max(c.max_update, std::fabs(double(real[i][j]) - double(before[i][j])));
      }
    }
    // Another noise draw moves w1's weights by ~7e-4 of the update; a replay
    // that misses kernels or reads stale buffers, by a large part of it.
    DAE_CHECK(c.max_diff <= 1e-3 * c.max_update, DeviceError, "--cuda-graph: a replay of the captured step does ",
              "not do the step: the weights after it differ from those after a real step by up to ", c.max_diff,
              ", where the step changes them by up to ", c.max_update);
    return c;
  };
  if (!o.cuda_graph) {
    for (int k = 0; k < o.iters; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      step(o.warmup + k);
      ms.push_back(elapsed_ms(t0));
    }
  } else {
    try {
      // The rehearsal: one step under the capture guard, run as usual.
      ctx.set_capture_guard(true);
      queue_step(o.warmup);
      ctx.set_capture_guard(false);
      ctx.synchronize();
    } catch (const DeviceError& e) {
      ctx.abort_capture();
      throw DeviceError(concat("--cuda-graph: the rehearsal step after ", o.warmup, " warm-up steps failed: ", e.what(),
                               " (a larger --warmup may help)"));
    } catch (...) {
      ctx.abort_capture();
      throw;
    }
    try {
      // The capture: the next step, recorded, not run.
      ctx.begin_capture();
      queue_step(graph_step);
      graph_cached_allocs = ctx.guarded_allocations();
      graph = ctx.end_capture();
    } catch (const DeviceError& e) {
      ctx.abort_capture();
      throw DeviceError(concat("--cuda-graph: ", e.what()));
    } catch (...) {
      ctx.abort_capture();
      throw;
    }
    graph_check = check_replay(graph_step);
    for (int k = 0; k < o.iters; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      graph.replay();
      ctx.synchronize();
      ms.push_back(elapsed_ms(t0));
    }
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  std::printf("workload %s\n", o.workload.c_str());
  std::printf("device %s\n", device.str().c_str());
  if (device.is_cuda()) std::printf("conv_algo %s\n", o.conv_algo.c_str());
  if (device.is_cuda()) std::printf("cuda_graph %d\n", o.cuda_graph ? 1 : 0);
  if (o.cuda_graph) {
    std::printf("graph_step %lld\n", static_cast<long long>(graph_step));
    std::printf("graph_nodes %zu\n", graph.node_count());
    std::printf("graph_alloc_nodes %zu\n", graph.alloc_node_count());
    std::printf("graph_cached_allocs %zu\n", graph_cached_allocs);
    std::printf("graph_check_max_abs_diff %g\n", graph_check.max_diff);
    std::printf("graph_check_max_update %g\n", graph_check.max_update);
  }
  std::printf("threads %d\n", DeviceContext::get(Device::cpu()).num_threads());
  std::printf("cpu_gemm %s\n", kernels::cpu::gemm_kernel_name());
  if (!w1) std::printf("vgg %s\n", vgg_source.c_str());
  std::printf("batch %d\n", batch);
  std::printf("iters %d\n", o.iters);
  std::printf("step_ms_min %.3f\n", ms.front());
  std::printf("step_ms_median %.3f\n", median);
  std::printf("step_ms_max %.3f\n", ms.back());
  std::printf("peak_step_bytes %zu\n", ctx.peak_bytes_in_use() - std::min(in_use_before, ctx.peak_bytes_in_use()));
  const std::size_t rss_peak = proc_status_bytes("VmHWM:");
  std::printf("peak_rss_bytes %zu\n", rss_peak);
  if (rss_peak_reset && rss_peak > 0) std::printf("step_rss_growth_bytes %zu\n", rss_peak - std::min(rss_before, rss_peak));
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
  cmd->add_flag("--cuda-graph", o->cuda_graph,
                "Capture one training step into a CUDA graph after the warm-up and time its replays (same noise "
                "every replay; real GPU only; default: off)");
  cmd->callback([o]() { run_bench(*o); });
}

}  // namespace dae::tool
