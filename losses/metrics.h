// Image-quality metrics of evaluation (docs/metrics.md).
//
// PSNR = 10 log10(1 / MSE) on values in [0, 1] (peak 1), as scikit-image's
// peak_signal_noise_ratio(data_range=1); infinite for identical images.
//
// SSIM (Wang et al. 2004) as scikit-image's structural_similarity with
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1:
// local means, variances and covariance under an 11x11 Gaussian window
// (sigma 1.5, radius 5, normalised to sum 1), C1 = 0.01^2, C2 = 0.03^2,
//   S = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
// averaged over the pixels at least 5 from the border (the region where the
// window stays inside the image; scikit-image crops the same band), then over
// channels. Computed in double. Images must be at least 11x11.
#pragma once

#include <cstdint>

namespace dae {

// a, b: n values in [0, 1].
double psnr(const float* a, const float* b, std::int64_t n);
// a, b: [channels, height, width].
double ssim(const float* a, const float* b, int channels, int height, int width);

}  // namespace dae
