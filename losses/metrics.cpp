#include "losses/metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/errors.h"

namespace dae {

double psnr(const float* a, const float* b, std::int64_t n) {
  DAE_CHECK(n > 0, ArgumentError, "psnr of empty images");
  double se = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = double(a[i]) - double(b[i]);
    se += d * d;
  }
  const double mse = se / double(n);
  return mse == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

namespace {

constexpr int kRadius = 5;  // int(3.5 * 1.5 + 0.5): scikit-image's truncate = 3.5
constexpr double kSigma = 1.5;

std::vector<double> gaussian_window() {
  std::vector<double> w(2 * kRadius + 1);
  double sum = 0;
  for (int i = -kRadius; i <= kRadius; ++i) sum += w[std::size_t(i + kRadius)] = std::exp(-0.5 * i * i / (kSigma * kSigma));
  for (double& v : w) v /= sum;
  return w;
}

// Separable Gaussian filter of one plane, evaluated only where the whole
// window fits (rows and columns [r, size - r)); the rest stays 0.
void filter_valid(const std::vector<double>& in, int h, int w, const std::vector<double>& g, std::vector<double>& out) {
  std::vector<double> rows(in.size(), 0.0);
  for (int y = 0; y < h; ++y) {
    for (int x = kRadius; x < w - kRadius; ++x) {
      double s = 0;
      for (int k = -kRadius; k <= kRadius; ++k) s += g[std::size_t(k + kRadius)] * in[std::size_t(y * w + x + k)];
      rows[std::size_t(y * w + x)] = s;
    }
  }
  out.assign(in.size(), 0.0);
  for (int y = kRadius; y < h - kRadius; ++y) {
    for (int x = kRadius; x < w - kRadius; ++x) {
      double s = 0;
      for (int k = -kRadius; k <= kRadius; ++k) s += g[std::size_t(k + kRadius)] * rows[std::size_t((y + k) * w + x)];
      out[std::size_t(y * w + x)] = s;
    }
  }
}

}  // namespace

double ssim(const float* a, const float* b, int channels, int height, int width) {
  DAE_CHECK(height >= 2 * kRadius + 1 && width >= 2 * kRadius + 1, ArgumentError, "ssim needs images of at least ",
            2 * kRadius + 1, "x", 2 * kRadius + 1, " pixels (got ", height, "x", width, ")");
  const std::vector<double> g = gaussian_window();
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const std::size_t plane = std::size_t(height) * width;
  std::vector<double> x(plane), y(plane), xx(plane), yy(plane), xy(plane);
  std::vector<double> mx, my, mxx, myy, mxy;
  double total = 0;
  for (int c = 0; c < channels; ++c) {
    for (std::size_t i = 0; i < plane; ++i) {
      x[i] = a[c * plane + i];
      y[i] = b[c * plane + i];
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    filter_valid(x, height, width, g, mx);
    filter_valid(y, height, width, g, my);
    filter_valid(xx, height, width, g, mxx);
    filter_valid(yy, height, width, g, myy);
    filter_valid(xy, height, width, g, mxy);
    double sum = 0;
    for (int r = kRadius; r < height - kRadius; ++r) {
      for (int q = kRadius; q < width - kRadius; ++q) {
        const std::size_t i = std::size_t(r) * width + q;
        const double vx = mxx[i] - mx[i] * mx[i], vy = myy[i] - my[i] * my[i], vxy = mxy[i] - mx[i] * my[i];
        sum += ((2 * mx[i] * my[i] + c1) * (2 * vxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
      }
    }
    total += sum / double((height - 2 * kRadius) * (width - 2 * kRadius));
  }
  return total / channels;
}

}  // namespace dae
