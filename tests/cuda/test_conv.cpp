// The implicit-GEMM convolution kernels against the CPU reference on shapes
// the op harness does not reach: 64 -> 64 channels on 32x32, the
// autoencoder's layers, M not a multiple of the tile, strides with phases no
// kernel tap reaches, non-square kernels, padding wider than the kernel.
// Every output starts as NaN, so an element a kernel does not write shows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_transpose2d.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_transpose2d.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

// rtol 1e-4, and an absolute floor scaled to the largest expected value (the
// sums run over up to a few thousand products of either sign).
test::Tolerance conv_tolerance(const std::vector<float>& expected) {
  double largest = 1.0;
  for (float v : expected) largest = std::max(largest, double(std::fabs(v)));
  return test::Tolerance{1e-4, 1e-5 * largest};
}

kernels::Conv2dShape conv_shape(int batch, int cin, int cout, int h, int w, int kh, int kw, int stride, int padding) {
  kernels::Conv2dShape s;
  s.batch = batch;
  s.in_channels = cin;
  s.out_channels = cout;
  s.in_height = h;
  s.in_width = w;
  s.kernel_h = kh;
  s.kernel_w = kw;
  s.stride = stride;
  s.padding = padding;
  s.out_height = (h + 2 * padding - kh) / stride + 1;
  s.out_width = (w + 2 * padding - kw) / stride + 1;
  return s;
}

kernels::ConvTranspose2dShape transpose_shape(int batch, int cin, int cout, int h, int w, int k, int stride,
                                              int padding, int output_padding) {
  kernels::ConvTranspose2dShape s;
  s.batch = batch;
  s.in_channels = cin;
  s.out_channels = cout;
  s.in_height = h;
  s.in_width = w;
  s.kernel_h = s.kernel_w = k;
  s.stride = stride;
  s.padding = padding;
  s.output_padding = output_padding;
  s.out_height = (h - 1) * stride - 2 * padding + k + output_padding;
  s.out_width = (w - 1) * stride - 2 * padding + k + output_padding;
  return s;
}

// Host inputs and the device copies of one case.
struct Data {
  std::vector<float> x, w, bias, gy;
  Tensor dx, dw, dbias, dgy;
  Data(std::int64_t nx, std::int64_t nw, int nbias, std::int64_t ny, std::uint64_t seed)
      : x(random_values(nx, seed)),
        w(random_values(nw, seed + 1, -0.5f, 0.5f)),
        bias(random_values(nbias, seed + 2)),
        gy(random_values(ny, seed + 3)),
        dx(on_gpu(x)),
        dw(on_gpu(w)),
        dbias(on_gpu(bias)),
        dgy(on_gpu(gy)) {}
};

void check_output(const Tensor& got, const std::vector<float>& want, const char* what) {
  const std::vector<float> values = got.to_vector();
  INFO(what);
  CHECK(count_nan(values) == 0);
  CHECK_CLOSE_TO(values, want, conv_tolerance(want), what);
}

void check_conv2d(const kernels::Conv2dShape& s) {
  INFO("conv2d batch " << s.batch << ", " << s.in_channels << " -> " << s.out_channels << ", " << s.in_height << "x"
                       << s.in_width << ", kernel " << s.kernel_h << "x" << s.kernel_w << ", stride " << s.stride
                       << ", padding " << s.padding);
  const Data d(s.input_size(), s.weight_size(), s.out_channels, s.output_size(), 10);
  const kernels::Exec& cpu = cpu_exec();
  const kernels::Exec& ex = gpu_exec();

  std::vector<float> want_y(static_cast<std::size_t>(s.output_size()));
  kernels::cpu::conv2d_forward<float>(cpu, s, d.x.data(), d.w.data(), d.bias.data(), want_y.data());
  const Tensor y = poisoned(Shape{s.output_size()});
  kernels::cuda::conv2d_forward(ex, s, d.dx.data(), d.dw.data(), d.dbias.data(), y.data());
  check_output(y, want_y, "forward");

  std::vector<float> want_gx(static_cast<std::size_t>(s.input_size()));
  kernels::cpu::conv2d_backward_data<float>(cpu, s, d.gy.data(), d.w.data(), want_gx.data());
  const Tensor gx = poisoned(Shape{s.input_size()});
  kernels::cuda::conv2d_backward_data(ex, s, d.dgy.data(), d.dw.data(), gx.data());
  check_output(gx, want_gx, "backward data");

  std::vector<float> want_gw(static_cast<std::size_t>(s.weight_size()));
  std::vector<float> want_gb(static_cast<std::size_t>(s.out_channels));
  kernels::cpu::conv2d_backward_weight<float>(cpu, s, d.x.data(), d.gy.data(), want_gw.data(), want_gb.data());
  const Tensor gw = poisoned(Shape{s.weight_size()}), gb = poisoned(Shape{s.out_channels});
  kernels::cuda::conv2d_backward_weight(ex, s, d.dx.data(), d.dgy.data(), gw.data(), gb.data());
  check_output(gw, want_gw, "backward weight");
  check_output(gb, want_gb, "backward bias");
}

