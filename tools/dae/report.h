// The outputs of a training run that people look at: samples.png (rows of
// clean | noisy | denoised test images) and report.html (one self-contained
// page: loss curves as inline SVG, the sample grids, the run configuration,
// and test PSNR/SSIM before and after denoising).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/datasets.h"
#include "models/dae.h"
#include "noise/noise.h"

namespace dae::tool {

// PNG bytes of a grid of the first `count` images of `data`: one row per
// image, columns clean | noisy | denoised. The noise is keyed by (seed, 0),
// as the first evaluation batch.
std::string sample_grid_png(DenoisingAutoencoder& model, const ImageDataset& data, const NoiseSpec& noise,
                            std::uint64_t seed, Device device, int count = 8);

struct ReportInput {
  std::string title;
  nlohmann::json config;                 // the run configuration
  std::vector<nlohmann::json> metrics;   // the metrics.jsonl lines
  nlohmann::json test;                   // summary["test"]: rows of the final evaluation
  std::vector<std::pair<std::string, std::string>> grids;  // (caption, PNG bytes)
  nlohmann::json facts;                  // steps, images/s, time
};

// The HTML page (no scripts, no external files).
std::string render_report(const ReportInput& input);

}  // namespace dae::tool
