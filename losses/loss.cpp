#include "losses/loss.h"

#include "engine/errors.h"
#include "engine/ops.h"
#include "losses/perceptual.h"
#include "losses/pixel.h"

namespace dae {

LossSpec parse_loss_spec(std::string_view text) {
  LossSpec spec;
  spec.text = std::string(text);
  if (text == "mse") {
    spec.pixel = true;
    spec.perceptual = false;
  } else if (text == "perceptual") {
    spec.pixel = false;
    spec.perceptual = true;
  } else if (text == "mse+perceptual" || text == "perceptual+mse") {
    spec.pixel = true;
    spec.perceptual = true;
  } else {
    throw ArgumentError("bad loss spec '" + std::string(text) + "' (expected mse, perceptual or mse+perceptual)");
  }
  return spec;
}

TrainingLoss::TrainingLoss(LossSpec spec, LossOptions options, std::shared_ptr<PerceptualLoss> perceptual)
    : spec_(std::move(spec)), options_(options), perceptual_(std::move(perceptual)) {
  DAE_CHECK(!spec_.perceptual || perceptual_ != nullptr, ArgumentError, "--loss ", spec_.text,
            " needs VGG weights (--vgg FILE)");
  for (const auto& [name, v] : {std::pair{"--alpha", options_.alpha}, std::pair{"--beta", options_.beta}}) {
    DAE_CHECK(std::isnan(v) || (std::isfinite(v) && v >= 0.0f), ArgumentError, name, " must be a finite number >= 0 (got ",
              v, ")");
  }
  DAE_CHECK(std::isfinite(options_.lambda_pix) && options_.lambda_pix >= 0.0f, ArgumentError,
            "--lambda-pix must be >= 0 (got ", options_.lambda_pix, ")");
  DAE_CHECK(std::isfinite(options_.lambda_perc) && options_.lambda_perc >= 0.0f, ArgumentError,
            "--lambda-perc must be >= 0 (got ", options_.lambda_perc, ")");
}

std::pair<float, float> TrainingLoss::emphasis(const NoiseSpec& noise) const {
  return {std::isnan(options_.alpha) ? noise.default_alpha() : options_.alpha,
          std::isnan(options_.beta) ? noise.default_beta() : options_.beta};
}

LossTerms TrainingLoss::operator()(const Tensor& output, const Tensor& clean, const Tensor& mask,
                                   const NoiseSpec& noise) const {
  LossTerms terms;
  if (spec_.pixel) {
    const auto [alpha, beta] = emphasis(noise);
    terms.pixel = emphasized_mse(output, clean, mask, alpha, beta);
    terms.total = options_.lambda_pix == 1.0f ? terms.pixel : mul(terms.pixel, options_.lambda_pix);
  }
  if (spec_.perceptual) {
    const auto [alpha, beta] = emphasis(noise);
    PerceptualResult perc = (*perceptual_)(output, clean, mask, alpha, beta);
    terms.perceptual = perc.total;
    terms.layers = std::move(perc.layers);
    const Tensor weighted = options_.lambda_perc == 1.0f ? perc.total : mul(perc.total, options_.lambda_perc);
    terms.total = terms.total.defined() ? add(terms.total, weighted) : weighted;
  }
  return terms;
}

}  // namespace dae
