// The convolution algorithm switch (custom | cublas | cudnn): parsing, the
// refusal under the CUDA emulator, and on a real GPU the three algorithms
// agreeing on every pass of conv2d and conv_transpose2d.
#include <string>
#include <vector>

#include "engine/ops.h"
#include "kernels/common/exec.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/runtime.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

using kernels::ConvAlgo;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Restores the context's algorithm when a test ends, whatever happens.
struct AlgoGuard {
  ~AlgoGuard() { DeviceContext::get(gpu()).set_conv_algo(ConvAlgo::kCustom); }
};

TEST_CASE("conv algo: names parse, a bad name is refused by name", "[cuda][conv_algo]") {
  CHECK(kernels::parse_conv_algo("custom") == ConvAlgo::kCustom);
  CHECK(kernels::parse_conv_algo("cublas") == ConvAlgo::kCublas);
  CHECK(kernels::parse_conv_algo("cudnn") == ConvAlgo::kCudnn);
  CHECK(std::string(kernels::to_string(ConvAlgo::kCudnn)) == "cudnn");
  try {
    kernels::parse_conv_algo("winograd");
    FAIL("expected an ArgumentError");
  } catch (const ArgumentError& e) {
    INFO(e.what());
    CHECK(contains(e.what(), "'winograd'"));
  }
  CHECK_THROWS_AS(DeviceContext::get(Device::cpu()).set_conv_algo(ConvAlgo::kCublas), ArgumentError);
}

TEST_CASE("conv algo: cublas and cudnn are refused with one clear message where they cannot run",
          "[cuda][conv_algo]") {
  DAE_REQUIRE_CUDA_DEVICE();
  AlgoGuard guard;
  for (const ConvAlgo algo : {ConvAlgo::kCublas, ConvAlgo::kCudnn}) {
    std::string why;
    if (kernels::cuda::conv_algo_available(algo, &why)) continue;  // a real GPU build: covered below
    INFO(why);
    CHECK(contains(why, kernels::to_string(algo)));
#if defined(DAE_CUDA_EMULATION)
    CHECK(contains(why, "emulator"));
#endif
    try {
      DeviceContext::get(gpu()).set_conv_algo(algo);
      FAIL("expected a DeviceError");
    } catch (const DeviceError& e) {
      CHECK(std::string(e.what()) == why);
    }
    CHECK(DeviceContext::get(gpu()).conv_algo() == ConvAlgo::kCustom);
    // A kernel handed such an Exec directly refuses the same way.
    kernels::Exec ex = gpu_exec();
    ex.conv_algo = algo;
    kernels::Conv2dShape s;
    s.batch = s.in_channels = s.out_channels = 1;
    s.in_height = s.in_width = s.out_height = s.out_width = 2;
    s.kernel_h = s.kernel_w = 1;
    const Tensor x = Tensor::ones(Shape{4}, gpu()), w = Tensor::ones(Shape{1}, gpu()), y = poisoned(Shape{4});
    CHECK_THROWS_AS(kernels::cuda::conv2d_forward(ex, s, x.data(), w.data(), nullptr, y.data()), DeviceError);
  }
}

struct PassResults {
  std::vector<float> y, grad_x, grad_w, grad_b;
};

// Forward and backward of one op through autograd on the GPU with the context's algorithm.
PassResults run_layer(bool transposed, const Tensor& x, const Tensor& w, const Tensor& b, int stride, int padding) {
  const Tensor xg = x.to(gpu()).set_requires_grad(true);
  const Tensor wg = w.to(gpu()).set_requires_grad(true);
  const Tensor bg = b.to(gpu()).set_requires_grad(true);
  const Tensor y = transposed ? conv_transpose2d(xg, wg, bg, stride, padding, 0) : conv2d(xg, wg, bg, stride, padding);
  const Tensor upstream = random_tensor(y.shape(), 31, -1, 1, gpu());
  sum(mul(y, upstream)).backward();
  return {y.to_vector(), xg.grad().to_vector(), wg.grad().to_vector(), bg.grad().to_vector()};
}

TEST_CASE("conv algo: custom, cublas and cudnn agree on every pass", "[cuda][conv_algo]") {
  DAE_REQUIRE_CUDA_DEVICE();
  AlgoGuard guard;
  struct Layer {
    bool transposed;
    int cin, cout, size, kernel, stride, padding;
  };
  const std::vector<Layer> layers = {
      {false, 3, 16, 19, 3, 1, 1}, {false, 16, 8, 20, 3, 2, 1}, {false, 4, 6, 9, 1, 1, 0}, {true, 8, 5, 7, 4, 2, 1}};
  for (const ConvAlgo algo : {ConvAlgo::kCublas, ConvAlgo::kCudnn}) {
    std::string why;
    if (!kernels::cuda::conv_algo_available(algo, &why)) {
      WARN("skipping " << kernels::to_string(algo) << ": " << why);
      continue;
    }
    for (const Layer& l : layers) {
      INFO(kernels::to_string(algo) << (l.transposed ? " conv_transpose2d " : " conv2d ") << l.cin << " -> " << l.cout
                                    << " on " << l.size << "x" << l.size << ", kernel " << l.kernel << ", stride "
                                    << l.stride);
      const Tensor x = random_tensor(Shape{2, l.cin, l.size, l.size}, 1);
      const Shape wshape =
          l.transposed ? Shape{l.cin, l.cout, l.kernel, l.kernel} : Shape{l.cout, l.cin, l.kernel, l.kernel};
      const Tensor w = random_tensor(wshape, 2, -0.5f, 0.5f);
      const Tensor b = random_tensor(Shape{l.cout}, 3);
      DeviceContext::get(gpu()).set_conv_algo(ConvAlgo::kCustom);
      const PassResults ours = run_layer(l.transposed, x, w, b, l.stride, l.padding);
      DeviceContext::get(gpu()).set_conv_algo(algo);
      const PassResults theirs = run_layer(l.transposed, x, w, b, l.stride, l.padding);
      const test::Tolerance tol{1e-4, 1e-4};
      CHECK_CLOSE_TO(theirs.y, ours.y, tol, "output");
      CHECK_CLOSE_TO(theirs.grad_x, ours.grad_x, tol, "grad_x");
      CHECK_CLOSE_TO(theirs.grad_w, ours.grad_w, tol, "grad_weight");
      CHECK_CLOSE_TO(theirs.grad_b, ours.grad_b, tol, "grad_bias");
    }
  }
}

}  // namespace
}  // namespace dae::cuda_test
