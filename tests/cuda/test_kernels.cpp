// Smaller pieces of the CUDA backend: the fast divisor, im2col / col2im (the
// cuBLAS path's kernels), the SGD update and max pooling, with grids smaller
// than the problem (grid-stride loops) and NaN-poisoned outputs.
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/common/shapes.h"
#include "kernels/cpu/im2col.h"
#include "kernels/cpu/pooling.h"
#include "kernels/cpu/sgd.h"
#include "kernels/cuda/fast_divmod.h"
#include "kernels/cuda/im2col.h"
#include "kernels/cuda/pooling.h"
#include "kernels/cuda/sgd.h"
#include "tests/cuda/cuda_test_support.h"

namespace dae::cuda_test {
namespace {

TEST_CASE("kernels: FastDivmod divides exactly for every 31-bit dividend", "[cuda][kernels]") {
  // No GPU needed: the same code runs on the host.
  Generator gen(42);
  std::vector<int> divisors;
  for (int d = 1; d <= 3000; ++d) divisors.push_back(d);
  for (int i = 0; i < 300; ++i) divisors.push_back(1 + int(gen.below(std::uint64_t(1) << 31) % 0x7fffffff));
  for (int d : {65535, 65536, 65537, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, 0x7fffffff}) divisors.push_back(d);
  int failures = 0;
  for (const int d : divisors) {
    const kernels::cuda::FastDivmod fast(d);
    auto check = [&](int n) {
      int q, r;
      fast.divmod(n, q, r);
      if ((q != n / d || r != n % d) && failures++ < 5) FAIL_CHECK(n << " / " << d << " gave " << q << " rem " << r);
    };
    for (int n = 0; n < 2000; ++n) check(n);
    for (int k = 1; k < 64; ++k) {  // around multiples of d
      const std::int64_t m = std::int64_t(d) * k;
      for (std::int64_t n = m - 2; n <= m + 2; ++n) {
        if (n >= 0 && n <= std::numeric_limits<int>::max()) check(int(n));
      }
    }
    for (int i = 0; i < 200; ++i) check(int(gen.below(std::uint64_t(1) << 31)));
    check(std::numeric_limits<int>::max());
  }
  CHECK(failures == 0);
}

TEST_CASE("kernels: im2col and col2im match the cpu, for any grid", "[cuda][kernels]") {
  DAE_REQUIRE_CUDA_DEVICE();
  kernels::Conv2dShape s;
  s.batch = 3;
  s.in_channels = 2;
  s.out_channels = 1;
  s.in_height = 9;
  s.in_width = 7;
  s.kernel_h = 3;
  s.kernel_w = 2;
  s.stride = 2;
  s.padding = 1;
  s.out_height = (9 + 2 - 3) / 2 + 1;
  s.out_width = (7 + 2 - 2) / 2 + 1;
  const std::int64_t col_per_image = std::int64_t(s.in_channels) * 6 * s.out_height * s.out_width;
  const std::int64_t in_per_image = std::int64_t(s.in_channels) * s.in_height * s.in_width;
  const std::vector<float> x = random_values(s.batch * in_per_image, 1);
  const std::vector<float> col = random_values(s.batch * col_per_image, 2);
  std::vector<float> want_col(static_cast<std::size_t>(s.batch * col_per_image));
  std::vector<float> want_x(static_cast<std::size_t>(s.batch * in_per_image), 0.0f);
  for (int n = 0; n < s.batch; ++n) {
    kernels::cpu::im2col<float>(s, x.data() + n * in_per_image, want_col.data() + n * col_per_image);
    kernels::cpu::col2im_add<float>(s, col.data() + n * col_per_image, want_x.data() + n * in_per_image);
  }
  for (int max_blocks : {0, 1, 3}) {
    INFO("max_blocks " << max_blocks);
    kernels::Exec ex = gpu_exec();
    ex.max_blocks = max_blocks;
    const Tensor dx = on_gpu(x), dcol = on_gpu(col);
    const Tensor got_col = poisoned(Shape{s.batch * col_per_image});
    const Tensor got_x = poisoned(Shape{s.batch * in_per_image});
    kernels::cuda::im2col(ex, s, dx.data(), s.batch, got_col.data());
    kernels::cuda::col2im(ex, s, dcol.data(), s.batch, got_x.data());
    CHECK_SAME_BITS(got_col.to_vector(), want_col);
    CHECK_SAME_BITS(got_x.to_vector(), want_x);  // the same additions in the same order
  }
}

TEST_CASE("kernels: sgd_update gives the cpu's bits, for any grid", "[cuda][kernels]") {
  DAE_REQUIRE_CUDA_DEVICE();
  const std::int64_t n = 300007;
  const std::vector<float> param = random_values(n, 3), grad = random_values(n, 4), buffer = random_values(n, 5);
  struct Case {
    float momentum, dampening, weight_decay;
    bool nesterov, first_step;
  };
  for (const Case c : {Case{0.0f, 0.0f, 0.0f, false, true}, Case{0.9f, 0.0f, 1e-4f, false, true},
                       Case{0.9f, 0.1f, 5e-4f, false, false}, Case{0.9f, 0.0f, 1e-4f, true, false}}) {
    kernels::SgdParams p;
    p.lr = 0.05f;
    p.momentum = c.momentum;
    p.dampening = c.dampening;
    p.weight_decay = c.weight_decay;
    p.nesterov = c.nesterov;
    p.first_step = c.first_step;
    std::vector<float> want_param = param, want_buffer = buffer;
    kernels::cpu::sgd_update<float>(cpu_exec(), n, p, want_param.data(), grad.data(),
                                    p.momentum != 0.0f ? want_buffer.data() : nullptr);
    for (int max_blocks : {0, 1, 7}) {
      INFO("momentum " << c.momentum << ", nesterov " << c.nesterov << ", first " << c.first_step << ", max_blocks "
                       << max_blocks);
      kernels::Exec ex = gpu_exec();
      ex.max_blocks = max_blocks;
      const Tensor dparam = on_gpu(param), dgrad = on_gpu(grad), dbuffer = on_gpu(buffer);
      kernels::cuda::sgd_update(ex, n, p, dparam.data(), dgrad.data(),
                                p.momentum != 0.0f ? dbuffer.data() : nullptr);
      CHECK_SAME_BITS(dparam.to_vector(), want_param);
      if (p.momentum != 0.0f) CHECK_SAME_BITS(dbuffer.to_vector(), want_buffer);
    }
  }
}

TEST_CASE("kernels: max pooling gives the cpu's bits, NaN included, for any grid", "[cuda][kernels]") {
  DAE_REQUIRE_CUDA_DEVICE();
  struct Case {
    int kernel, stride, padding, height, width;
  };
  for (const Case c : {Case{2, 2, 0, 9, 7}, Case{3, 2, 1, 8, 11}, Case{3, 1, 1, 5, 5}, Case{2, 3, 1, 10, 4}}) {
    kernels::Pool2dShape s;
    s.batch = 2;
    s.channels = 3;
    s.in_height = c.height;
    s.in_width = c.width;
    s.kernel = c.kernel;
    s.stride = c.stride;
    s.padding = c.padding;
    s.out_height = (c.height + 2 * c.padding - c.kernel) / c.stride + 1;
    s.out_width = (c.width + 2 * c.padding - c.kernel) / c.stride + 1;
    std::vector<float> x = random_values(s.input_size(), 6);
    for (std::size_t i = 0; i < x.size(); i += 5) x[i] = x[i / 2];  // ties: the first maximum must win
    x[7] = std::numeric_limits<float>::quiet_NaN();                 // NaN propagates
    const std::vector<float> gy = random_values(s.output_size(), 7);
    std::vector<float> want_y(static_cast<std::size_t>(s.output_size()));
    std::vector<float> want_gx(static_cast<std::size_t>(s.input_size()));
    std::vector<std::int32_t> want_arg(static_cast<std::size_t>(s.output_size()));
    kernels::cpu::max_pool2d_forward<float>(cpu_exec(), s, x.data(), want_y.data(), want_arg.data());
    kernels::cpu::max_pool2d_backward<float>(cpu_exec(), s, gy.data(), want_arg.data(), want_gx.data());
    for (int max_blocks : {0, 1}) {
      INFO("kernel " << c.kernel << ", stride " << c.stride << ", padding " << c.padding << ", max_blocks "
                     << max_blocks);
      kernels::Exec ex = gpu_exec();
      ex.max_blocks = max_blocks;
      const Tensor dx = on_gpu(x), dgy = on_gpu(gy);
      const Tensor y = poisoned(Shape{s.output_size()}), arg = poisoned(Shape{s.output_size()});
      const Tensor gx = poisoned(Shape{s.input_size()});
      auto* argmax = reinterpret_cast<std::int32_t*>(arg.data());
      kernels::cuda::max_pool2d_forward(ex, s, dx.data(), y.data(), argmax);
      kernels::cuda::max_pool2d_backward(ex, s, dgy.data(), argmax, gx.data());
      CHECK_SAME_BITS(y.to_vector(), want_y);
      const std::vector<float> arg_bits = arg.to_vector();
      CHECK(std::memcmp(arg_bits.data(), want_arg.data(), want_arg.size() * sizeof(std::int32_t)) == 0);
      CHECK_SAME_BITS(gx.to_vector(), want_gx);
    }
  }
}

}  // namespace
}  // namespace dae::cuda_test
