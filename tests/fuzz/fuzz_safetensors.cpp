// libFuzzer target: the safetensors reader must either parse a file or throw
// dae::FileError; anything else (a crash, another exception, a sanitizer
// report, a huge allocation) is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/errors.h"
#include "engine/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    dae::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
  } catch (const dae::FileError&) {
  }
  return 0;
}
