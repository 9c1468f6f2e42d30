// libFuzzer target: the image loader wrapper (stb_image behind size checks)
// decodes or throws dae::FileError, for gray, colour and as-is requests.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/errors.h"
#include "engine/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int channels : {0, 1, 3}) {
    try {
      const dae::Image image = dae::decode_image(bytes, "fuzz.png", channels);
      if (image.pixels.size() != std::size_t(image.channels) * image.height * image.width) __builtin_trap();
    } catch (const dae::FileError&) {
    }
  }
  return 0;
}
