#include <catch2/catch.hpp>

#include "engine/autograd.h"
#include "engine/errors.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "engine/tensor.h"

using namespace dae;

TEST_CASE("tensor factories fill every element", "[tensor]") {
  Tensor t = Tensor::full(Shape{2, 3, 4, 5}, 2.5f);
  REQUIRE(t.numel() == 120);
  for (float v : t.host()) REQUIRE(v == 2.5f);
  REQUIRE(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
}

TEST_CASE("reshape shares storage and checks the element count", "[tensor]") {
  Tensor t = Tensor::zeros(Shape{4, 6});
  Tensor r = t.reshape(Shape{2, 12});
  REQUIRE(r.data() == t.data());
  REQUIRE_THROWS_AS(t.reshape(Shape{5, 5}), ShapeError);
}

TEST_CASE("a cuda tensor without a usable GPU fails with one clear message", "[tensor][device]") {
  if (cuda_device_count() > 0) {
    SUCCEED("a GPU is present; nothing to check here");
    return;
  }
  try {
    Tensor::zeros(Shape{3}, Device::cuda(0));
    FAIL("expected a DeviceError");
  } catch (const DeviceError& e) {
    const std::string message = e.what();
    INFO(message);
    REQUIRE(message.find("cuda:0") != std::string::npos);
  }
}

TEST_CASE("host access to device memory is refused", "[tensor]") {
  REQUIRE_THROWS_AS(Device::parse("gpu"), ArgumentError);
  REQUIRE(Device::parse("cuda:3") == Device::cuda(3));
}

TEST_CASE("autograd accumulates gradients through a shared input", "[autograd]") {
  Tensor x = Tensor::from_vector(Shape{3}, {1.0f, -2.0f, 3.0f}).set_requires_grad(true);
  Tensor y = sum(mul(x, x) + x);  // dy/dx = 2x + 1
  y.backward();
  const std::vector<float> g = x.grad().to_vector();
  REQUIRE(g == std::vector<float>{3.0f, -3.0f, 7.0f});
}

TEST_CASE("no-grad guard records nothing", "[autograd]") {
  Tensor x = Tensor::ones(Shape{2}).set_requires_grad(true);
  autograd::NoGradGuard guard;
  Tensor y = x * 2.0f;
  REQUIRE_FALSE(y.requires_grad());
  REQUIRE(y.grad_fn() == nullptr);
}

TEST_CASE("backward twice through a freed graph is an error", "[autograd]") {
  Tensor x = Tensor::ones(Shape{2}).set_requires_grad(true);
  Tensor y = sum(relu(x * 3.0f));
  y.backward();
  REQUIRE_THROWS_AS(y.backward(), ShapeError);
}
