#include "tools/dae/evaluate.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/autograd.h"
#include "losses/metrics.h"
#include "tools/dae/progress.h"

namespace dae::tool {

std::vector<EvalRow> evaluate(DenoisingAutoencoder& model, const ImageDataset& data, const NoiseMix& noise,
                              std::uint64_t seed, Device device, const PerceptualLoss* perceptual, bool show_progress) {
  autograd::NoGradGuard no_grad;
  constexpr std::int64_t kBatch = 128;
  const std::int64_t per_image = data.image_elements();
  const int c = data.channels(), h = data.height(), w = data.width();
  std::vector<EvalRow> rows;
  for (const NoiseSpec& spec : noise.specs) {
    spec.check_fits(h, w);
    EvalRow row;
    row.noise = spec.text;
    double se_noisy = 0, se_denoised = 0, perc_noisy = 0, perc_denoised = 0;
    Progress progress("eval " + spec.text, data.size());
    for (std::int64_t begin = 0, b = 0; begin < data.size(); begin += kBatch, ++b) {
      const std::int64_t end = std::min(data.size(), begin + kBatch);
      const Tensor clean = load_images(data, begin, end).to(device);
      const Corruption corrupted = corrupt(clean, spec, seed, std::uint64_t(b));
      const Tensor out = model(corrupted.noisy);
      const std::vector<float> x = clean.to_vector(), y = corrupted.noisy.to_vector(), z = out.to_vector();
      for (std::int64_t i = 0; i < end - begin; ++i) {
        const float* xi = x.data() + i * per_image;
        const float* yi = y.data() + i * per_image;
        const float* zi = z.data() + i * per_image;
        for (std::int64_t k = 0; k < per_image; ++k) {
          se_noisy += double(yi[k] - xi[k]) * double(yi[k] - xi[k]);
          se_denoised += double(zi[k] - xi[k]) * double(zi[k] - xi[k]);
        }
        // A perfect image has infinite PSNR; cap at 100 dB so means stay finite.
        row.psnr_noisy += std::min(100.0, psnr(xi, yi, per_image));
        row.psnr_denoised += std::min(100.0, psnr(xi, zi, per_image));
        row.ssim_noisy += ssim(xi, yi, c, h, w);
        row.ssim_denoised += ssim(xi, zi, c, h, w);
      }
      if (perceptual != nullptr) {
        // The perceptual loss is a batch mean: weigh it by the batch size.
        perc_noisy += double((*perceptual)(corrupted.noisy, clean).total.item()) * double(end - begin);
        perc_denoised += double((*perceptual)(out, clean).total.item()) * double(end - begin);
      }
      row.images += end - begin;
      if (show_progress) progress.update(row.images, "", false);
    }
    if (show_progress) progress.finish();
    const double n = double(row.images);
    row.mse_noisy = se_noisy / (n * double(per_image));
    row.mse_denoised = se_denoised / (n * double(per_image));
    row.psnr_noisy /= n;
    row.psnr_denoised /= n;
    row.ssim_noisy /= n;
    row.ssim_denoised /= n;
    if (perceptual != nullptr) {
      row.perc_noisy = perc_noisy / n;
      row.perc_denoised = perc_denoised / n;
    }
    rows.push_back(row);
  }
  return rows;
}

std::string format_eval_table(const std::vector<EvalRow>& rows) {
  const bool perc = !rows.empty() && !std::isnan(rows[0].perc_noisy);
  std::size_t width = 5;
  for (const EvalRow& r : rows) width = std::max(width, r.noise.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s %7s %12s %14s %11s %13s%s\n", int(width), "noise", "images", "psnr noisy",
                "psnr denoised", "ssim noisy", "ssim denoised", perc ? "   perc noisy perc denoised" : "");
  out += line;
  for (const EvalRow& r : rows) {
    std::snprintf(line, sizeof line, "%-*s %7lld %12.3f %14.3f %11.4f %13.4f", int(width), r.noise.c_str(),
                  (long long)r.images, r.psnr_noisy, r.psnr_denoised, r.ssim_noisy, r.ssim_denoised);
    out += line;
    if (perc) {
      std::snprintf(line, sizeof line, " %12.5g %13.5g", r.perc_noisy, r.perc_denoised);
      out += line;
    }
    out += "\n";
  }
  return out;
}

std::string eval_json(const std::vector<EvalRow>& rows, const std::string& data_description) {
  nlohmann::json j;
  j["data"] = data_description;
  j["rows"] = nlohmann::json::array();
  for (const EvalRow& r : rows) {
    nlohmann::json e{{"noise", r.noise},           {"images", r.images},           {"mse_noisy", r.mse_noisy},
                     {"mse_denoised", r.mse_denoised}, {"psnr_noisy", r.psnr_noisy}, {"psnr_denoised", r.psnr_denoised},
                     {"ssim_noisy", r.ssim_noisy}, {"ssim_denoised", r.ssim_denoised}};
    if (!std::isnan(r.perc_noisy)) {
      e["perceptual_noisy"] = r.perc_noisy;
      e["perceptual_denoised"] = r.perc_denoised;
    }
    j["rows"].push_back(e);
  }
  return j.dump(2) + "\n";
}

}  // namespace dae::tool
