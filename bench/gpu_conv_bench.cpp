// GPU convolution benchmark: our implicit-GEMM kernels against the im2col +
// cuBLAS path and cuDNN, on the convolutions of dae-mnist, dae-rgb and VGG16
// up to relu3_3, for the forward, backward-data and backward-weight passes.
//
//   dae_gpu_conv_bench [--iters N] [--warmup N] [--csv FILE] [--only GROUP]
//
// Each (layer, pass, algorithm) is run --warmup times, then --iters times,
// each run timed alone with CUDA events on the context's stream; the median
// is reported as ms and GFLOP/s (2 * multiply-adds / time). All three
// algorithms are FP32 without TF32. The inputs of the larger layers exceed
// the L2 cache; the small dae-mnist layers stay L2-resident, as they do
// in training. `maxdiff` is the largest |ours - theirs| / max|theirs| of the
// pass's result, a sanity check that the three compute the same thing.
// The CSV (one line per measurement, with the layer's shape) is what
// bench/gpu_torch_bench.py reads: it times the same shapes in PyTorch and
// prints the side-by-side table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/device.h"
#include "engine/errors.h"
#include "engine/random.h"
#include "engine/tensor.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_transpose2d.h"
#include "kernels/cuda/runtime.h"

namespace {

using namespace dae;
using kernels::ConvAlgo;

struct Layer {
  const char* group;
  const char* name;
  bool transposed;
  int batch, in_channels, out_channels, size, kernel, stride, padding;
};

// Training shapes: dae-mnist (batch 64, 28x28), dae-rgb (batch 16, 64x64
// patches), VGG16's first seven convolutions on 224x224 (batch 4).
const std::vector<Layer> kLayers = {
    {"dae-mnist", "encoder.0", false, 64, 1, 32, 28, 3, 1, 1},
    {"dae-mnist", "encoder.2", false, 64, 32, 64, 28, 3, 2, 1},
    {"dae-mnist", "encoder.4", false, 64, 64, 64, 14, 3, 2, 1},
    {"dae-mnist", "decoder.0", true, 64, 64, 64, 7, 4, 2, 1},
    {"dae-mnist", "decoder.2", true, 64, 64, 32, 14, 4, 2, 1},
    {"dae-mnist", "decoder.4", false, 64, 32, 1, 28, 3, 1, 1},
    {"dae-rgb", "encoder.0", false, 16, 3, 64, 64, 3, 1, 1},
    {"dae-rgb", "encoder.2", false, 16, 64, 128, 64, 3, 2, 1},
    {"dae-rgb", "encoder.4", false, 16, 128, 128, 32, 3, 2, 1},
    {"dae-rgb", "decoder.0", true, 16, 128, 128, 16, 4, 2, 1},
    {"dae-rgb", "decoder.2", true, 16, 128, 64, 32, 4, 2, 1},
    {"dae-rgb", "decoder.4", false, 16, 64, 3, 64, 3, 1, 1},
    {"vgg16", "conv1_1", false, 4, 3, 64, 224, 3, 1, 1},
    {"vgg16", "conv1_2", false, 4, 64, 64, 224, 3, 1, 1},
    {"vgg16", "conv2_1", false, 4, 64, 128, 112, 3, 1, 1},
    {"vgg16", "conv2_2", false, 4, 128, 128, 112, 3, 1, 1},
    {"vgg16", "conv3_1", false, 4, 128, 256, 56, 3, 1, 1},
    {"vgg16", "conv3_2", false, 4, 256, 256, 56, 3, 1, 1},
    {"vgg16", "conv3_3", false, 4, 256, 256, 56, 3, 1, 1},
};

const char* kPasses[] = {"forward", "backward-data", "backward-weight"};

struct Options {
  int iters = 15;
  int warmup = 3;
  std::string csv;
  std::string only;
};

// One layer's tensors on the GPU and the shapes of its passes.
struct Problem {
  Layer layer;
  kernels::Conv2dShape conv;
  kernels::ConvTranspose2dShape transposed;
  Tensor x, w, y, grad_y, grad_x, grad_w;

