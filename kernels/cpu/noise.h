// Fused corruption kernels on the CPU: one pass that draws, corrupts, clips
// and writes the mask. Models and random streams: kernels/common/noise_body.h.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/noise_body.h"

namespace dae::kernels::cpu {

// y = corrupt(x); mask[e] = 1 where element e was corrupted, else 0.
// x, y: [batch, channels, height, width]; mask: same element count (1.0f corrupted, 0.0f kept).
// y may not alias x. The result does not depend on ex.n_threads.
void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask);

}  // namespace dae::kernels::cpu
