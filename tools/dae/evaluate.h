// Evaluation of a denoiser on a data set: for each noise spec, the mean PSNR
// and SSIM (losses/metrics.h) of the noisy input and of the denoised output
// against the clean image, and optionally the perceptual distance. The noise
// of batch b is keyed by (seed, b), so repeated evaluations see the same images.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/datasets.h"
#include "losses/perceptual.h"
#include "models/dae.h"
#include "noise/noise.h"

namespace dae::tool {

struct EvalRow {
  std::string noise;  // the spec
  std::int64_t images = 0;
  double mse_noisy = 0, mse_denoised = 0;    // over all elements
  double psnr_noisy = 0, psnr_denoised = 0;  // mean over images
  double ssim_noisy = 0, ssim_denoised = 0;  // mean over images
  double perc_noisy = NAN, perc_denoised = NAN;  // mean perceptual distance (with a VGG)
};

// One row per spec of `noise` (a mixture is evaluated spec by spec).
std::vector<EvalRow> evaluate(DenoisingAutoencoder& model, const ImageDataset& data, const NoiseMix& noise,
                              std::uint64_t seed, Device device, const PerceptualLoss* perceptual = nullptr,
                              bool show_progress = false);

// The rows as an aligned text table and as JSON.
std::string format_eval_table(const std::vector<EvalRow>& rows);
std::string eval_json(const std::vector<EvalRow>& rows, const std::string& data_description);

}  // namespace dae::tool
