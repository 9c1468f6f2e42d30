// Kernels of the perceptual loss (SPEC §5) on the CPU: the input
// normalisation of VGG, the fused feature distance of one layer, and the
// pooling of a corruption mask to a layer's resolution.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

// y[n][c] = x[n][src[c]] * scale[c] + shift[c] for c < out_channels (pixel-wise).
// x: [batch, in_channels, pixels], y: [batch, out_channels, pixels]. Overwrites y.
void channel_map_forward(const Exec& ex, const ChannelMapParams& p, const float* x, float* y);
// grad_x[n][k] = sum over c with src[c] == k of grad_y[n][c] * scale[c]. Overwrites grad_x.
void channel_map_backward(const Exec& ex, const ChannelMapParams& p, const float* grad_y, float* grad_x);

// The fused distance of one layer, value and gradient in one pass:
//   w(n, p)    = weight_map ? weight_map[n * pixels + p] : 1
//   value[0]   = scale * sum_{n, c, p} w(n, p) (a - b)^2
//   grad_a     = 2 scale w(n, p) (a - b)           (skipped when grad_a is null)
// a, b, grad_a: [batch, channels, pixels]; weight_map: [batch, pixels] or null.
// Deterministic (kernels/cpu/chunked_sum.h).
void feature_distance(const Exec& ex, const FeatureDistanceShape& s, const float* a, const float* b,
                      const float* weight_map, float scale, float* value, float* grad_a);

// The mask-aware weight map of --perc-mask at a layer `factor` times smaller
// than the image: m = mean of mask over its channels and each factor x factor
// window (floor-mode windows, as the VGG max-pooling), then
// weight = alpha * m + beta * (1 - m).
// mask: [batch, channels, height, width]; out: [batch, height / factor, width / factor].
void mask_weight_map(const Exec& ex, const MaskPoolShape& s, const float* mask, float alpha, float beta, float* out);

}  // namespace dae::kernels::cpu
