#include "engine/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "engine/atomic_file.h"
#include "engine/errors.h"

namespace dae {

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FileError("'" + source + "' is not a valid IDX file: " + what);
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && std::uint8_t(bytes[0]) == 0x1f && std::uint8_t(bytes[1]) == 0x8b;
}

// Inflates a gzip stream, stopping with an error once more than max_out bytes come out.
std::string gunzip(std::string_view in, std::size_t max_out, const std::string& source) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(source, "cannot initialise zlib");
  std::string out;
  out.resize(std::min<std::size_t>(max_out + 1, std::max<std::size_t>(in.size() * 4, 1 << 16)));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(std::min<std::size_t>(in.size(), UINT32_MAX));
  std::size_t produced = 0;
  int status = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() > max_out) break;
      out.resize(std::min<std::size_t>(max_out + 1, out.size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = uInt(std::min<std::size_t>(out.size() - produced, UINT32_MAX));
    const uInt before = zs.avail_out;
    status = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    if (status == Z_STREAM_END) break;
    if (status != Z_OK && status != Z_BUF_ERROR) {
      inflateEnd(&zs);
      fail(source, std::string("corrupt gzip data (") + (zs.msg != nullptr ? zs.msg : "zlib error") + ")");
    }
    if (status == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      fail(source, "the gzip stream is truncated");
    }
  }
  inflateEnd(&zs);
  if (produced > max_out) fail(source, concat("decompresses to more than ", max_out, " bytes"));
  out.resize(produced);
  return out;
}

}  // namespace

IdxArray parse_idx(std::string_view bytes, const std::string& source) {
  std::string inflated;
  if (is_gzip(bytes)) {
    inflated = gunzip(bytes, std::size_t(kMaxIdxElements) + 4 + 4 * 4, source);
    bytes = inflated;
  }
  if (bytes.size() < 4) fail(source, concat("only ", bytes.size(), " bytes, fewer than the 4-byte magic"));
  const auto byte = [&](std::size_t i) { return std::uint8_t(bytes[i]); };
  if (byte(0) != 0 || byte(1) != 0) fail(source, "the magic number does not start with two zero bytes");
  if (byte(2) != 0x08) fail(source, concat("element type 0x", std::hex, int(byte(2)), " is not unsigned byte (0x08)"));
  const int rank = byte(3);
  if (rank < 1 || rank > 4) fail(source, concat(rank, " dimensions (expected 1 to 4)"));
  const std::size_t header = 4 + 4 * std::size_t(rank);
  if (bytes.size() < header) fail(source, "the header is truncated");
  IdxArray out;
  std::uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const std::size_t at = 4 + 4 * std::size_t(d);
    const std::uint32_t size = (std::uint32_t(byte(at)) << 24) | (std::uint32_t(byte(at + 1)) << 16) |
                               (std::uint32_t(byte(at + 2)) << 8) | std::uint32_t(byte(at + 3));
    out.dims.push_back(size);
    count *= size;
    if (count > kMaxIdxElements) fail(source, concat("the header claims more than ", kMaxIdxElements, " elements"));
  }
  const std::uint64_t have = bytes.size() - header;
  if (have != count) {
    fail(source, concat("the header claims ", count, " elements but the file holds ", have,
                        have < count ? " (truncated?)" : " (trailing data)"));
  }
  out.data.assign(bytes.begin() + std::ptrdiff_t(header), bytes.end());
  return out;
}

IdxArray read_idx(const std::string& path) {
  return parse_idx(read_file(path, std::size_t(kMaxIdxElements) + 64), path);
}

}  // namespace dae
