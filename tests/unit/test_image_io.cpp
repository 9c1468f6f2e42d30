// The image loader wrapper around stb_image: 16-bit PGM/PPM files, which
// stb_image 2.27 decodes in the wrong byte order and whose channel conversion
// reads past its buffer (found by the fuzz_image target), are refused with an
// error naming the file; 8-bit PGM still decodes, as gray or RGB.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/image_io.h"

namespace {

// A binary PGM (P5) or PPM (P6) with 8- or 16-bit samples (16: big-endian).
std::string pnm(int channels, int width, int height, int maxval, const std::vector<int>& samples) {
  std::string s = std::string(channels == 1 ? "P5" : "P6") + "\n" + std::to_string(width) + " " +
                  std::to_string(height) + "\n" + std::to_string(maxval) + "\n";
  for (const int v : samples) {
    if (maxval > 255) s.push_back(char(v >> 8));
    s.push_back(char(v & 0xff));
  }
  return s;
}

}  // namespace

TEST_CASE("images: 16-bit PGM and PPM files are refused with an error naming the file, for every channel request",
          "[image]") {
  const std::vector<std::string> files = {
      pnm(1, 3, 2, 65535, {0, 0x1234, 0x8000, 0xabff, 0xff00, 0xffff}),
      pnm(3, 1, 2, 1000, {1, 2, 3, 4, 5, 6}),
      // The fuzz_image finding: 3 x 2 samples of maxval 749 announced, 6 bytes given.
      std::string("P5\n3 2\n749\n") + std::string("\x00\x01\x02\x03\x04\x05", 6),
  };
  for (const std::string& file : files) {
    for (const int channels : {0, 1, 3}) {
      INFO("channels " << channels << ", header " << file.substr(0, 12));
      try {
        (void)dae::decode_image(file, "deep.pgm", channels);
        FAIL("a 16-bit PNM file decoded");
      } catch (const dae::FileError& e) {
        const std::string what = e.what();
        REQUIRE(what.find("'deep.pgm'") != std::string::npos);
        REQUIRE(what.find("16-bit") != std::string::npos);
      }
    }
  }
}

TEST_CASE("images: an 8-bit PGM decodes as gray and as RGB, the RGB planes repeating the gray one", "[image]") {
  const std::vector<int> samples = {0, 18, 128, 171, 254, 255};
  const std::string file = pnm(1, 3, 2, 255, samples);
  const dae::Image gray = dae::decode_image(file, "gray.pgm", 0);
  REQUIRE(gray.channels == 1);
  REQUIRE(gray.width == 3);
  REQUIRE(gray.height == 2);
  for (std::size_t i = 0; i < samples.size(); ++i) REQUIRE(gray.pixels[i] == float(samples[i]) / 255.0f);
  const dae::Image rgb = dae::decode_image(file, "gray.pgm", 3);
  REQUIRE(rgb.channels == 3);
  for (int c = 0; c < 3; ++c) {
    for (std::size_t i = 0; i < samples.size(); ++i) REQUIRE(rgb.pixels[c * samples.size() + i] == gray.pixels[i]);
  }
}

TEST_CASE("images: a PNG chunk claiming more bytes than the file holds is an error, not an allocation", "[image]") {
  const std::vector<float> pixels = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.5f};
  std::string png = dae::encode_png(pixels.data(), 1, 2, 3);
  REQUIRE(dae::decode_image(png, "small.png", 1).pixels.size() == 6);  // the file as written decodes
  const std::size_t idat = png.find("IDAT");
  REQUIRE(idat != std::string::npos);
  // The length field before the type: 1.66 GB (the fuzz_image finding).
  png[idat - 4] = char(0x63);
  png[idat - 3] = char(0x00);
  png[idat - 2] = char(0x00);
  png[idat - 1] = char(0x20);
  try {
    (void)dae::decode_image(png, "small.png", 1);
    FAIL("a PNG with an impossible chunk length decoded");
  } catch (const dae::FileError& e) {
    const std::string what = e.what();
    INFO(what);
    REQUIRE(what.find("'small.png'") != std::string::npos);
    REQUIRE(what.find("chunk 'IDAT'") != std::string::npos);
    REQUIRE(what.find("claims 1660944416 bytes") != std::string::npos);
  }
}
