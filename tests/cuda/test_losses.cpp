// weighted_mse (the emphasized pixel loss) and the MSE kernels on CUDA
// against the CPU kernels: the gradients have the CPU's bits, the values
// agree to rounding; every output element is written.
#include <vector>

#include "kernels/cpu/losses.h"
#include "kernels/cpu/reductions.h"
#include "kernels/cuda/losses.h"
#include "kernels/cuda/reductions.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

std::vector<float> binary_mask(std::int64_t n, std::uint64_t seed, float share) {
  std::vector<float> m = random_values(n, seed, 0, 1);
  for (float& v : m) v = v < share ? 1.0f : 0.0f;
  return m;
}

TEST_CASE("losses: weighted_mse value and gradient match the cpu kernel", "[cuda][losses]") {
  DAE_REQUIRE_CUDA_DEVICE();
  struct Weights {
    float alpha, beta;
    bool with_mask;
  };
  for (const std::int64_t n : {std::int64_t(1), std::int64_t(7), std::int64_t(4096), std::int64_t(4097),
                               std::int64_t(100003)}) {
    for (const Weights w : {Weights{1.0f, 0.5f, true}, Weights{2.0f, 0.0f, true}, Weights{1.0f, 1.0f, false}}) {
      INFO("n " << n << ", alpha " << w.alpha << ", beta " << w.beta << (w.with_mask ? ", mask" : ", no mask"));
      const std::vector<float> a = random_values(n, 1, 0, 1), b = random_values(n, 2, 0, 1);
      const std::vector<float> mask = binary_mask(n, 3, 0.25f);
      float want_value = 0.0f;
      std::vector<float> want_grad(static_cast<std::size_t>(n));
      kernels::cpu::weighted_mse<float>(cpu_exec(), n, a.data(), b.data(), w.with_mask ? mask.data() : nullptr,
                                        w.alpha, w.beta, &want_value, want_grad.data());

      const Tensor da = on_gpu(a), db = on_gpu(b), dmask = on_gpu(mask);
      const Tensor value = poisoned(Shape{1});
      const Tensor grad = poisoned(Shape{n});
      kernels::cuda::weighted_mse(gpu_exec(), n, da.data(), db.data(), w.with_mask ? dmask.data() : nullptr, w.alpha,
                                  w.beta, value.data(), grad.data());
      CHECK_SAME_BITS(grad.to_vector(), want_grad);
      CHECK_CLOSE_TO(value.to_vector(), std::vector<float>{want_value}, (test::Tolerance{1e-6, 0.0}), "value");

      // Without a gradient buffer only the value is written; it is the same.
      const Tensor value_only = poisoned(Shape{1});
      kernels::cuda::weighted_mse(gpu_exec(), n, da.data(), db.data(), w.with_mask ? dmask.data() : nullptr, w.alpha,
                                  w.beta, value_only.data(), nullptr);
      CHECK_SAME_BITS(value_only.to_vector(), value.to_vector());
    }
  }
}

TEST_CASE("losses: mse_forward and mse_backward match the cpu kernels", "[cuda][losses]") {
  DAE_REQUIRE_CUDA_DEVICE();
  for (const std::int64_t n : {std::int64_t(3), std::int64_t(5000), std::int64_t(70001)}) {
    INFO("n " << n);
    const std::vector<float> a = random_values(n, 4), b = random_values(n, 5);
    float want_value = 0.0f;
    kernels::cpu::mse_forward<float>(cpu_exec(), n, a.data(), b.data(), &want_value);
    const float upstream = 0.75f;
    std::vector<float> want_grad(static_cast<std::size_t>(n));
    kernels::cpu::mse_backward<float>(cpu_exec(), n, a.data(), b.data(), &upstream, want_grad.data());

    const Tensor da = on_gpu(a), db = on_gpu(b), dup = on_gpu({upstream});
    const Tensor value = poisoned(Shape{1}), grad = poisoned(Shape{n});
    kernels::Exec ex = gpu_exec();
    ex.max_blocks = 2;  // the gradient's grid-stride loop goes round many times
    kernels::cuda::mse_forward(ex, n, da.data(), db.data(), value.data());
    kernels::cuda::mse_backward(ex, n, da.data(), db.data(), dup.data(), grad.data());
    CHECK_CLOSE_TO(value.to_vector(), std::vector<float>{want_value}, (test::Tolerance{1e-6, 0.0}), "mse");
    CHECK_SAME_BITS(grad.to_vector(), want_grad);
  }
}

TEST_CASE("losses: sum and mean match the cpu kernels", "[cuda][losses]") {
  DAE_REQUIRE_CUDA_DEVICE();
  for (const std::int64_t n : {std::int64_t(1), std::int64_t(4095), std::int64_t(123457)}) {
    INFO("n " << n);
    const std::vector<float> x = random_values(n, 6, -0.5f, 1.0f);
    float want_sum = 0.0f, want_mean = 0.0f;
    kernels::cpu::sum<float>(cpu_exec(), n, x.data(), &want_sum);
    kernels::cpu::mean<float>(cpu_exec(), n, x.data(), &want_mean);
    const Tensor dx = on_gpu(x), out = poisoned(Shape{2});
    kernels::cuda::sum(gpu_exec(), n, dx.data(), out.data());
    kernels::cuda::mean(gpu_exec(), n, dx.data(), out.data() + 1);
    CHECK_CLOSE_TO(out.to_vector(), (std::vector<float>{want_sum, want_mean}), (test::Tolerance{1e-6, 1e-7}),
                   "sum, mean");
  }
}

}  // namespace
}  // namespace dae::cuda_test
