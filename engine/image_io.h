// Images in and out (SPEC §3): PNG, JPEG, BMP, PGM/PPM in through stb_image,
// PNG out through stb_image_write. 8-bit values map to [0, 1] as v / 255 and
// back as round(v * 255) (round to nearest; values outside [0, 1] are clamped).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/tensor.h"

namespace dae {

// Largest image accepted, checked from the file's header before decoding.
constexpr int kMaxImageSide = 16384;
constexpr long long kMaxImagePixels = 1LL << 26;  // 64 Mpixel

struct Image {
  int channels = 0, height = 0, width = 0;
  std::vector<float> pixels;  // [channels][height][width], values in [0, 1]
};

// Decodes an image file held in memory. want_channels: 0 keeps the file's
// colour (gray stays 1 channel, colour becomes 3; alpha is dropped), 1 or 3
// converts. Throws dae::FileError naming `source` and the problem.
Image decode_image(std::string_view bytes, const std::string& source, int want_channels = 0);
Image load_image(const std::string& path, int want_channels = 0);
// The size and channels of an image file from its header alone (no pixels
// decoded; `pixels` stays empty). Throws like decode_image.
Image probe_image(const std::string& path);

// PNG bytes of a [C, H, W] float image (C = 1 or 3).
std::string encode_png(const float* chw, int channels, int height, int width);
// Writes a PNG atomically.
void save_png(const std::string& path, const float* chw, int channels, int height, int width);

// [1, C, H, W] tensor view helpers.
Tensor image_to_tensor(const Image& image);
// Writes image `index` of a [N, C, H, W] tensor (any device) as a PNG.
void save_tensor_png(const std::string& path, const Tensor& batch, std::int64_t index = 0);

}  // namespace dae
