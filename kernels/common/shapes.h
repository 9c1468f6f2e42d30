// Shape structs passed to kernels. Plain aggregates with explicit fields so
// that a kernel call reads like its documentation. All tensors are dense,
// row-major, NCHW float arrays unless a kernel says otherwise.
#pragma once

#include <cstdint>

#include "kernels/common/macros.h"

namespace dae::kernels {

// y = conv2d(x, w) + b, groups 1, zero padding, no dilation.
//   x: [batch, in_channels, in_height, in_width]
//   w: [out_channels, in_channels, kernel_h, kernel_w]
//   y: [batch, out_channels, out_height, out_width]
//   out_height = (in_height + 2*padding - kernel_h) / stride + 1 (likewise width)
struct Conv2dShape {
  int batch = 0;
  int in_channels = 0;
  int out_channels = 0;
  int in_height = 0;
  int in_width = 0;
  int out_height = 0;
  int out_width = 0;
  int kernel_h = 0;
  int kernel_w = 0;
  int stride = 1;
  int padding = 0;

  DAE_HOST_DEVICE std::int64_t input_size() const { return std::int64_t(batch) * in_channels * in_height * in_width; }
  DAE_HOST_DEVICE std::int64_t output_size() const { return std::int64_t(batch) * out_channels * out_height * out_width; }
  DAE_HOST_DEVICE std::int64_t weight_size() const { return std::int64_t(out_channels) * in_channels * kernel_h * kernel_w; }
  // Multiply-adds of the forward pass; each backward pass costs the same.
  DAE_HOST_DEVICE double flops() const { return 2.0 * output_size() * in_channels * kernel_h * kernel_w; }
};

// y = conv_transpose2d(x, w) + b (the adjoint of conv2d), groups 1.
//   x: [batch, in_channels, in_height, in_width]
//   w: [in_channels, out_channels, kernel_h, kernel_w]   (PyTorch's layout)
//   y: [batch, out_channels, out_height, out_width]
//   out_height = (in_height - 1)*stride - 2*padding + kernel_h + output_padding
struct ConvTranspose2dShape {
  int batch = 0;
  int in_channels = 0;
  int out_channels = 0;
  int in_height = 0;
  int in_width = 0;
  int out_height = 0;
  int out_width = 0;
  int kernel_h = 0;
  int kernel_w = 0;
  int stride = 1;
  int padding = 0;
  int output_padding = 0;

  DAE_HOST_DEVICE std::int64_t input_size() const { return std::int64_t(batch) * in_channels * in_height * in_width; }
  DAE_HOST_DEVICE std::int64_t output_size() const { return std::int64_t(batch) * out_channels * out_height * out_width; }
  DAE_HOST_DEVICE std::int64_t weight_size() const { return std::int64_t(in_channels) * out_channels * kernel_h * kernel_w; }
  DAE_HOST_DEVICE double flops() const { return 2.0 * input_size() * out_channels * kernel_h * kernel_w; }

  // The convolution whose backward-data pass this transposed convolution is:
  // it maps our output (its input) back to our input (its output).
  DAE_HOST_DEVICE Conv2dShape as_conv() const {
    Conv2dShape c;
    c.batch = batch;
    c.in_channels = out_channels;
    c.out_channels = in_channels;
    c.in_height = out_height;
    c.in_width = out_width;
    c.out_height = in_height;
    c.out_width = in_width;
    c.kernel_h = kernel_h;
    c.kernel_w = kernel_w;
    c.stride = stride;
    c.padding = padding;
    return c;
  }
};

// 2-D max pooling, floor mode; padded positions count as -infinity.
//   x: [batch, channels, in_height, in_width] -> y: [batch, channels, out_height, out_width]
struct Pool2dShape {
  int batch = 0;
  int channels = 0;
  int in_height = 0;
  int in_width = 0;
  int out_height = 0;
  int out_width = 0;
  int kernel = 2;
  int stride = 2;
  int padding = 0;

  DAE_HOST_DEVICE std::int64_t input_size() const { return std::int64_t(batch) * channels * in_height * in_width; }
  DAE_HOST_DEVICE std::int64_t output_size() const { return std::int64_t(batch) * channels * out_height * out_width; }
};

// A per-pixel channel map (VGG input normalisation): out channel c reads
// input channel src[c] and applies scale[c] * v + shift[c].
struct ChannelMapParams {
  static constexpr int kMaxChannels = 4;
  int batch = 0;
  int in_channels = 0;
  int out_channels = 0;
  std::int64_t pixels = 0;  // height * width
  int src[kMaxChannels] = {0, 0, 0, 0};
  float scale[kMaxChannels] = {1, 1, 1, 1};
  float shift[kMaxChannels] = {0, 0, 0, 0};
};

// Two feature maps of one VGG layer compared element by element.
struct FeatureDistanceShape {
  int batch = 0;
  int channels = 0;
  std::int64_t pixels = 0;  // height * width of the layer
  DAE_HOST_DEVICE std::int64_t size() const { return std::int64_t(batch) * channels * pixels; }
};

// A corruption mask averaged down to a layer's resolution.
struct MaskPoolShape {
  int batch = 0;
  int channels = 0;
  int height = 0;  // of the mask (the image)
  int width = 0;
  int factor = 1;  // the layer is factor times smaller: out is [batch, height / factor, width / factor]
  DAE_HOST_DEVICE int out_height() const { return height / factor; }
  DAE_HOST_DEVICE int out_width() const { return width / factor; }
};

// torch.optim.SGD's hyper-parameters for one parameter tensor.
struct SgdParams {
  float lr = 0.01f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
  bool first_step = true;  // the momentum buffer is initialised to the gradient on the first step
};

}  // namespace dae::kernels
