// Determinism: with Exec::deterministic (the default) weight and bias
// gradients and every reduction have the same bits run to run, and for any
// grid size (the partition of the sum depends on the shape only).
#include <vector>

#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_transpose2d.h"
#include "kernels/cuda/losses.h"
#include "kernels/cuda/reductions.h"
#include "kernels/cpu/conv2d.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

kernels::Conv2dShape conv_shape(int batch, int cin, int cout, int h, int w, int k, int stride, int padding) {
  kernels::Conv2dShape s;
  s.batch = batch;
  s.in_channels = cin;
  s.out_channels = cout;
  s.in_height = h;
  s.in_width = w;
  s.kernel_h = k;
  s.kernel_w = k;
  s.stride = stride;
  s.padding = padding;
  s.out_height = (h + 2 * padding - k) / stride + 1;
  s.out_width = (w + 2 * padding - k) / stride + 1;
  return s;
}

struct WeightGrads {
  std::vector<float> weight, bias;
};

WeightGrads conv_weight_grads(const kernels::Exec& ex, const kernels::Conv2dShape& s, const Tensor& x,
                              const Tensor& gy) {
  const Tensor gw = poisoned(Shape{s.weight_size()});
  const Tensor gb = poisoned(Shape{s.out_channels});
  kernels::cuda::conv2d_backward_weight(ex, s, x.data(), gy.data(), gw.data(), gb.data());
  return {gw.to_vector(), gb.to_vector()};
}

TEST_CASE("determinism: conv2d weight and bias gradients repeat bit for bit", "[cuda][determinism]") {
  DAE_REQUIRE_CUDA_DEVICE();
  // batch * OH * OW = 4 * 24 * 24: the reduction is split over several blocks,
  // and 4 * 576 pixels per channel make the bias sum more than one chunk.
  const kernels::Conv2dShape s = conv_shape(4, 8, 16, 24, 24, 3, 1, 1);
  const Tensor x = random_tensor(Shape{s.input_size()}, 1, -1, 1, gpu());
  const Tensor gy = random_tensor(Shape{s.output_size()}, 2, -1, 1, gpu());
  const WeightGrads first = conv_weight_grads(gpu_exec(), s, x, gy);
  const WeightGrads second = conv_weight_grads(gpu_exec(), s, x, gy);
  CHECK_SAME_BITS(first.weight, second.weight);
  CHECK_SAME_BITS(first.bias, second.bias);
  CHECK(count_nan(first.weight) == 0);

  // The non-deterministic mode (atomics into the result) still matches the CPU.
  kernels::Exec racy = gpu_exec();
  racy.deterministic = false;
  const WeightGrads atomic = conv_weight_grads(racy, s, x, gy);
  std::vector<float> want_w(static_cast<std::size_t>(s.weight_size()));
  std::vector<float> want_b(static_cast<std::size_t>(s.out_channels));
  const std::vector<float> hx = x.to_vector(), hgy = gy.to_vector();
  kernels::cpu::conv2d_backward_weight<float>(cpu_exec(), s, hx.data(), hgy.data(), want_w.data(), want_b.data());
  CHECK_CLOSE_TO(atomic.weight, want_w, (test::Tolerance{1e-4, 1e-5}), "grad_weight (atomics)");
  CHECK_CLOSE_TO(first.weight, want_w, (test::Tolerance{1e-4, 1e-5}), "grad_weight");
  CHECK_CLOSE_TO(first.bias, want_b, (test::Tolerance{1e-5, 1e-6}), "grad_bias");
}

