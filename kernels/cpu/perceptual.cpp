#include "kernels/cpu/perceptual.h"

#include "kernels/cpu/chunked_sum.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

void channel_map_forward(const Exec& ex, const ChannelMapParams& p, const float* x, float* y) {
  const std::int64_t planes = std::int64_t(p.batch) * p.out_channels;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, planes * p.pixels))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t n = plane / p.out_channels;
    const int c = int(plane % p.out_channels);
    const float* src = x + (n * p.in_channels + p.src[c]) * p.pixels;
    float* dst = y + plane * p.pixels;
    const float scale = p.scale[c], shift = p.shift[c];
    for (std::int64_t i = 0; i < p.pixels; ++i) dst[i] = src[i] * scale + shift;
  }
}

void channel_map_backward(const Exec& ex, const ChannelMapParams& p, const float* grad_y, float* grad_x) {
  const std::int64_t planes = std::int64_t(p.batch) * p.in_channels;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, planes * p.pixels))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t n = plane / p.in_channels;
    const int k = int(plane % p.in_channels);
    float* dst = grad_x + plane * p.pixels;
    bool written = false;
    // Output channels in order, so the sum has the same order on every device.
    for (int c = 0; c < p.out_channels; ++c) {
      if (p.src[c] != k) continue;
      const float* g = grad_y + (n * p.out_channels + c) * p.pixels;
      const float scale = p.scale[c];
      if (!written) {
        for (std::int64_t i = 0; i < p.pixels; ++i) dst[i] = g[i] * scale;
        written = true;
      } else {
        for (std::int64_t i = 0; i < p.pixels; ++i) dst[i] += g[i] * scale;
      }
    }
    if (!written) {
      for (std::int64_t i = 0; i < p.pixels; ++i) dst[i] = 0.0f;
    }
  }
}

namespace {
// The unweighted case of feature_distance over [begin, end) with the gradient
// written: the terms of the general path (w = 1 makes 2 scale * w * d equal
// 2 scale * d and w * d * d equal d * d, exactly) in sum_range's lanes and
// order, in a shape the compiler vectorizes: the same bits, several times faster.
double unweighted_distance_range(const float* a, const float* b, float two_scale, float* grad, std::int64_t begin,
                                 std::int64_t end) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    float d[8];
    for (int l = 0; l < 8; ++l) d[l] = a[i + l] - b[i + l];
    for (int l = 0; l < 8; ++l) grad[i + l] = two_scale * d[l];
    for (int l = 0; l < 8; ++l) lane[l] += double(d[l]) * double(d[l]);
  }
  for (int l = 0; i < end; ++i, ++l) {
    const float d = a[i] - b[i];
    grad[i] = two_scale * d;
    lane[l] += double(d) * double(d);
  }
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}
}  // namespace

void feature_distance(const Exec& ex, const FeatureDistanceShape& s, const float* a, const float* b,
                      const float* weight_map, float scale, float* value, float* grad_a) {
  const std::int64_t n = s.size();
  const std::int64_t image = std::int64_t(s.channels) * s.pixels;
  const float two_scale = 2.0f * scale;
  if (weight_map == nullptr && grad_a != nullptr) {
    const double total = chunked_range_sum(ex, n, [=](std::int64_t begin, std::int64_t end) {
      return unweighted_distance_range(a, b, two_scale, grad_a, begin, end);
    });
    value[0] = float(double(scale) * total);
    return;
  }
  const double total = chunked_sum(ex, n, [=](std::int64_t i) {
    const float w = weight_map == nullptr ? 1.0f : weight_map[(i / image) * s.pixels + i % s.pixels];
    const float d = a[i] - b[i];
    if (grad_a != nullptr) grad_a[i] = two_scale * w * d;
    return double(w) * double(d) * double(d);
  });
  value[0] = float(double(scale) * total);
}

void mask_weight_map(const Exec& ex, const MaskPoolShape& s, const float* mask, float alpha, float beta, float* out) {
  const int oh = s.out_height(), ow = s.out_width();
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  const float inv = 1.0f / float(s.channels * s.factor * s.factor);
  const std::int64_t outputs = std::int64_t(s.batch) * oh * ow;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, outputs * s.factor * s.factor))
  for (std::int64_t o = 0; o < outputs; ++o) {
    const std::int64_t n = o / (std::int64_t(oh) * ow);
    const int oy = int((o / ow) % oh), ox = int(o % ow);
    float sum = 0.0f;
    for (int c = 0; c < s.channels; ++c) {
      const float* m = mask + (n * s.channels + c) * plane;
      for (int dy = 0; dy < s.factor; ++dy) {
        for (int dx = 0; dx < s.factor; ++dx) sum += m[(oy * s.factor + dy) * s.width + ox * s.factor + dx];
      }
    }
    const float mean = sum * inv;
    out[o] = alpha * mean + beta * (1.0f - mean);
  }
}

}  // namespace dae::kernels::cpu
