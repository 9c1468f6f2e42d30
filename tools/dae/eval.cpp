// dae eval: PSNR and SSIM (and, with --vgg, the perceptual distance) of the
// noisy input and of the denoised output against the clean images of a data
// set, one row per noise spec; printed as a table, written as JSON with --json.
#include <cstdio>

#include "engine/atomic_file.h"
#include "engine/context.h"
#include "engine/errors.h"
#include "tools/dae/checkpoint.h"
#include "tools/dae/commands.h"
#include "tools/dae/evaluate.h"

namespace dae::tool {

namespace {

struct EvalOptions {
  std::string checkpoint;
  std::string data = "fashion-mnist";
  std::string split = "test";
  std::string noise = "gaussian:sigma=0.3";
  std::int64_t limit = 0;
  int patch = 0;
  std::uint64_t seed = 1;
  std::string json;
  std::string device = "cpu";
  int threads = 0;
  std::string vgg;
  std::string layers = "relu1_2,relu2_2,relu3_3";
  std::string layer_weights = "1,1,1";
};

void run_eval(const EvalOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  const Device device = Device::parse(o.device);
  DAE_CHECK(o.split == "test" || o.split == "train", ArgumentError, "--split must be test or train (got '", o.split, "')");
  const NoiseMix noise = parse_noise(o.noise);
  std::unique_ptr<DenoisingAutoencoder> model = load_model(o.checkpoint);
  model->to(device);
  const auto data = open_dataset(DataOptions{o.data, model->config().in_channels, o.limit, o.patch},
                                 o.split == "test" ? Split::kTest : Split::kTrain);
  std::shared_ptr<PerceptualLoss> perceptual;
  if (!o.vgg.empty()) {
    perceptual = make_perceptual_loss(o.vgg, o.layers, o.layer_weights, false);
    perceptual->to(device);
  }
  const std::vector<EvalRow> rows = evaluate(*model, *data, noise, o.seed, device, perceptual.get(), true);
  std::printf("%s on %s\n%s", o.checkpoint.c_str(), data->describe().c_str(), format_eval_table(rows).c_str());
  if (!o.json.empty()) write_file_atomic(o.json, eval_json(rows, data->describe()));
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "PSNR and SSIM of noisy and denoised images over a data set");
  cmd->add_option("--checkpoint", o->checkpoint, "Model to evaluate (checkpoint or weights, safetensors)")->required();
  cmd->add_option("--data", o->data, "Data: fashion-mnist, mnist, synthetic or a folder");
  cmd->add_option("--split", o->split, "test or train (IDX and synthetic data)");
  cmd->add_option("--noise", o->noise, "Noise spec; several separated by '|' give one row each");
  cmd->add_option("--limit", o->limit, "Use only the first N images (0: all)");
  cmd->add_option("--patch", o->patch, "Evaluate the centre P x P crop of each image (0: whole images)");
  cmd->add_option("--seed", o->seed, "Seed of the evaluation noise");
  cmd->add_option("--json", o->json, "Also write the table as JSON to this file")->default_str("none");
  cmd->add_option("--device", o->device, "cpu or cuda[:N]");
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)");
  cmd->add_option("--vgg", o->vgg, "VGG weights: also report the perceptual distance")->default_str("none");
  cmd->add_option("--layers", o->layers, "VGG layers of the perceptual distance");
  cmd->add_option("--layer-weights", o->layer_weights, "Weight of each layer");
  cmd->callback([o]() { run_eval(*o); });
}

}  // namespace dae::tool