  explicit Problem(const Layer& l) : layer(l) {
    const Device gpu = Device::cuda(0);
    Generator gen(1);
    if (l.transposed) {
      auto& t = transposed;
      t.batch = l.batch;
      t.in_channels = l.in_channels;
      t.out_channels = l.out_channels;
      t.in_height = t.in_width = l.size;
      t.kernel_h = t.kernel_w = l.kernel;
      t.stride = l.stride;
      t.padding = l.padding;
      t.out_height = t.out_width = (l.size - 1) * l.stride - 2 * l.padding + l.kernel;
      x = Tensor::uniform(Shape{t.batch, t.in_channels, t.in_height, t.in_width}, -1, 1, gen, gpu);
      w = Tensor::uniform(Shape{t.in_channels, t.out_channels, t.kernel_h, t.kernel_w}, -0.1f, 0.1f, gen, gpu);
      y = Tensor::empty(Shape{t.batch, t.out_channels, t.out_height, t.out_width}, gpu);
    } else {
      auto& c = conv;
      c.batch = l.batch;
      c.in_channels = l.in_channels;
      c.out_channels = l.out_channels;
      c.in_height = c.in_width = l.size;
      c.kernel_h = c.kernel_w = l.kernel;
      c.stride = l.stride;
      c.padding = l.padding;
      c.out_height = c.out_width = (l.size + 2 * l.padding - l.kernel) / l.stride + 1;
      x = Tensor::uniform(Shape{c.batch, c.in_channels, c.in_height, c.in_width}, -1, 1, gen, gpu);
      w = Tensor::uniform(Shape{c.out_channels, c.in_channels, c.kernel_h, c.kernel_w}, -0.1f, 0.1f, gen, gpu);
      y = Tensor::empty(Shape{c.batch, c.out_channels, c.out_height, c.out_width}, gpu);
    }
    grad_y = Tensor::uniform(y.shape(), -1, 1, gen, gpu);
    grad_x = Tensor::empty(x.shape(), gpu);
    grad_w = Tensor::empty(w.shape(), gpu);
  }

  double flops() const { return layer.transposed ? transposed.flops() : conv.flops(); }

