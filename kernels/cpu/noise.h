// Fused corruption kernels on the CPU: one pass that draws, corrupts, clips
// and writes the mask. Models and random streams: kernels/common/noise_body.h.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/common/exec.h"
#include "kernels/common/noise_body.h"

namespace dae::kernels::cpu {

// y = corrupt(x); mask[e] = 1 where element e was corrupted, else 0.
// x, y: [batch, channels, height, width]; mask: same element count (1.0f corrupted, 0.0f kept).
// y may not alias x. The result does not depend on ex.n_threads, nor on the
// instruction-set path: every path gives the bits of noise_body.h's
// per-element functions. Runs the widest path best_noise_isa() names.
void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask);

// The instruction-set paths of corrupt(), narrowest first.
enum class NoiseIsa : int { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

const char* noise_isa_name(NoiseIsa isa);  // "portable", "avx2", "avx512"

// The paths this CPU can run (kPortable always, first), whatever
// DAE_CPU_BASELINE says: the tests run each of them.
std::vector<NoiseIsa> supported_noise_isas();

// The path corrupt() takes: the widest supported one, or kPortable when
// DAE_CPU_BASELINE=1 (kernels/cpu/cpu_features.h).
NoiseIsa best_noise_isa();

// How y and the mask are written. Non-temporal ("streaming") stores go
// straight to memory without first reading each line into the cache: less
// memory traffic for outputs far larger than the cache, but the next op then
// finds nothing cached. kAuto streams when x, y and the mask together exceed
// the last-level cache. The bits are the same either way.
enum class NoiseStores : int { kAuto = 0, kCached = 1, kStreaming = 2 };

// corrupt() on a chosen path and store kind; throws std::invalid_argument
// when this CPU cannot run the path.
void corrupt_with(NoiseIsa isa, NoiseStores stores, const Exec& ex, const NoiseParams& p, const ImageShape& s,
                  const float* x, float* y, float* mask);

}  // namespace dae::kernels::cpu
