// dae train: the training loop of a denoising autoencoder.
//
// One step: take the batch of this step (a pure function of seed and step),
// corrupt it (noise keyed by seed and step), run the model, compute the loss
// against the clean batch, backpropagate, update with SGD. Every --log-every
// steps a line goes to metrics.jsonl and the progress display; every
// --save-every steps (and at the end, and on Ctrl-C) checkpoint.safetensors
// is replaced atomically. At the end the model is evaluated on the test split.
#include <omp.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/atomic_file.h"
#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/datasets.h"
#include "engine/errors.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "engine/sgd.h"
#include "kernels/common/philox.h"
#include "losses/loss.h"
#include "losses/perceptual.h"
#include "models/dae.h"
#include "noise/noise.h"
#include "tools/dae/checkpoint.h"
#include "tools/dae/commands.h"
#include "tools/dae/evaluate.h"
#include "tools/dae/progress.h"
#include "tools/dae/report.h"
#include "tools/dae/schedule.h"

namespace dae::tool {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct TrainOptions {
  std::string data = "fashion-mnist";
  std::string model = "dae-mnist";
  std::string noise = "gaussian:sigma=0.3";
  std::string loss = "mse";
  std::string vgg;
  std::string layers = "relu1_2,relu2_2,relu3_3";
  std::string layer_weights = "1,1,1";
  bool perc_mask = false;
  float alpha = NAN, beta = NAN;
  float lambda_pix = 1.0f, lambda_perc = 1.0f;
  int epochs = 1;
  std::int64_t steps = 0;
  int batch = 64;
  float lr = 0.5f;
  std::string lr_schedule = "constant";
  float momentum = 0.9f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
  std::int64_t limit = 0;
  int patch = 0;
  std::uint64_t seed = 0;
  std::string device = "cpu";
  std::string conv_algo = "custom";
  bool nondeterministic = false;
  int threads = 0;
  std::string init;
  std::string resume;
  bool no_shuffle = false;
  std::string out;
  int log_every = 10;
  std::int64_t save_every = 0;
  std::int64_t eval_limit = 0;
};

// A float as the double its shortest decimal spelling denotes (0.05f -> 0.05),
// so configurations read back as they were written.
double tidy(float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::strtod(std::string(buf, end).c_str(), nullptr) : double(v);
}

// The settings that decide the trajectory of a run: a resumed run must use the same.
Json trajectory_config(const TrainOptions& o) {
  return Json{{"data", o.data},           {"model", o.model},   {"noise", o.noise},
              {"loss", o.loss},           {"vgg", o.vgg},       {"layers", o.layers},
              {"layer_weights", o.layer_weights}, {"perc_mask", o.perc_mask},
              {"alpha", std::isnan(o.alpha) ? Json("auto") : Json(tidy(o.alpha))},
              {"beta", std::isnan(o.beta) ? Json("auto") : Json(tidy(o.beta))},
              {"lambda_pix", tidy(o.lambda_pix)}, {"lambda_perc", tidy(o.lambda_perc)},
              {"batch", o.batch},         {"lr", tidy(o.lr)},   {"lr_schedule", o.lr_schedule},
              {"momentum", tidy(o.momentum)},
              {"dampening", tidy(o.dampening)}, {"weight_decay", tidy(o.weight_decay)},
              {"nesterov", o.nesterov},   {"limit", o.limit},   {"patch", o.patch},   {"seed", o.seed},
              {"shuffle", !o.no_shuffle}, {"init", o.init}};
}

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

// metrics.jsonl: one JSON object per logged step, rewritten atomically.
class MetricsLog {
 public:
  MetricsLog(std::string path, std::int64_t keep_until_step) : path_(std::move(path)) {
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      try {
        const Json j = Json::parse(line);
        if (j.value("step", std::int64_t(0)) <= keep_until_step) {
          lines_ += line + "\n";
          entries_.push_back(j);
        }
      } catch (const Json::exception&) {
        break;  // a damaged tail: keep what came before
      }
    }
  }
  void add(const Json& entry) {
    lines_ += entry.dump() + "\n";
    entries_.push_back(entry);
    dirty_ = true;
  }
  const std::vector<Json>& entries() const { return entries_; }
  void flush() {
    if (!dirty_) return;
    write_file_atomic(path_, lines_);
    dirty_ = false;
  }