TEST_CASE("determinism: conv_transpose2d weight gradients repeat bit for bit", "[cuda][determinism]") {
  DAE_REQUIRE_CUDA_DEVICE();
  kernels::ConvTranspose2dShape s;
  s.batch = 3;
  s.in_channels = 16;
  s.out_channels = 8;
  s.in_height = 9;
  s.in_width = 7;
  s.kernel_h = s.kernel_w = 4;
  s.stride = 2;
  s.padding = 1;
  s.out_height = (s.in_height - 1) * 2 - 2 + 4;
  s.out_width = (s.in_width - 1) * 2 - 2 + 4;
  const Tensor x = random_tensor(Shape{s.input_size()}, 3, -1, 1, gpu());
  const Tensor gy = random_tensor(Shape{s.output_size()}, 4, -1, 1, gpu());
  std::vector<float> runs[2][2];
  for (auto& run : runs) {
    const Tensor gw = poisoned(Shape{s.weight_size()});
    const Tensor gb = poisoned(Shape{s.out_channels});
    kernels::cuda::conv_transpose2d_backward_weight(gpu_exec(), s, x.data(), gy.data(), gw.data(), gb.data());
    run[0] = gw.to_vector();
    run[1] = gb.to_vector();
  }
  CHECK_SAME_BITS(runs[0][0], runs[1][0]);
  CHECK_SAME_BITS(runs[0][1], runs[1][1]);
}

TEST_CASE("determinism: bias_backward repeats bit for bit and does not depend on the grid", "[cuda][determinism]") {
  DAE_REQUIRE_CUDA_DEVICE();
  const int batch = 3, channels = 5, pixels = 9000;  // three chunks per plane
  const Tensor gy = random_tensor(Shape{std::int64_t(batch) * channels * pixels}, 5, -1, 1, gpu());
  std::vector<float> runs[3];
  for (int r = 0; r < 3; ++r) {
    kernels::Exec ex = gpu_exec();
    ex.max_blocks = r == 2 ? 1 : 0;  // the third run loops over every chunk with one block
    const Tensor gb = poisoned(Shape{channels});
    kernels::cuda::bias_backward(ex, batch, channels, pixels, gy.data(), gb.data());
    runs[r] = gb.to_vector();
  }
  CHECK_SAME_BITS(runs[0], runs[1]);
  CHECK_SAME_BITS(runs[0], runs[2]);
  std::vector<float> want(channels);
  const std::vector<float> h = gy.to_vector();
  kernels::cpu::bias_backward<float>(cpu_exec(), batch, channels, pixels, h.data(), want.data());
  CHECK_CLOSE_TO(runs[0], want, (test::Tolerance{1e-5, 1e-6}), "grad_bias");
}

TEST_CASE("determinism: sum, mean, mse and weighted_mse repeat bit for bit for any grid", "[cuda][determinism]") {
  DAE_REQUIRE_CUDA_DEVICE();
  const std::int64_t n = 50001;  // 13 chunks of 4096
  const Tensor a = random_tensor(Shape{n}, 6, -1, 1, gpu());
  const Tensor b = random_tensor(Shape{n}, 7, -1, 1, gpu());
  std::vector<float> mask_values = random_values(n, 8, 0, 1);
  for (float& m : mask_values) m = m < 0.3f ? 1.0f : 0.0f;
  const Tensor mask = on_gpu(mask_values);
  auto run_all = [&](int max_blocks) {
    kernels::Exec ex = gpu_exec();
    ex.max_blocks = max_blocks;
    const Tensor out = poisoned(Shape{5});
    float* o = out.data();
    kernels::cuda::sum(ex, n, a.data(), o);
    kernels::cuda::mean(ex, n, a.data(), o + 1);
    kernels::cuda::mse_forward(ex, n, a.data(), b.data(), o + 2);
    const Tensor grad = poisoned(Shape{n});
    kernels::cuda::weighted_mse(ex, n, a.data(), b.data(), mask.data(), 1.0f, 0.5f, o + 3, grad.data());
    kernels::cuda::weighted_mse(ex, n, a.data(), b.data(), nullptr, 1.0f, 1.0f, o + 4, nullptr);
    return out.to_vector();
  };
  const std::vector<float> first = run_all(0), second = run_all(0), one_block = run_all(1), three = run_all(3);
  CHECK(count_nan(first) == 0);
  CHECK_SAME_BITS(first, second);
  CHECK_SAME_BITS(first, one_block);
  CHECK_SAME_BITS(first, three);
  // Weight 1 everywhere: exactly mse_forward's bits.
  CHECK_SAME_BITS(std::vector<float>{first[4]}, std::vector<float>{first[2]});
}

}  // namespace
}  // namespace dae::cuda_test
