// Perceptual-loss kernels on CUDA (twins of kernels/cpu/perceptual.cpp).
//
// feature_distance is the fused reduction of the loss: one pass reads both
// feature maps once, writes the gradient and leaves one partial sum per block;
// a second one-block kernel adds the partials in a fixed order. The grid size
// depends only on the element count, so the value has the same bits run to run.
#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch_config.h"
#include "kernels/cuda/perceptual.h"

namespace dae::kernels::cuda {

namespace {

constexpr int kBlock = 256;
constexpr int kMaxPartials = 512;  // blocks of the first pass (a power of two is not required)

__global__ void channel_map_forward_kernel(ChannelMapParams p, const float* x, float* y) {
  const std::int64_t n = std::int64_t(p.batch) * p.out_channels * p.pixels;
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t pixel = i % p.pixels;
    const std::int64_t plane = i / p.pixels;  // n * out_channels + c
    const int c = int(plane % p.out_channels);
    const std::int64_t image = plane / p.out_channels;
    y[i] = x[(image * p.in_channels + p.src[c]) * p.pixels + pixel] * p.scale[c] + p.shift[c];
  }
}

__global__ void channel_map_backward_kernel(ChannelMapParams p, const float* grad_y, float* grad_x) {
  const std::int64_t n = std::int64_t(p.batch) * p.in_channels * p.pixels;
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t pixel = i % p.pixels;
    const std::int64_t plane = i / p.pixels;  // n * in_channels + k
    const int k = int(plane % p.in_channels);
    const std::int64_t image = plane / p.in_channels;
    // Output channels in order, as the CPU kernel sums them.
    float sum = 0.0f;
    bool written = false;
    for (int c = 0; c < p.out_channels; ++c) {
      if (p.src[c] != k) continue;
      const float term = grad_y[(image * p.out_channels + c) * p.pixels + pixel] * p.scale[c];
      sum = written ? sum + term : term;
      written = true;
    }
    grad_x[i] = sum;
  }
}

// Pass 1: each block sums w (a - b)^2 over its grid-stride share and writes
// the gradient; the block's threads then combine their sums in a shared-memory
// tree into partial[blockIdx.x].
__global__ void feature_distance_kernel(FeatureDistanceShape s, const float* a, const float* b, const float* weight_map,
                                        float two_scale, float* grad_a, float* partial) {
  DAE_SHARED_ARRAY(float, sums, kBlock);
  const std::int64_t n = s.size();
  const std::int64_t image = std::int64_t(s.channels) * s.pixels;
  float acc = 0.0f;
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    const float w = weight_map == nullptr ? 1.0f : weight_map[(i / image) * s.pixels + i % s.pixels];
    const float d = a[i] - b[i];
    if (grad_a != nullptr) grad_a[i] = two_scale * w * d;
    acc += w * d * d;
  }
  sums[threadIdx.x] = acc;
  __syncthreads();  // every thread's sum is in shared memory before the tree reads it
  for (int stride = kBlock / 2; stride > 0; stride /= 2) {
    if (int(threadIdx.x) < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];
    __syncthreads();  // this level is complete before the next one reads it
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = sums[0];
}

// Pass 2: one block adds the partials in a fixed order and scales the total.
__global__ void sum_partials_kernel(const float* partial, int count, float scale, float* value) {
  DAE_SHARED_ARRAY(float, sums, kBlock);
  float acc = 0.0f;
  for (int i = int(threadIdx.x); i < count; i += kBlock) acc += partial[i];
  sums[threadIdx.x] = acc;
  __syncthreads();  // all per-thread sums are visible to the tree
  for (int stride = kBlock / 2; stride > 0; stride /= 2) {
    if (int(threadIdx.x) < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];
    __syncthreads();  // finish a level before the next one reads it
  }
  if (threadIdx.x == 0) value[0] = scale * sums[0];
}

__global__ void mask_weight_map_kernel(MaskPoolShape s, const float* mask, float alpha, float beta, float* out) {
  const int oh = s.out_height(), ow = s.out_width();
  const std::int64_t outputs = std::int64_t(s.batch) * oh * ow;
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  const float inv = 1.0f / float(s.channels * s.factor * s.factor);
  for (std::int64_t o = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < outputs;
       o += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t n = o / (std::int64_t(oh) * ow);
    const int oy = int((o / ow) % oh), ox = int(o % ow);
    float sum = 0.0f;  // the CPU kernel's order: channels, then rows, then columns
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

}  // namespace

void channel_map_forward(const Exec& ex, const ChannelMapParams& p, const float* x, float* y) {
  const std::int64_t n = std::int64_t(p.batch) * p.out_channels * p.pixels;
  if (n <= 0) return;
  DAE_LAUNCH(channel_map_forward_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, p, x, y);
}

void channel_map_backward(const Exec& ex, const ChannelMapParams& p, const float* grad_y, float* grad_x) {
  const std::int64_t n = std::int64_t(p.batch) * p.in_channels * p.pixels;
  if (n <= 0) return;
  DAE_LAUNCH(channel_map_backward_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, p, grad_y, grad_x);
}

void feature_distance(const Exec& ex, const FeatureDistanceShape& s, const float* a, const float* b,
                      const float* weight_map, float scale, float* value, float* grad_a) {
  const std::int64_t n = s.size();
  const int blocks = int(std::clamp<std::int64_t>((n + 4 * kBlock - 1) / (4 * kBlock), 1, kMaxPartials));
  ScratchBuffer partial(ex, sizeof(float) * std::size_t(blocks));
  DAE_LAUNCH(feature_distance_kernel, blocks, kBlock, 0, ex.stream, s, a, b, weight_map, 2.0f * scale, grad_a,
             partial.as<float>());
  DAE_LAUNCH(sum_partials_kernel, 1, kBlock, 0, ex.stream, partial.as<float>(), blocks, scale, value);
}

void mask_weight_map(const Exec& ex, const MaskPoolShape& s, const float* mask, float alpha, float beta, float* out) {
  const std::int64_t n = std::int64_t(s.batch) * s.out_height() * s.out_width();
  if (n <= 0) return;
  DAE_LAUNCH(mask_weight_map_kernel, elementwise_grid(n), kElementwiseBlock, 0, ex.stream, s, mask, alpha, beta, out);
}

}  // namespace dae::kernels::cuda
