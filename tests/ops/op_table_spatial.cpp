// The op table, part 2: image ops (conv2d, conv_transpose2d, max_pool2d).
// How to add an op: see the top of op_table.cpp.
//
// Each family sweeps its hyper-parameters fully (kernel 1..5, stride 1..2,
// padding 0..2, ...) and draws the free sizes (batch, channels, height,
// width) from a fixed generator, so the sweep meets odd and even sizes,
// batch 1, one channel and up to 16, square and non-square images. A few
// hand-written cases add non-square kernels, 1x1 images, the shapes of the
// denoising autoencoder's layers and frozen inputs (no gradient wanted).
#include <algorithm>
#include <cmath>

#include "engine/ops.h"
#include "engine/random.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_transpose2d.h"
#include "kernels/cpu/pooling.h"
#include "tests/ops/case_builders.h"
#include "tests/ops/op_table.h"

namespace dae::ops_test {

namespace {

namespace cpu = kernels::cpu;
using Tensors = std::vector<Tensor>;

// Which gradients a convolution case asks for.
struct ConvOptions {
  bool has_bias = true;
  bool input_grad = true;
  bool weight_grad = true;
};

// The sizes the free-size picker chooses from, cycled with coprime periods
// so that the sweep meets many combinations.
constexpr int kBatches[] = {1, 2, 3};
constexpr int kInChannels[] = {1, 3, 5, 16, 2};
constexpr int kOutChannels[] = {4, 1, 7, 16, 3, 8};

template <std::size_t N>
int cycle(const int (&values)[N], int i) {
  return values[std::size_t(i) % N];
}

// A size in [lowest, lowest + spread).
int pick(Generator& gen, int lowest, int spread) { return lowest + int(gen.below(std::uint64_t(spread))); }

Tensor optional_bias(const OpCase& c, const Tensors& in) { return c.params.get_int("has_bias") ? in[2] : Tensor(); }

const double* optional_bias(const OpCase& c, const Arrays<double>& in) {
  return c.params.get_int("has_bias") ? in[2].data() : nullptr;
}

void set_shape_params(Params& p, int batch, int in_channels, int out_channels, int height, int width, int kernel_h,
                      int kernel_w, int stride, int padding) {
  p.set("batch", batch).set("in_channels", in_channels).set("out_channels", out_channels);
  p.set("in_height", height).set("in_width", width).set("kernel_h", kernel_h).set("kernel_w", kernel_w);
  p.set("stride", stride).set("padding", padding);
}

void add_conv_inputs(OpCase& c, const Shape& x, const Shape& weight, int out_channels, const ConvOptions& o) {
  c.inputs = {input("x", x), input("weight", weight, -0.5f, 0.5f)};
  c.inputs[0].differentiable = o.input_grad;
  c.inputs[1].differentiable = o.weight_grad;
  if (o.has_bias) c.inputs.push_back(input("bias", Shape{out_channels}));
  c.params.set("has_bias", o.has_bias ? 1 : 0);
}

// ---- conv2d -------------------------------------------------------------------

kernels::Conv2dShape conv2d_shape(const OpCase& c) {
  const Params& p = c.params;
  kernels::Conv2dShape s;
  s.batch = p.get_int("batch");
  s.in_channels = p.get_int("in_channels");
  s.out_channels = p.get_int("out_channels");
  s.in_height = p.get_int("in_height");
  s.in_width = p.get_int("in_width");
  s.kernel_h = p.get_int("kernel_h");
  s.kernel_w = p.get_int("kernel_w");
  s.stride = p.get_int("stride");
  s.padding = p.get_int("padding");
  s.out_height = (s.in_height + 2 * s.padding - s.kernel_h) / s.stride + 1;
  s.out_width = (s.in_width + 2 * s.padding - s.kernel_w) / s.stride + 1;
  return s;
}

OpCase conv2d_case(const kernels::Conv2dShape& shape, const ConvOptions& o = {}) {
  OpCase c;
  c.op = "conv2d";
  set_shape_params(c.params, shape.batch, shape.in_channels, shape.out_channels, shape.in_height, shape.in_width,
                   shape.kernel_h, shape.kernel_w, shape.stride, shape.padding);
  add_conv_inputs(c, Shape{shape.batch, shape.in_channels, shape.in_height, shape.in_width},
                  Shape{shape.out_channels, shape.in_channels, shape.kernel_h, shape.kernel_w}, shape.out_channels, o);
  const kernels::Conv2dShape s = conv2d_shape(c);
  c.output = Shape{s.batch, s.out_channels, s.out_height, s.out_width};
  c.flops = {s.flops(), s.flops() * ((o.input_grad ? 1 : 0) + (o.weight_grad ? 1 : 0))};
  c.detail = c.params.show({"stride", "padding"});
  return c;
}

std::vector<OpCase> conv2d_cases() {
  std::vector<OpCase> cases;
  Generator gen(2);
  int i = 0;
  for (int kernel = 1; kernel <= 5; ++kernel)
    for (int stride = 1; stride <= 2; ++stride)
      for (int padding = 0; padding <= 2; ++padding)
        for (bool has_bias : {true, false}) {
          const int lowest = std::max(1, kernel - 2 * padding);  // the padded image must hold the kernel
          cases.push_back(conv2d_case({.batch = cycle(kBatches, i),
                                       .in_channels = cycle(kInChannels, i),
                                       .out_channels = cycle(kOutChannels, i),
                                       .in_height = pick(gen, lowest, 8),
                                       .in_width = pick(gen, lowest, 8),
                                       .kernel_h = kernel,
                                       .kernel_w = kernel,
                                       .stride = stride,
                                       .padding = padding},
                                      {.has_bias = has_bias}));
          ++i;
        }
  // Non-square kernels, 1x1 images, the autoencoder's layer shapes (narrower), frozen inputs.
  const std::vector<std::pair<kernels::Conv2dShape, ConvOptions>> extra = {
      {{.batch = 2, .in_channels = 3, .out_channels = 4, .in_height = 7, .in_width = 9, .kernel_h = 1, .kernel_w = 3,
        .stride = 1, .padding = 1}, {}},
      {{.batch = 1, .in_channels = 2, .out_channels = 5, .in_height = 8, .in_width = 5, .kernel_h = 3, .kernel_w = 1,
        .stride = 2, .padding = 0}, {}},
      {{.batch = 3, .in_channels = 1, .out_channels = 2, .in_height = 9, .in_width = 6, .kernel_h = 2, .kernel_w = 5,
        .stride = 1, .padding = 2}, {.has_bias = false}},
      {{.batch = 1, .in_channels = 4, .out_channels = 3, .in_height = 1, .in_width = 1, .kernel_h = 1, .kernel_w = 1,
        .stride = 1, .padding = 0}, {}},
      {{.batch = 2, .in_channels = 3, .out_channels = 2, .in_height = 1, .in_width = 1, .kernel_h = 3, .kernel_w = 3,
        .stride = 1, .padding = 1}, {}},
      // Padding wider than the output: the first valid output column lies past the last one.
      {{.batch = 1, .in_channels = 2, .out_channels = 3, .in_height = 3, .in_width = 1, .kernel_h = 5, .kernel_w = 5,
        .stride = 1, .padding = 2}, {}},
      {{.batch = 2, .in_channels = 1, .out_channels = 16, .in_height = 12, .in_width = 12, .kernel_h = 3,
        .kernel_w = 3, .stride = 1, .padding = 1}, {}},
      {{.batch = 2, .in_channels = 16, .out_channels = 16, .in_height = 12, .in_width = 12, .kernel_h = 3,
        .kernel_w = 3, .stride = 2, .padding = 1}, {}},
      {{.batch = 2, .in_channels = 3, .out_channels = 5, .in_height = 7, .in_width = 7, .kernel_h = 3, .kernel_w = 3,
        .stride = 1, .padding = 1}, {.weight_grad = false}},
      {{.batch = 2, .in_channels = 3, .out_channels = 5, .in_height = 7, .in_width = 7, .kernel_h = 3, .kernel_w = 3,
        .stride = 2, .padding = 1}, {.input_grad = false}},
      // More than 64 output rows (the packed GEMM path on every CPU) over grids
      // whose rows are whole runs of 16 pixels (its compact columns): forward
      // (72 outputs, 16 wide), backward-data (72 inputs, 32 wide), and a
      // stride-2 forward to 16 wide.
      {{.batch = 2, .in_channels = 8, .out_channels = 72, .in_height = 5, .in_width = 16, .kernel_h = 3,
        .kernel_w = 3, .stride = 1, .padding = 1}, {}},
      {{.batch = 3, .in_channels = 72, .out_channels = 8, .in_height = 3, .in_width = 32, .kernel_h = 3,
        .kernel_w = 3, .stride = 1, .padding = 1}, {}},
      {{.batch = 1, .in_channels = 4, .out_channels = 70, .in_height = 6, .in_width = 32, .kernel_h = 3,
        .kernel_w = 3, .stride = 2, .padding = 1}, {.has_bias = false}},
  };
  for (const auto& [shape, options] : extra) cases.push_back(conv2d_case(shape, options));
  return cases;
}

// ---- conv_transpose2d -----------------------------------------------------------

kernels::ConvTranspose2dShape conv_transpose2d_shape(const OpCase& c) {
  const Params& p = c.params;
  kernels::ConvTranspose2dShape s;
  s.batch = p.get_int("batch");
  s.in_channels = p.get_int("in_channels");
  s.out_channels = p.get_int("out_channels");
  s.in_height = p.get_int("in_height");
  s.in_width = p.get_int("in_width");
  s.kernel_h = p.get_int("kernel_h");
  s.kernel_w = p.get_int("kernel_w");
  s.stride = p.get_int("stride");
  s.padding = p.get_int("padding");
  s.output_padding = p.get_int("output_padding");
  s.out_height = (s.in_height - 1) * s.stride - 2 * s.padding + s.kernel_h + s.output_padding;
  s.out_width = (s.in_width - 1) * s.stride - 2 * s.padding + s.kernel_w + s.output_padding;
  return s;
}

OpCase conv_transpose2d_case(const kernels::ConvTranspose2dShape& shape, const ConvOptions& o = {}) {
  OpCase c;
  c.op = "conv_transpose2d";
  set_shape_params(c.params, shape.batch, shape.in_channels, shape.out_channels, shape.in_height, shape.in_width,
                   shape.kernel_h, shape.kernel_w, shape.stride, shape.padding);
  c.params.set("output_padding", shape.output_padding);
  add_conv_inputs(c, Shape{shape.batch, shape.in_channels, shape.in_height, shape.in_width},
                  Shape{shape.in_channels, shape.out_channels, shape.kernel_h, shape.kernel_w}, shape.out_channels, o);
  const kernels::ConvTranspose2dShape s = conv_transpose2d_shape(c);
  c.output = Shape{s.batch, s.out_channels, s.out_height, s.out_width};
  c.flops = {s.flops(), s.flops() * ((o.input_grad ? 1 : 0) + (o.weight_grad ? 1 : 0))};
  c.detail = c.params.show({"stride", "padding", "output_padding"});
  return c;
}

// The smallest input size whose transposed-convolution output is at least 1.
int smallest_transposed_input(int kernel, int stride, int padding, int output_padding) {
  int size = 1;
  while ((size - 1) * stride - 2 * padding + kernel + output_padding < 1) ++size;
  return size;
}

std::vector<OpCase> conv_transpose2d_cases() {
  std::vector<OpCase> cases;
  Generator gen(3);
  int i = 0;
  for (int kernel = 1; kernel <= 5; ++kernel)
    for (int stride = 1; stride <= 2; ++stride)
      for (int padding = 0; padding <= 2; ++padding)
        for (int output_padding = 0; output_padding < stride; ++output_padding)
          for (bool has_bias : {true, false}) {
            const int lowest = smallest_transposed_input(kernel, stride, padding, output_padding);
            cases.push_back(conv_transpose2d_case({.batch = cycle(kBatches, i),
                                                   .in_channels = cycle(kInChannels, i),
                                                   .out_channels = cycle(kOutChannels, i),
                                                   .in_height = pick(gen, lowest, 5),
                                                   .in_width = pick(gen, lowest, 5),
                                                   .kernel_h = kernel,
                                                   .kernel_w = kernel,
                                                   .stride = stride,
                                                   .padding = padding,
                                                   .output_padding = output_padding},
                                                  {.has_bias = has_bias}));
            ++i;
          }
  const std::vector<std::pair<kernels::ConvTranspose2dShape, ConvOptions>> extra = {
      // The autoencoder's decoder layers (kernel 4, stride 2, padding 1), narrower.
      {{.batch = 2, .in_channels = 16, .out_channels = 16, .in_height = 3, .in_width = 3, .kernel_h = 4,
        .kernel_w = 4, .stride = 2, .padding = 1}, {}},
      {{.batch = 1, .in_channels = 16, .out_channels = 8, .in_height = 6, .in_width = 6, .kernel_h = 4,
        .kernel_w = 4, .stride = 2, .padding = 1}, {}},
      {{.batch = 2, .in_channels = 3, .out_channels = 2, .in_height = 4, .in_width = 5, .kernel_h = 2,
        .kernel_w = 3, .stride = 2, .padding = 0, .output_padding = 1}, {}},
      {{.batch = 1, .in_channels = 2, .out_channels = 3, .in_height = 1, .in_width = 1, .kernel_h = 3,
        .kernel_w = 3, .stride = 1, .padding = 0}, {}},
      {{.batch = 2, .in_channels = 4, .out_channels = 3, .in_height = 5, .in_width = 4, .kernel_h = 3,
        .kernel_w = 3, .stride = 2, .padding = 1}, {.weight_grad = false}},
      {{.batch = 2, .in_channels = 4, .out_channels = 3, .in_height = 5, .in_width = 4, .kernel_h = 3,
        .kernel_w = 3, .stride = 1, .padding = 1}, {.input_grad = false}},
      // 72 outputs from 16-wide inputs: each output phase is a 16-wide grid (packed, compact columns).
      {{.batch = 2, .in_channels = 8, .out_channels = 72, .in_height = 3, .in_width = 16, .kernel_h = 4,
        .kernel_w = 4, .stride = 2, .padding = 1}, {}},
  };
  for (const auto& [shape, options] : extra) cases.push_back(conv_transpose2d_case(shape, options));
  return cases;
}

// Shared by both convolutions: the backward composition of engine/ops/conv.cpp.
template <typename Shape2d, typename BackwardData, typename BackwardWeight>
void conv_backward(const OpCase& c, const Shape2d& s, const Arrays<double>& in, const double* g,
                   Arrays<double>& grad, BackwardData backward_data, BackwardWeight backward_weight) {
  const kernels::Exec& ex = serial_exec();
  if (!grad[0].empty()) backward_data(ex, s, g, in[1].data(), grad[0].data());
  double* grad_bias = c.params.get_int("has_bias") && !grad[2].empty() ? grad[2].data() : nullptr;
  if (!grad[1].empty()) {
    backward_weight(ex, s, in[0].data(), g, grad[1].data(), grad_bias);
  } else if (grad_bias) {
    cpu::bias_backward(ex, s.batch, s.out_channels, s.out_height * s.out_width, g, grad_bias);
  }
}

// ---- max_pool2d -----------------------------------------------------------------

kernels::Pool2dShape pool2d_shape(const OpCase& c) {
  const Params& p = c.params;
  kernels::Pool2dShape s;
  s.batch = p.get_int("batch");
  s.channels = p.get_int("channels");
  s.in_height = p.get_int("in_height");
  s.in_width = p.get_int("in_width");
  s.kernel = p.get_int("kernel");
  s.stride = p.get_int("stride");
  s.padding = p.get_int("padding");
  s.out_height = (s.in_height + 2 * s.padding - s.kernel) / s.stride + 1;
  s.out_width = (s.in_width + 2 * s.padding - s.kernel) / s.stride + 1;
  return s;
}

OpCase max_pool2d_case(int batch, int channels, int height, int width, int kernel, int stride, int padding) {
  OpCase c;
  c.op = "max_pool2d";
  c.params.set("batch", batch).set("channels", channels).set("in_height", height).set("in_width", width);
  c.params.set("kernel", kernel).set("stride", stride).set("padding", padding);
  c.inputs = {input("x", Shape{batch, channels, height, width}, -2.0f, 2.0f)};
  c.inputs[0].values = Values::kDistinct;
  const kernels::Pool2dShape s = pool2d_shape(c);
  c.output = Shape{s.batch, s.channels, s.out_height, s.out_width};
  c.flops = {double(s.output_size()) * kernel * kernel, double(s.output_size())};
  c.detail = c.params.show({"kernel", "stride", "padding"});
  return c;
}

std::vector<OpCase> max_pool2d_cases() {
  std::vector<OpCase> cases;
  Generator gen(4);
  int i = 0;
  for (int kernel = 2; kernel <= 3; ++kernel)
    for (int stride = 1; stride <= 3; ++stride)
      for (int padding = 0; padding <= kernel / 2; ++padding)
        for (int variant = 0; variant < 2; ++variant) {
          const int lowest = std::max(1, kernel - 2 * padding);
          cases.push_back(max_pool2d_case(variant == 0 ? 1 : cycle(kBatches, i), cycle(kInChannels, i),
                                          pick(gen, lowest, 9), pick(gen, lowest, 9), kernel, stride, padding));
          ++i;
        }
  cases.push_back(max_pool2d_case(2, 3, 8, 8, 2, 2, 0));    // VGG's pooling on an even image
  cases.push_back(max_pool2d_case(1, 1, 9, 7, 2, 2, 0));    // floor mode drops the last row and column
  cases.push_back(max_pool2d_case(2, 16, 6, 6, 2, 2, 0));
  return cases;
}

// True when another element of a pooling window that holds `element` lies
// within `band` of it: a small move could then change that window's winner.
bool pool_near_tie(const OpCase& c, const Arrays<double>& in, std::size_t, std::int64_t element, double band) {
  const kernels::Pool2dShape s = pool2d_shape(c);
  const std::int64_t plane_size = std::int64_t(s.in_height) * s.in_width;
  const double* plane = in[0].data() + element / plane_size * plane_size;
  const int iy = int(element % plane_size) / s.in_width, ix = int(element % plane_size) % s.in_width;
  const double v = in[0][std::size_t(element)];
  for (int oy = 0; oy < s.out_height; ++oy) {
    const int y0 = oy * s.stride - s.padding;  // the window's first row (may be in the padding)
    if (iy < y0 || iy >= y0 + s.kernel) continue;
    for (int ox = 0; ox < s.out_width; ++ox) {
      const int x0 = ox * s.stride - s.padding;
      if (ix < x0 || ix >= x0 + s.kernel) continue;
      for (int y = std::max(y0, 0); y < std::min(y0 + s.kernel, s.in_height); ++y)
        for (int x = std::max(x0, 0); x < std::min(x0 + s.kernel, s.in_width); ++x)
          if ((y != iy || x != ix) && std::fabs(plane[y * s.in_width + x] - v) < band) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<OpFamily> spatial_families() {
  return {
      {
          .name = "conv2d",
          .torch = "F.conv2d(x, weight, bias if has_bias else None, stride=stride, padding=padding)",
          .cases = conv2d_cases,
          .forward = [](const OpCase& c, const Tensors& in) {
            return conv2d(in[0], in[1], optional_bias(c, in), c.params.get_int("stride"),
                          c.params.get_int("padding"));
          },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                cpu::conv2d_forward(serial_exec(), conv2d_shape(c), in[0].data(), in[1].data(), optional_bias(c, in),
                                    out);
              },
          .backward_kernel =
              [](const OpCase& c, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                conv_backward(c, conv2d_shape(c), in, g, grad, cpu::conv2d_backward_data<double>,
                              cpu::conv2d_backward_weight<double>);
              },
      },
      {
          .name = "conv_transpose2d",
          .torch = "F.conv_transpose2d(x, weight, bias if has_bias else None, stride=stride, padding=padding, "
                   "output_padding=output_padding)",
          .cases = conv_transpose2d_cases,
          .forward = [](const OpCase& c, const Tensors& in) {
            return conv_transpose2d(in[0], in[1], optional_bias(c, in), c.params.get_int("stride"),
                                    c.params.get_int("padding"), c.params.get_int("output_padding"));
          },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                cpu::conv_transpose2d_forward(serial_exec(), conv_transpose2d_shape(c), in[0].data(), in[1].data(),
                                              optional_bias(c, in), out);
              },
          .backward_kernel =
              [](const OpCase& c, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                conv_backward(c, conv_transpose2d_shape(c), in, g, grad, cpu::conv_transpose2d_backward_data<double>,
                              cpu::conv_transpose2d_backward_weight<double>);
              },
      },
      {
          .name = "max_pool2d",
          .torch = "F.max_pool2d(x, kernel, stride, padding)",
          .cases = max_pool2d_cases,
          .forward = [](const OpCase& c, const Tensors& in) {
            return max_pool2d(in[0], c.params.get_int("kernel"), c.params.get_int("stride"),
                              c.params.get_int("padding"));
          },
          .forward_kernel =
              [](const OpCase& c, const Arrays<double>& in, double* out) {
                const kernels::Pool2dShape s = pool2d_shape(c);
                std::vector<std::int32_t> argmax(std::size_t(s.output_size()));
                cpu::max_pool2d_forward(serial_exec(), s, in[0].data(), out, argmax.data());
              },
          .backward_kernel =
              [](const OpCase& c, const Arrays<double>& in, const double* g, Arrays<double>& grad) {
                // The op's backward routes the gradient to the winners its forward recorded.
                const kernels::Pool2dShape s = pool2d_shape(c);
                std::vector<double> y(std::size_t(s.output_size()));
                std::vector<std::int32_t> argmax(y.size());
                cpu::max_pool2d_forward(serial_exec(), s, in[0].data(), y.data(), argmax.data());
                cpu::max_pool2d_backward(serial_exec(), s, g, argmax.data(), grad[0].data());
              },
          .near_kink = pool_near_tie,
      },
  };
}

}  // namespace dae::ops_test