void check_conv_transpose2d(const kernels::ConvTranspose2dShape& s) {
  INFO("conv_transpose2d batch " << s.batch << ", " << s.in_channels << " -> " << s.out_channels << ", "
                                 << s.in_height << "x" << s.in_width << ", kernel " << s.kernel_h << ", stride "
                                 << s.stride << ", padding " << s.padding << ", output_padding " << s.output_padding);
  const Data d(s.input_size(), s.weight_size(), s.out_channels, s.output_size(), 20);
  const kernels::Exec& cpu = cpu_exec();
  const kernels::Exec& ex = gpu_exec();

  std::vector<float> want_y(static_cast<std::size_t>(s.output_size()));
  kernels::cpu::conv_transpose2d_forward<float>(cpu, s, d.x.data(), d.w.data(), d.bias.data(), want_y.data());
  const Tensor y = poisoned(Shape{s.output_size()});
  kernels::cuda::conv_transpose2d_forward(ex, s, d.dx.data(), d.dw.data(), d.dbias.data(), y.data());
  check_output(y, want_y, "forward");

  std::vector<float> want_gx(static_cast<std::size_t>(s.input_size()));
  kernels::cpu::conv_transpose2d_backward_data<float>(cpu, s, d.gy.data(), d.w.data(), want_gx.data());
  const Tensor gx = poisoned(Shape{s.input_size()});
  kernels::cuda::conv_transpose2d_backward_data(ex, s, d.dgy.data(), d.dw.data(), gx.data());
  check_output(gx, want_gx, "backward data");

  std::vector<float> want_gw(static_cast<std::size_t>(s.weight_size()));
  std::vector<float> want_gb(static_cast<std::size_t>(s.out_channels));
  kernels::cpu::conv_transpose2d_backward_weight<float>(cpu, s, d.x.data(), d.gy.data(), want_gw.data(),
                                                        want_gb.data());
  const Tensor gw = poisoned(Shape{s.weight_size()}), gb = poisoned(Shape{s.out_channels});
  kernels::cuda::conv_transpose2d_backward_weight(ex, s, d.dx.data(), d.dgy.data(), gw.data(), gb.data());
  check_output(gw, want_gw, "backward weight");
  check_output(gb, want_gb, "backward bias");
}

TEST_CASE("conv: 64 -> 64 channels, 3x3 on 32x32, batch 2, matches the cpu", "[cuda][conv]") {
  DAE_REQUIRE_CUDA_DEVICE();
  check_conv2d(conv_shape(2, 64, 64, 32, 32, 3, 3, 1, 1));
}

TEST_CASE("conv: the autoencoder's convolutions match the cpu", "[cuda][conv]") {
  DAE_REQUIRE_CUDA_DEVICE();
  check_conv2d(conv_shape(2, 1, 32, 28, 28, 3, 3, 1, 1));   // encoder.0 (dae-mnist)
  check_conv2d(conv_shape(2, 32, 64, 28, 28, 3, 3, 2, 1));  // encoder.2
  check_conv2d(conv_shape(1, 3, 64, 20, 20, 3, 3, 1, 1));   // encoder.0 (dae-rgb), batch 1
  check_conv2d(conv_shape(2, 32, 1, 28, 28, 3, 3, 1, 1));   // decoder.4: one output channel
  check_conv2d(conv_shape(2, 64, 3, 12, 12, 3, 3, 1, 1));   // decoder.4 (dae-rgb)
}

TEST_CASE("conv: tiles that do not divide the problem, odd strides and paddings", "[cuda][conv]") {
  DAE_REQUIRE_CUDA_DEVICE();
  check_conv2d(conv_shape(2, 70, 20, 11, 11, 5, 5, 2, 2));  // 70 rows: a full and a partial 64-row tile
  check_conv2d(conv_shape(1, 3, 5, 17, 13, 2, 5, 3, 2));    // non-square kernel, stride 3
  check_conv2d(conv_shape(3, 4, 6, 9, 9, 1, 1, 2, 0));      // 1x1 stride 2: three of four phases get no tap
  check_conv2d(conv_shape(2, 5, 3, 5, 6, 3, 3, 1, 4));      // padding wider than the kernel
  check_conv2d(conv_shape(1, 2, 17, 1, 1, 1, 1, 1, 0));     // a 1x1 image
  check_conv2d(conv_shape(2, 3, 4, 8, 7, 4, 4, 4, 3));      // stride 4
}

TEST_CASE("conv: transposed convolutions match the cpu", "[cuda][conv]") {
  DAE_REQUIRE_CUDA_DEVICE();
  check_conv_transpose2d(transpose_shape(2, 64, 64, 7, 7, 4, 2, 1, 0));    // decoder.0 (dae-mnist)
  check_conv_transpose2d(transpose_shape(2, 64, 32, 14, 14, 4, 2, 1, 0));  // decoder.2
  check_conv_transpose2d(transpose_shape(1, 3, 2, 5, 4, 3, 3, 1, 2));      // stride 3, output padding 2
  check_conv_transpose2d(transpose_shape(3, 1, 3, 6, 5, 2, 1, 0, 0));      // one input channel
}

}  // namespace
}  // namespace dae::cuda_test
