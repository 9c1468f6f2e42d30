// State of the emulated device shared between the runtime API and the
// launcher (internal to the emulator).
#pragma once

#include "kernels/emu/types.h"

namespace dae::emu {

// True for the default stream (null, cudaStreamLegacy, cudaStreamPerThread)
// and for streams created and not yet destroyed.
bool stream_is_valid(cudaStream_t stream);

}  // namespace dae::emu