  // Runs one pass; returns the tensor it wrote.
  const Tensor& run(const kernels::Exec& ex, int pass) const {
    namespace k = kernels::cuda;
    if (layer.transposed) {
      if (pass == 0) k::conv_transpose2d_forward(ex, transposed, x.data(), w.data(), nullptr, y.data());
      if (pass == 1) k::conv_transpose2d_backward_data(ex, transposed, grad_y.data(), w.data(), grad_x.data());
      if (pass == 2) {
        k::conv_transpose2d_backward_weight(ex, transposed, x.data(), grad_y.data(), grad_w.data(), nullptr);
      }
    } else {
      if (pass == 0) k::conv2d_forward(ex, conv, x.data(), w.data(), nullptr, y.data());
      if (pass == 1) k::conv2d_backward_data(ex, conv, grad_y.data(), w.data(), grad_x.data());
      if (pass == 2) k::conv2d_backward_weight(ex, conv, x.data(), grad_y.data(), grad_w.data(), nullptr);
    }
    return pass == 0 ? y : (pass == 1 ? grad_x : grad_w);
  }
};

// Median of `iters` event-timed runs after `warmup` untimed ones, in ms.
double time_pass(const Problem& p, const kernels::Exec& ex, int pass, const Options& o) {
  for (int i = 0; i < o.warmup; ++i) p.run(ex, pass);
  void* start = kernels::cuda::event_create();
  void* end = kernels::cuda::event_create();
  std::vector<double> ms;
  for (int i = 0; i < o.iters; ++i) {
    kernels::cuda::event_record(start, ex.stream);
    p.run(ex, pass);
    kernels::cuda::event_record(end, ex.stream);
    ms.push_back(kernels::cuda::event_elapsed_ms(start, end));
  }
  kernels::cuda::event_destroy(start);
  kernels::cuda::event_destroy(end);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double largest = 1e-30, diff = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    largest = std::max(largest, double(std::fabs(b[i])));
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
  }
  return diff / largest;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ArgumentError("missing value after " + a);
      return argv[++i];
    };
    if (a == "--iters") {
      o.iters = std::clamp(std::atoi(value().c_str()), 1, 1000);
    } else if (a == "--warmup") {
      o.warmup = std::clamp(std::atoi(value().c_str()), 0, 100);
    } else if (a == "--csv") {
      o.csv = value();
    } else if (a == "--only") {
      o.only = value();
    } else {
      throw ArgumentError("unknown argument '" + a + "' (expected --iters N, --warmup N, --csv FILE, --only GROUP)");
    }
  }
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "dae_gpu_conv_bench: no CUDA device is usable\n");
    return 2;
  }
  DeviceContext& context = DeviceContext::get(Device::cuda(0));
  std::vector<ConvAlgo> algos;
  for (ConvAlgo a : {ConvAlgo::kCustom, ConvAlgo::kCublas, ConvAlgo::kCudnn}) {
    std::string why;
    if (kernels::cuda::conv_algo_available(a, &why)) {
      algos.push_back(a);
    } else {
      std::fprintf(stderr, "dae_gpu_conv_bench: skipping %s: %s\n", kernels::to_string(a), why.c_str());
    }
  }
  std::FILE* csv = o.csv.empty() ? nullptr : std::fopen(o.csv.c_str(), "w");
  if (!o.csv.empty() && csv == nullptr) throw FileError("cannot write " + o.csv);
  if (csv != nullptr) {
    std::fprintf(csv, "group,layer,transposed,batch,in_channels,out_channels,size,kernel,stride,padding,pass,algo,ms,"
                      "gflops,maxdiff\n");
  }
  std::printf("%-10s %-10s %-16s %-7s %10s %10s %9s\n", "group", "layer", "pass", "algo", "ms", "GFLOP/s", "maxdiff");
  int failures = 0;
  for (const Layer& l : kLayers) {
    if (!o.only.empty() && o.only != l.group) continue;
    const Problem p(l);
    for (int pass = 0; pass < 3; ++pass) {
      std::vector<float> reference;  // our result, to compare the others with
      for (ConvAlgo a : algos) {
        double ms = NAN, diff = 0.0;
        try {
          context.set_conv_algo(a);
          const std::vector<float> result = p.run(context.exec(), pass).to_vector();
          if (a == ConvAlgo::kCustom) {
            reference = result;
          } else if (!reference.empty()) {
            diff = max_relative_difference(reference, result);
          }
          ms = time_pass(p, context.exec(), pass, o);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "dae_gpu_conv_bench: %s %s %s %s failed: %s\n", l.group, l.name, kPasses[pass],
                       kernels::to_string(a), e.what());
          if (a == ConvAlgo::kCustom) ++failures;
        }
        const double gflops = std::isnan(ms) ? NAN : p.flops() / (ms * 1e-3) / 1e9;
        std::printf("%-10s %-10s %-16s %-7s %10.4f %10.1f %9.1e\n", l.group, l.name, kPasses[pass],
                    kernels::to_string(a), ms, gflops, diff);
        if (csv != nullptr) {
          std::fprintf(csv, "%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%s,%s,%.6f,%.3f,%.3e\n", l.group, l.name,
                       l.transposed ? 1 : 0, l.batch, l.in_channels, l.out_channels, l.size, l.kernel, l.stride,
                       l.padding, kPasses[pass], kernels::to_string(a), ms, gflops, diff);
        }
      }
    }
  }
  context.set_conv_algo(ConvAlgo::kCustom);
  if (csv != nullptr) std::fclose(csv);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dae_gpu_conv_bench: %s\n", e.what());
    return 1;
  }
}
