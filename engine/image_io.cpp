#include "engine/image_io.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/atomic_file.h"
#include "engine/errors.h"

#define STBI_MAX_DIMENSIONS 16384
// Only the formats the documentation lists (less decoder code facing hostile files).
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#endif
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace dae {

namespace {
// stb_image sizes its buffer for a PNG's compressed data from each IDAT
// chunk's length field before reading it, so a header claiming gigabytes
// would be an allocation attempt: every chunk must lie inside the file.
void check_png_chunks(std::string_view bytes, const std::string& source) {
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) return;  // not a PNG
  auto be32 = [&](std::size_t at) {
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data()) + at;
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
  };
  std::size_t at = 8;
  while (at + 8 <= bytes.size()) {
    const std::uint64_t length = be32(at);
    const std::string type(bytes.substr(at + 4, 4));
    DAE_CHECK(length + 12 <= bytes.size() - at, FileError, "'", source, "' is a damaged PNG: its chunk '", type,
              "' at byte ", at, " claims ", length, " bytes, past the end of the ", bytes.size(), "-byte file");
    if (type == "IEND") return;
    at += 12 + length;
  }
}

// Reads the header: size and channels, bounded before anything is decoded.
void read_header(std::string_view bytes, const std::string& source, int* w, int* h, int* file_channels) {
  DAE_CHECK(!bytes.empty(), FileError, "'", source, "' is empty, not an image");
  DAE_CHECK(bytes.size() <= std::size_t(INT32_MAX), FileError, "'", source, "' is too large to be an image");
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), w, h, file_channels) == 0) {
    throw FileError("'" + source + "' is not a readable image (" + std::string(stbi_failure_reason()) +
                    "; PNG, JPEG, BMP, PGM/PPM and TGA are supported)");
  }
  DAE_CHECK(*w > 0 && *h > 0 && *w <= kMaxImageSide && *h <= kMaxImageSide && (long long)*w * *h <= kMaxImagePixels,
            FileError, "'", source, "' claims ", *w, "x", *h, " pixels, more than the ", kMaxImageSide, "x",
            kMaxImageSide, " / ", kMaxImagePixels, "-pixel limit");
}
}  // namespace

Image probe_image(const std::string& path) {
  const std::string bytes = read_file(path, std::size_t(1) << 31);
  Image info;
  int file_channels = 0;
  read_header(bytes, path, &info.width, &info.height, &file_channels);
  info.channels = file_channels <= 2 ? 1 : 3;
  return info;
}

Image decode_image(std::string_view bytes, const std::string& source, int want_channels) {
  DAE_CHECK(want_channels == 0 || want_channels == 1 || want_channels == 3, ArgumentError,
            "images can be read as 1 or 3 channels (asked for ", want_channels, ")");
  DAE_CHECK(bytes.size() <= std::size_t(INT32_MAX), FileError, "'", source, "' is too large to be an image");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = int(bytes.size());
  int w = 0, h = 0, file_channels = 0;
  if (stbi_info_from_memory(data, len, &w, &h, &file_channels) == 0) {
    throw FileError("'" + source + "' is not a readable image (" + std::string(stbi_failure_reason()) +
                    "; PNG, JPEG, BMP and PGM/PPM are supported)");
  }
  DAE_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide && (long long)w * h <= kMaxImagePixels,
            FileError, "'", source, "' claims ", w, "x", h, " pixels, more than the ", kMaxImageSide, "x",
            kMaxImageSide, " / ", kMaxImagePixels, "-pixel limit");
  // stb_image 2.27 reads 16-bit PGM/PPM samples in the wrong byte order and,
  // asked for another channel count, converts them with its 8-bit routine,
  // reading past the end of its buffer: such files are refused.
  const bool pnm = bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6');
  DAE_CHECK(!(pnm && stbi_is_16_bit_from_memory(data, len)), FileError, "'", source,
            "' is a 16-bit PGM/PPM file, which is not supported (convert it to 8 bits or to PNG)");
  check_png_chunks(bytes, source);
  const int channels = want_channels != 0 ? want_channels : (file_channels <= 2 ? 1 : 3);
  int got_w = 0, got_h = 0, got_c = 0;
  stbi_uc* decoded = stbi_load_from_memory(data, len, &got_w, &got_h, &got_c, channels);
  if (decoded == nullptr) {
    throw FileError("'" + source + "' cannot be decoded (" + std::string(stbi_failure_reason()) + ")");
  }
  Image image;
  image.channels = channels;
  image.height = got_h;
  image.width = got_w;
  image.pixels.resize(std::size_t(channels) * got_h * got_w);
  const std::size_t plane = std::size_t(got_h) * got_w;
  for (std::size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < channels; ++c) image.pixels[c * plane + i] = float(decoded[i * channels + c]) / 255.0f;
  }
  stbi_image_free(decoded);
  return image;
}

Image load_image(const std::string& path, int want_channels) {
  return decode_image(read_file(path, std::size_t(1) << 31), path, want_channels);
}

namespace {
void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), std::size_t(size));
}
}  // namespace

std::string encode_png(const float* chw, int channels, int height, int width) {
  DAE_CHECK(channels == 1 || channels == 3, ArgumentError, "PNG output needs 1 or 3 channels (got ", channels, ")");
  DAE_CHECK(height > 0 && width > 0, ArgumentError, "cannot write an empty ", height, "x", width, " image");
  const std::size_t plane = std::size_t(height) * width;
  std::vector<unsigned char> interleaved(plane * channels);
  for (std::size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < channels; ++c) {
      const float v = chw[c * plane + i];
      const float clamped = std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 1.0f);
      interleaved[i * channels + c] = static_cast<unsigned char>(std::lround(clamped * 255.0f));
    }
  }
  std::string out;
  const int ok = stbi_write_png_to_func(append_bytes, &out, width, height, channels, interleaved.data(),
                                        width * channels);
  DAE_CHECK(ok != 0, FileError, "PNG encoding failed");
  return out;
}

void save_png(const std::string& path, const float* chw, int channels, int height, int width) {
  write_file_atomic(path, encode_png(chw, channels, height, width));
}

Tensor image_to_tensor(const Image& image) {
  return Tensor::from_vector(Shape{1, image.channels, image.height, image.width}, image.pixels);
}

void save_tensor_png(const std::string& path, const Tensor& batch, std::int64_t index) {
  DAE_CHECK(batch.rank() == 4 && index >= 0 && index < batch.size(0), ShapeError, "cannot write image ", index, " of ",
            batch.description());
  const Tensor host = batch.to(Device::cpu());
  const std::int64_t per_image = host.numel() / host.size(0);
  save_png(path, host.data() + index * per_image, int(host.size(1)), int(host.size(2)), int(host.size(3)));
}

}  // namespace dae
