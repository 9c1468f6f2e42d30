// dae denoise: run a trained denoiser on one image or on every image of a
// folder. Images whose height and width are multiples of 4 go through as
// they are; other sizes are padded on the bottom and right by repeating the
// edge pixels up to the next multiple of 4, denoised, and cropped back, so
// the output always has the input's size. The image is converted to the
// model's channel count first (gray <-> RGB). With --noise the clean input is
// corrupted first (and the noisy image can be kept with --noisy-output).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/errors.h"
#include "engine/image_io.h"
#include "noise/noise.h"
#include "tools/dae/checkpoint.h"
#include "tools/dae/commands.h"

namespace dae::tool {

namespace {

namespace fs = std::filesystem;

struct DenoiseOptions {
  std::string checkpoint, input, output;
  std::string noise;
  std::uint64_t seed = 0;
  std::string noisy_output;
  std::string device = "cpu";
  int threads = 0;
};

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" || ext == ".ppm" ||
         ext == ".tga";
}

// Pads [1, C, H, W] on the bottom and right to multiples of 4 by repeating the edge.
Tensor pad_to_multiple_of_4(const Image& image) {
  const int h = (image.height + 3) / 4 * 4, w = (image.width + 3) / 4 * 4;
  std::vector<float> padded(std::size_t(image.channels) * h * w);
  for (int c = 0; c < image.channels; ++c) {
    for (int y = 0; y < h; ++y) {
      const int sy = std::min(y, image.height - 1);
      for (int x = 0; x < w; ++x) {
        const int sx = std::min(x, image.width - 1);
        padded[(std::size_t(c) * h + y) * w + x] = image.pixels[(std::size_t(c) * image.height + sy) * image.width + sx];
      }
    }
  }
  return Tensor::from_vector(Shape{1, image.channels, h, w}, padded);
}

// The top-left height x width crop of a [1, C, H, W] tensor, as a CHW vector.
std::vector<float> crop(const Tensor& t, int height, int width) {
  const Tensor host = t.to(Device::cpu());
  const int c = int(host.size(1)), h = int(host.size(2)), w = int(host.size(3));
  std::vector<float> out(std::size_t(c) * height * width);
  for (int k = 0; k < c; ++k) {
    for (int y = 0; y < height; ++y) {
      std::copy_n(host.data() + (std::size_t(k) * h + y) * w, width, out.data() + (std::size_t(k) * height + y) * width);
    }
  }
  return out;
}

void denoise_one(DenoisingAutoencoder& model, const DenoiseOptions& o, const NoiseMix* noise, Device device,
                 const std::string& in, const std::string& out, const std::string& noisy_out, std::uint64_t index) {
  const Image image = load_image(in, model.config().in_channels);
  Tensor x = pad_to_multiple_of_4(image).to(device);
  if (noise != nullptr) {
    noise->check_fits(image.height, image.width);
    // Corrupt the image itself, then pad: the padding repeats the noisy edge.
    Image clean = image;
    const Corruption c = corrupt(image_to_tensor(clean), *noise, o.seed, index);
    Image noisy = image;
    noisy.pixels = c.noisy.to_vector();
    if (!noisy_out.empty()) save_png(noisy_out, noisy.pixels.data(), image.channels, image.height, image.width);
    x = pad_to_multiple_of_4(noisy).to(device);
  }
  autograd::NoGradGuard no_grad;
  const Tensor y = model(x);
  const std::vector<float> result = crop(y, image.height, image.width);
  save_png(out, result.data(), image.channels, image.height, image.width);
  std::printf("%s (%dx%dx%d) -> %s\n", in.c_str(), image.channels, image.height, image.width, out.c_str());
}

void run_denoise(const DenoiseOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  const Device device = Device::parse(o.device);
  std::unique_ptr<NoiseMix> noise;
  if (!o.noise.empty()) noise = std::make_unique<NoiseMix>(parse_noise(o.noise));
  std::unique_ptr<DenoisingAutoencoder> model = load_model(o.checkpoint);
  model->to(device);
  DAE_CHECK(fs::exists(o.input), FileError, "--input '", o.input, "' does not exist");
  if (!fs::is_directory(o.input)) {
    denoise_one(*model, o, noise.get(), device, o.input, o.output, o.noisy_output, 0);
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(o.input)) {
    if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  DAE_CHECK(!files.empty(), FileError, "--input folder '", o.input, "' holds no images (png, jpg, bmp, pgm, ppm, tga)");
  std::error_code ec;
  fs::create_directories(o.output, ec);
  DAE_CHECK(fs::is_directory(o.output), FileError, "--output '", o.output, "' cannot be created as a folder");
  if (!o.noisy_output.empty()) {
    fs::create_directories(o.noisy_output, ec);
    DAE_CHECK(fs::is_directory(o.noisy_output), FileError, "--noisy-output '", o.noisy_output,
              "' cannot be created as a folder");
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string name = files[i].stem().string() + ".png";
    denoise_one(*model, o, noise.get(), device, files[i].string(), (fs::path(o.output) / name).string(),
                o.noisy_output.empty() ? std::string() : (fs::path(o.noisy_output) / name).string(), i);
  }
}

}  // namespace

void add_denoise_command(CLI::App& app) {
  auto o = std::make_shared<DenoiseOptions>();
  CLI::App* cmd = app.add_subcommand("denoise", "Denoise an image or a folder of images with a trained model");
  cmd->add_option("--checkpoint", o->checkpoint, "Trained model (checkpoint or weights, safetensors)")->required();
  cmd->add_option("--input", o->input, "Image or folder of images")->required();
  cmd->add_option("--output", o->output, "Output PNG (or folder, for a folder input)")->required();
  cmd->add_option("--noise", o->noise, "Corrupt the input with this noise spec first (default: denoise as is)")
      ->default_str("none");
  cmd->add_option("--seed", o->seed, "Seed of --noise (image i of a folder uses step i)");
  cmd->add_option("--noisy-output", o->noisy_output, "Also write the corrupted input (PNG or folder)")
      ->default_str("none");
  cmd->add_option("--device", o->device, "cpu or cuda[:N]");
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)");
  cmd->callback([o]() { run_denoise(*o); });
}

}  // namespace dae::tool
