// The convolution shapes the CPU benchmarks time, shared by dae_bench_conv
// (bench/cpu_conv_bench.cpp); bench/torch_conv_bench.py lists the same shapes
// with the same names, so the two outputs line up row by row.
//
//   mnist  the dae-mnist autoencoder of workload W1 (batch 128, 1x28x28)
//   rgb    the dae-rgb autoencoder of workload W2 (batch 8, 3x64x64)
//   vgg    VGG16 up to relu3_3 on a 64x64 image, batch 8 (the perceptual loss
//          of W2; conv3_3 has conv3_2's shape and is not repeated)
#pragma once

#include <vector>

#include "kernels/common/shapes.h"

namespace dae::bench {

struct ConvCase {
  const char* set;    // mnist, rgb, vgg
  const char* layer;  // the layer's name in the model (encoder.0, features.2, ...)
  bool transposed;    // ConvTranspose2d
  int batch, in_channels, out_channels, height, width, kernel, stride, padding;

  kernels::Conv2dShape conv() const {
    kernels::Conv2dShape s;
    s.batch = batch;
    s.in_channels = in_channels;
    s.out_channels = out_channels;
    s.in_height = height;
    s.in_width = width;
    s.kernel_h = s.kernel_w = kernel;
    s.stride = stride;
    s.padding = padding;
    s.out_height = (height + 2 * padding - kernel) / stride + 1;
    s.out_width = (width + 2 * padding - kernel) / stride + 1;
    return s;
  }
  kernels::ConvTranspose2dShape transposed_shape() const {
    kernels::ConvTranspose2dShape s;
    s.batch = batch;
    s.in_channels = in_channels;
    s.out_channels = out_channels;
    s.in_height = height;
    s.in_width = width;
    s.kernel_h = s.kernel_w = kernel;
    s.stride = stride;
    s.padding = padding;
    s.out_height = (height - 1) * stride - 2 * padding + kernel;
    s.out_width = (width - 1) * stride - 2 * padding + kernel;
    return s;
  }
  double flops() const { return transposed ? transposed_shape().flops() : conv().flops(); }
};

inline const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      // W1: dae-mnist, batch 128
      {"mnist", "encoder.0", false, 128, 1, 32, 28, 28, 3, 1, 1},
      {"mnist", "encoder.2", false, 128, 32, 64, 28, 28, 3, 2, 1},
      {"mnist", "encoder.4", false, 128, 64, 64, 14, 14, 3, 2, 1},
      {"mnist", "decoder.0", true, 128, 64, 64, 7, 7, 4, 2, 1},
      {"mnist", "decoder.2", true, 128, 64, 32, 14, 14, 4, 2, 1},
      {"mnist", "decoder.4", false, 128, 32, 1, 28, 28, 3, 1, 1},
      // W2: dae-rgb, batch 8
      {"rgb", "encoder.0", false, 8, 3, 64, 64, 64, 3, 1, 1},
      {"rgb", "encoder.2", false, 8, 64, 128, 64, 64, 3, 2, 1},
      {"rgb", "encoder.4", false, 8, 128, 128, 32, 32, 3, 2, 1},
      {"rgb", "decoder.0", true, 8, 128, 128, 16, 16, 4, 2, 1},
      {"rgb", "decoder.2", true, 8, 128, 64, 32, 32, 4, 2, 1},
      {"rgb", "decoder.4", false, 8, 64, 3, 64, 64, 3, 1, 1},
      // W2: VGG16 to relu3_3 at 64x64, batch 8
      {"vgg", "features.0", false, 8, 3, 64, 64, 64, 3, 1, 1},
      {"vgg", "features.2", false, 8, 64, 64, 64, 64, 3, 1, 1},
      {"vgg", "features.5", false, 8, 64, 128, 32, 32, 3, 1, 1},
      {"vgg", "features.7", false, 8, 128, 128, 32, 32, 3, 1, 1},
      {"vgg", "features.10", false, 8, 128, 256, 16, 16, 3, 1, 1},
      {"vgg", "features.12", false, 8, 256, 256, 16, 16, 3, 1, 1},
  };
  return cases;
}

}  // namespace dae::bench
