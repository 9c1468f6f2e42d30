#include <catch2/catch.hpp>

#include "engine/ops.h"
#include "engine/random.h"
#include "losses/loss.h"
#include "losses/pixel.h"
#include "noise/noise.h"

using namespace dae;

TEST_CASE("emphasized MSE with alpha = beta = 1 equals plain MSE exactly, value and gradient", "[loss]") {
  Generator gen(5);
  for (Shape shape : {Shape{1, 1, 7, 9}, Shape{3, 3, 33, 31}, Shape{64, 1, 28, 28}}) {
    const Tensor clean = Tensor::uniform(shape, 0.0f, 1.0f, gen);
    const Tensor noisy = Tensor::uniform(shape, 0.0f, 1.0f, gen);
    const Corruption c = corrupt(clean, parse_noise("mask:p=0.4"), 1, 1);
    Tensor a = noisy.clone().set_requires_grad(true), b = noisy.clone().set_requires_grad(true);
    const Tensor emphasized = emphasized_mse(a, clean, c.mask, 1.0f, 1.0f);
    const Tensor plain = mse_loss(b, clean);
    REQUIRE(emphasized.item() == plain.item());
    emphasized.backward();
    plain.backward();
    REQUIRE(a.grad().to_vector() == b.grad().to_vector());
  }
}

TEST_CASE("emphasized MSE weighs corrupted and kept elements by alpha and beta", "[loss]") {
  // 4 elements, two corrupted: d = (1, 2, 3, 4), mask = (1, 0, 1, 0).
  const Tensor clean = Tensor::zeros(Shape{1, 1, 2, 2});
  Tensor out = Tensor::from_vector(Shape{1, 1, 2, 2}, {1, 2, 3, 4}).set_requires_grad(true);
  const Tensor mask = Tensor::from_vector(Shape{1, 1, 2, 2}, {1, 0, 1, 0});
  const Tensor loss = emphasized_mse(out, clean, mask, 2.0f, 0.5f);
  // (2 * (1 + 9) + 0.5 * (4 + 16)) / 4 = 7.5
  REQUIRE(loss.item() == Approx(7.5f));
  (loss * 3.0f).backward();  // the upstream gradient scales the saved one
  // 3 * 2 w d / 4
  REQUIRE(out.grad().to_vector() == std::vector<float>{3.0f, 1.5f, 9.0f, 3.0f});
}

TEST_CASE("the training loss picks alpha and beta by the noise kind unless given", "[loss]") {
  const TrainingLoss defaults(parse_loss_spec("mse"), LossOptions{});
  REQUIRE(defaults.emphasis(parse_noise_spec("gaussian:sigma=0.2")) == std::pair{1.0f, 1.0f});
  REQUIRE(defaults.emphasis(parse_noise_spec("block")) == std::pair{1.0f, 0.5f});
  LossOptions given;
  given.alpha = 3.0f;
  given.beta = 0.25f;
  REQUIRE(TrainingLoss(parse_loss_spec("mse"), given).emphasis(parse_noise_spec("mask")) == std::pair{3.0f, 0.25f});
  REQUIRE_THROWS_WITH(parse_loss_spec("l2"), Catch::Contains("'l2'"));
  REQUIRE_THROWS_WITH(TrainingLoss(parse_loss_spec("mse+perceptual"), LossOptions{}), Catch::Contains("--vgg"));
}
