// libFuzzer target: the IDX reader (plain and gzip) parses or throws dae::FileError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/errors.h"
#include "engine/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    dae::parse_idx(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.idx");
  } catch (const dae::FileError&) {
  }
  return 0;
}