 private:
  std::string path_;
  std::string lines_;
  std::vector<Json> entries_;
  bool dirty_ = false;
};

void run_train(const TrainOptions& o) {
  DAE_CHECK(!o.out.empty(), ArgumentError, "--out DIR is required");
  DAE_CHECK(o.threads >= 0, ArgumentError, "--threads must be >= 1 (got ", o.threads, ")");
  DAE_CHECK(o.log_every >= 1, ArgumentError, "--log-every must be >= 1 (got ", o.log_every, ")");
  DAE_CHECK(o.save_every >= 0, ArgumentError, "--save-every must be >= 0 (got ", o.save_every, ")");
  DAE_CHECK(o.epochs >= 1, ArgumentError, "--epochs must be >= 1 (got ", o.epochs, ")");
  DAE_CHECK(o.steps >= 0, ArgumentError, "--steps must be >= 1 (got ", o.steps, ")");
  if (o.threads > 0) {
    set_num_threads(o.threads);
    omp_set_num_threads(o.threads);
  }
  const Device device = Device::parse(o.device);
  apply_device_options(device, o.conv_algo, o.nondeterministic);
  const DaeConfig preset = dae_preset(o.model);
  const NoiseMix noise = parse_noise(o.noise);
  LossOptions loss_options;
  loss_options.alpha = o.alpha;
  loss_options.beta = o.beta;
  loss_options.lambda_pix = o.lambda_pix;
  loss_options.lambda_perc = o.lambda_perc;
  const LossSpec loss_spec = parse_loss_spec(o.loss);
  std::shared_ptr<PerceptualLoss> perceptual;
  if (loss_spec.perceptual) {
    DAE_CHECK(!o.vgg.empty(), ArgumentError, "--loss ", o.loss, " needs VGG weights: --vgg FILE (tools/convert_vgg.py makes one)");
    perceptual = make_perceptual_loss(o.vgg, o.layers, o.layer_weights, o.perc_mask);
    perceptual->to(device);
  }
  const TrainingLoss loss(loss_spec, loss_options, perceptual);
  SgdOptions sgd_options{o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov};
  const LrSchedule schedule = LrSchedule::parse(o.lr_schedule);

  DataOptions data_options{o.data, preset.in_channels, o.limit, o.patch};
  const std::unique_ptr<ImageDataset> train = open_dataset(data_options, Split::kTrain);
  DAE_CHECK(train->height() % 4 == 0 && train->width() % 4 == 0, ArgumentError, "data set ", train->describe(),
            ": image height and width must be divisible by 4 for ", o.model);
  noise.check_fits(train->height(), train->width());
  BatchLoader loader(*train, o.batch, !o.no_shuffle, o.seed);
  const std::int64_t total_steps = o.steps > 0 ? o.steps : o.epochs * loader.steps_per_epoch();

  // The model: PyTorch's default initialisation from the seed, or --init, or --resume.
  Generator init_gen(o.seed, philox::kStreamInit);
  DenoisingAutoencoder model(preset, init_gen);
  std::int64_t start_step = 0;
  LoadedCheckpoint resumed;
  const Json config = trajectory_config(o);
  if (!o.resume.empty()) {
    resumed = read_checkpoint(o.resume);
    DAE_CHECK(resumed.has_state, FileError, "--resume '", o.resume,
              "' is not a training checkpoint (no step in its metadata); use --init to start from its weights");
    if (!resumed.state.config_json.empty()) {
      const Json saved = Json::parse(resumed.state.config_json, nullptr, false);
      for (auto it = config.begin(); it != config.end(); ++it) {
        const bool same = saved.is_object() && saved.contains(it.key()) && saved[it.key()] == it.value();
        DAE_CHECK(same, ArgumentError, "--resume '", o.resume, "' was trained with ", it.key(), " = ",
                  saved.is_object() && saved.contains(it.key()) ? saved[it.key()].dump() : std::string("(unset)"),
                  " but this run has ", it.value().dump(), ": a resumed run must use the same settings");
      }
    }
    model.load_state_dict(resumed.parameters, true, o.resume);
    start_step = resumed.state.step;
    DAE_CHECK(start_step <= total_steps, ArgumentError, "--resume '", o.resume, "' is at step ", start_step,
              ", past the ", total_steps, " steps of this run");
  } else if (!o.init.empty()) {
    model.load_state_dict(read_checkpoint(o.init).parameters, true, o.init);
  }
  model.to(device);
  SGD optimizer(model.named_parameters(), sgd_options);
  if (!o.resume.empty()) optimizer.load_state(resumed.optimizer, o.resume);

  std::error_code ec;
  fs::create_directories(o.out, ec);
  DAE_CHECK(fs::is_directory(o.out), FileError, "--out '", o.out, "' cannot be created as a folder",
            ec ? ": " + ec.message() : std::string());
  const std::string checkpoint_path = (fs::path(o.out) / "checkpoint.safetensors").string();
  MetricsLog metrics((fs::path(o.out) / "metrics.jsonl").string(), start_step);

  std::printf("train: %s on %s, %s, noise %s, loss %s, %lld steps of batch %d (%lld per epoch), device %s, %d threads\n",
              o.model.c_str(), train->describe().c_str(), o.resume.empty() ? "fresh" : "resumed", noise.text.c_str(),
              loss.spec().text.c_str(), (long long)total_steps, o.batch, (long long)loader.steps_per_epoch(),
              device.str().c_str(), DeviceContext::get(Device::cpu()).num_threads());
  std::fflush(stdout);

  // The test split gives the sample grids and the final evaluation.
  DataOptions test_options{o.data, preset.in_channels, o.eval_limit, o.patch};
  const std::unique_ptr<ImageDataset> test = open_dataset(test_options, Split::kTest);
  const std::string start_samples = (fs::path(o.out) / "samples-start.png").string();
  if (start_step == 0) {
    write_file_atomic(start_samples, sample_grid_png(model, *test, noise.specs[0], o.seed + 1, device));
  }
  auto write_report = [&](std::int64_t steps_done, const Json& test_rows, const Json& facts) {
    write_file_atomic((fs::path(o.out) / "samples.png").string(),
                      sample_grid_png(model, *test, noise.specs[0], o.seed + 1, device));
    ReportInput report;
    report.title = concat("dae train: ", o.model, " on ", train->describe(), ", ", steps_done, " steps");
    report.config = config;
    report.config["steps_total"] = total_steps;
    report.config["device"] = device.str();
    report.metrics = metrics.entries();
    report.test = test_rows;
    report.facts = facts;
    if (fs::exists(start_samples)) report.grids.emplace_back("before training (step 0)", read_file(start_samples));
    report.grids.emplace_back(concat("after ", steps_done, " steps"), read_file((fs::path(o.out) / "samples.png").string()));
    write_file_atomic((fs::path(o.out) / "report.html").string(), render_report(report));
  };

  auto save = [&](std::int64_t steps_done) {
    save_checkpoint(checkpoint_path, model, &optimizer,
                    CheckpointState{steps_done, steps_done / loader.steps_per_epoch(), config.dump(), o.seed});
    metrics.flush();
  };

  g_interrupted.store(false);
  const auto previous_handler = std::signal(SIGINT, on_sigint);
  Progress progress("step", total_steps);
  std::int64_t images_done = 0;
  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = start_step;
  for (; step < total_steps; ++step) {
    if (g_interrupted.load()) break;
    optimizer.options().lr = schedule.at(o.lr, step, total_steps);
    const Tensor clean = loader.batch(step).to(device);
    const Corruption c = corrupt(clean, noise, o.seed, std::uint64_t(step));
    const Tensor output = model(c.noisy);
    const LossTerms terms = loss(output, clean, c.mask, noise.specs[c.spec_index]);
    const float value = terms.total.item();
    if (!std::isfinite(value)) {
      std::signal(SIGINT, previous_handler);
      metrics.flush();
      throw Error(concat("the loss became ", value, " at step ", step + 1, "; training stopped (",
                         fs::exists(checkpoint_path) ? "the last good checkpoint is kept in " + checkpoint_path
                                                     : std::string("no checkpoint was written yet"),
                         "); try a smaller --lr"));
    }
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
    images_done += clean.size(0);

    const std::int64_t done = step + 1;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = elapsed > 0 ? double(images_done) / elapsed : 0.0;
    const bool log_now = done % o.log_every == 0 || done == total_steps;
    if (log_now) {
      Json entry{{"step", done}, {"epoch", step / loader.steps_per_epoch()}, {"loss", value}, {"lr", tidy(optimizer.options().lr)},
                 {"images_per_s", rate}, {"time_s", elapsed}};
      if (terms.pixel.defined()) entry["loss_pix"] = terms.pixel.item();
      if (terms.perceptual.defined()) entry["loss_perc"] = terms.perceptual.item();
      for (const auto& [name, t] : terms.layers) entry["loss_" + name] = t.item();
      metrics.add(entry);
    }
    char detail[128];
    std::snprintf(detail, sizeof detail, "epoch %lld  loss %.6f  %.0f img/s", (long long)(step / loader.steps_per_epoch()),
                  value, rate);
    progress.update(done, detail, log_now);
    if (log_now) metrics.flush();
    if (o.save_every > 0 && done % o.save_every == 0) save(done);
  }
  progress.finish();
  std::signal(SIGINT, previous_handler);
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  save(step);
  if (step < total_steps) {
    write_report(step, Json::array(), Json{{"status", concat("interrupted at step ", step, " of ", total_steps)}});
    std::printf("interrupted at step %lld of %lld: checkpoint written to %s (continue with --resume %s)\n",
                (long long)step, (long long)total_steps, checkpoint_path.c_str(), checkpoint_path.c_str());
    return;
  }
  const double images_per_s = train_seconds > 0 ? double(images_done) / train_seconds : 0.0;
  std::printf("trained %lld steps (%lld images) in %s: %.1f images/s\n", (long long)(step - start_step),
              (long long)images_done, format_duration(train_seconds).c_str(), images_per_s);

  // The test noise is keyed by seed + 1: a different draw from any training step.
  const std::vector<EvalRow> rows = evaluate(model, *test, noise, o.seed + 1, device);
  Json eval = Json::array();
  for (const EvalRow& r : rows) {
    std::printf("test %s (%lld images): mse noisy %.6f -> denoised %.6f (%.2fx lower); psnr %.2f -> %.2f dB; "
                "ssim %.4f -> %.4f\n",
                r.noise.c_str(), (long long)r.images, r.mse_noisy, r.mse_denoised,
                r.mse_noisy / std::max(r.mse_denoised, 1e-12), r.psnr_noisy, r.psnr_denoised, r.ssim_noisy,
                r.ssim_denoised);
    eval.push_back(Json{{"noise", r.noise},           {"images", r.images},           {"mse_noisy", r.mse_noisy},
                        {"mse_denoised", r.mse_denoised}, {"psnr_noisy", r.psnr_noisy}, {"psnr_denoised", r.psnr_denoised},
                        {"ssim_noisy", r.ssim_noisy}, {"ssim_denoised", r.ssim_denoised}});
  }
  const Json summary{{"steps", step},
                     {"train_images_per_s", images_per_s},
                     {"train_seconds", train_seconds},
                     {"test", eval},
                     {"config", config}};
  write_file_atomic((fs::path(o.out) / "summary.json").string(), summary.dump(2) + "\n");
  write_report(step, eval,
               Json{{"steps", step},
                    {"images per second", concat(std::lround(images_per_s), " (", DeviceContext::get(Device::cpu()).num_threads(),
                                                  " CPU threads, ", device.str(), ")")},
                    {"training time", format_duration(train_seconds)},
                    {"test data", test->describe()}});
  std::printf("report: %s\n", (fs::path(o.out) / "report.html").string().c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train a denoising autoencoder");
  cmd->add_option("--data", o->data, "Training data: fashion-mnist, mnist, synthetic or a folder of IDX files");
  cmd->add_option("--model", o->model, "Model preset: dae-mnist (1 channel) or dae-rgb (3 channels)");
  cmd->add_option("--noise", o->noise, "Noise spec (SPEC §4), several separated by '|' for a mixture");
  cmd->add_option("--loss", o->loss, "Loss: mse, perceptual or mse+perceptual");
  cmd->add_option("--vgg", o->vgg, "VGG weights for the perceptual loss (converted by tools/convert_vgg.py)")
      ->default_str("none");
  cmd->add_option("--layers", o->layers, "VGG layers of the perceptual loss");
  cmd->add_option("--layer-weights", o->layer_weights, "Weight of each layer of --layers");
  cmd->add_flag("--perc-mask", o->perc_mask,
                "Weigh the perceptual feature differences by the corruption mask pooled to each layer (alpha/beta; default: off)");
  cmd->add_option("--alpha", o->alpha, "Weight of corrupted elements in the pixel loss (default: by noise kind)")
      ->default_str("auto");
  cmd->add_option("--beta", o->beta, "Weight of the other elements in the pixel loss (default: by noise kind)")
      ->default_str("auto");
  cmd->add_option("--lambda-pix", o->lambda_pix, "Weight of the pixel term in the total loss");
  cmd->add_option("--lambda-perc", o->lambda_perc, "Weight of the perceptual term in the total loss");
  auto* epochs = cmd->add_option("--epochs", o->epochs, "Number of passes over the training data");
  cmd->add_option("--steps", o->steps, "Number of SGD steps (instead of --epochs), counted from the start of the run")
      ->excludes(epochs)
      ->default_str("from --epochs");
  cmd->add_option("--batch", o->batch, "Images per batch");
  cmd->add_option("--lr", o->lr, "SGD learning rate");
  cmd->add_option("--lr-schedule", o->lr_schedule, "constant, step:every=N,gamma=G or cosine");
  cmd->add_option("--momentum", o->momentum, "SGD momentum");
  cmd->add_option("--dampening", o->dampening, "SGD dampening");
  cmd->add_option("--weight-decay", o->weight_decay, "SGD weight decay (L2 penalty)");
  cmd->add_flag("--nesterov", o->nesterov, "Use Nesterov momentum (default: off)");
  cmd->add_option("--limit", o->limit, "Use only the first N training images (0: all)");
  cmd->add_option("--patch", o->patch, "Train on random P x P crops with random flips (0: whole images)");
  cmd->add_option("--seed", o->seed, "Seed of initialisation, data order and noise");
  cmd->add_option("--device", o->device, "cpu or cuda[:N]");
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)");
  cmd->add_option("--conv-algo", o->conv_algo, "CUDA convolutions: custom (our kernels), cublas or cudnn");
  cmd->add_flag("--nondeterministic", o->nondeterministic,
                "CUDA: allow float atomics in weight-gradient reductions (faster, bits vary run to run; default: off)");
  cmd->add_option("--init", o->init, "Start from these weights (safetensors, PyTorch names)")->default_str("none");
  cmd->add_option("--resume", o->resume, "Continue the run saved in this checkpoint")->excludes("--init")
      ->default_str("none");
  cmd->add_flag("--no-shuffle", o->no_shuffle, "Visit the images in file order, batch k = images [kB, (k+1)B) (default: off, shuffled)");
  cmd->add_option("--out", o->out, "Output folder (checkpoint.safetensors, metrics.jsonl, samples.png, report.html, summary.json)")->required();
  cmd->add_option("--log-every", o->log_every, "Write a metrics line every N steps");
  cmd->add_option("--save-every", o->save_every, "Write the checkpoint every N steps (0: only at the end)");
  cmd->add_option("--eval-limit", o->eval_limit, "Evaluate on the first N test images at the end (0: all)");
  cmd->callback([o]() { run_train(*o); });
}

}  // namespace dae::tool
