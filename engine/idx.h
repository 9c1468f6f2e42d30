// IDX files (the format of MNIST and Fashion-MNIST), gzipped or not.
//
//   bytes 0-1  zero            byte 2  element type (0x08 = unsigned byte)
//   byte 3     number of dimensions D (1..4)
//   then D big-endian uint32 sizes, then the elements, row-major.
//
// The claimed size is checked against a bound before anything is allocated,
// and the data must be exactly as long as the sizes say. Errors throw
// dae::FileError naming the file and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dae {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // row-major unsigned bytes
};

// Largest element count accepted (1 GiB of bytes: far above any MNIST file).
constexpr std::uint64_t kMaxIdxElements = std::uint64_t(1) << 30;

// Parses an IDX file held in memory (gzip-compressed or plain); `source` names it in errors.
IdxArray parse_idx(std::string_view bytes, const std::string& source);
IdxArray read_idx(const std::string& path);

}  // namespace dae
