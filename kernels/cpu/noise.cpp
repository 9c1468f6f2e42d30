// Compiled with -ffp-contract=off (see kernels/CMakeLists.txt) so the shared
// exact-math bodies give the same bits as the CUDA kernels.
#include "kernels/cpu/noise.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

namespace {

void gaussian(const Exec& ex, const NoiseParams& p, std::int64_t n, const float* x, float* y, float* mask) {
  const std::int64_t groups = (n + 3) / 4;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n, 1 << 14))
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t e = g * 4;
    gaussian_group(p, g, int(std::min<std::int64_t>(4, n - e)), x + e, y + e, mask + e);
  }
}

template <typename Element>
void per_element(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y,
                 float* mask, Element element) {
  const std::int64_t n = s.numel();
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n, 1 << 14))
  for (std::int64_t e = 0; e < n; ++e) y[e] = element(p, noise_draw_unit(s, p, e), x[e], mask + e);
}

void block(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask) {
  const int count = p.block_count;
  std::vector<int> corners(std::size_t(s.batch) * count * 2);
  for (int n = 0; n < s.batch; ++n) {
    for (int j = 0; j < count; ++j) {
      block_position(p, s, n, j, &corners[(std::size_t(n) * count + j) * 2], &corners[(std::size_t(n) * count + j) * 2 + 1]);
    }
  }
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  // A pixel mask per image first (blocks may overlap), then every channel copies it.
  std::vector<std::uint8_t> pixel_mask(std::size_t(s.batch) * plane, 0);
  for (int n = 0; n < s.batch; ++n) {
    std::uint8_t* pm = pixel_mask.data() + n * plane;
    for (int j = 0; j < count; ++j) {
      const int top = corners[(std::size_t(n) * count + j) * 2], left = corners[(std::size_t(n) * count + j) * 2 + 1];
      for (int yy = top; yy < top + p.block_h; ++yy) std::fill(pm + yy * s.width + left, pm + yy * s.width + left + p.block_w, 1);
    }
  }
  const std::int64_t planes = std::int64_t(s.batch) * s.channels;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, s.numel(), 1 << 14))
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const std::uint8_t* pm = pixel_mask.data() + (pl / s.channels) * plane;
    const float* xp = x + pl * plane;
    float* yp = y + pl * plane;
    float* mp = mask + pl * plane;
    for (std::int64_t i = 0; i < plane; ++i) {
      mp[i] = pm[i] ? 1.0f : 0.0f;
      yp[i] = pm[i] ? 0.0f : xp[i];
    }
  }
}

}  // namespace

void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask) {
  const std::int64_t n = s.numel();
  switch (p.kind) {
    case NoiseKind::kNone:
      std::copy(x, x + n, y);
      std::fill(mask, mask + n, 0.0f);
      return;
    case NoiseKind::kGaussian:
      gaussian(ex, p, n, x, y, mask);
      return;
    case NoiseKind::kSaltPepper:
      per_element(ex, p, s, x, y, mask, saltpepper_element);
      return;
    case NoiseKind::kMask:
      per_element(ex, p, s, x, y, mask, mask_element);
      return;
    case NoiseKind::kBlock:
      block(ex, p, s, x, y, mask);
      return;
  }
}

}  // namespace dae::kernels::cpu
