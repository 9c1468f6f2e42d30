// The portable noise tile loops: one Philox block at a time in plain C++
// (ScalarLanes), compiled for the project's baseline. DAE_CPU_BASELINE=1
// selects them on any machine. Compiled with -ffp-contract=off.
#include "kernels/cpu/noise_tiles.h"

#include "kernels/cpu/noise_tiles_impl.h"

namespace dae::kernels::cpu {

namespace {
constexpr NoiseTileOps kPortableOps = make_tile_ops<ScalarLanes>("portable");
}  // namespace

const NoiseTileOps& noise_tiles_portable() { return kPortableOps; }

}  // namespace dae::kernels::cpu
