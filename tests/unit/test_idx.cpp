#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/atomic_file.h"
#include "engine/datasets.h"
#include "engine/errors.h"
#include "engine/idx.h"

using namespace dae;

namespace {

std::string idx_bytes(std::vector<std::uint32_t> dims, const std::string& data, std::uint8_t type = 0x08) {
  std::string out = {0, 0, char(type), char(dims.size())};
  for (std::uint32_t d : dims) {
    out += char(d >> 24);
    out += char(d >> 16);
    out += char(d >> 8);
    out += char(d);
  }
  return out + data;
}

std::string gzip(const std::string& plain) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, uLong(plain.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = uInt(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_idx(bytes, "images.idx");
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("idx: plain and gzipped files give the same array", "[idx]") {
  const std::string data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::string plain = idx_bytes({3, 2, 2}, data);
  for (const std::string& bytes : {plain, gzip(plain)}) {
    const IdxArray a = parse_idx(bytes, "x");
    REQUIRE(a.dims == std::vector<std::uint32_t>{3, 2, 2});
    REQUIRE(a.data == std::vector<std::uint8_t>(data.begin(), data.end()));
  }
}

TEST_CASE("idx: damaged files are errors naming the file and the problem", "[idx]") {
  const std::string plain = idx_bytes({2, 2, 2}, std::string(8, 'x'));
  const std::string gz = gzip(plain);
  struct Case {
    const char* what;
    std::string bytes;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"empty", "", "fewer than the 4-byte magic"},
      {"bad magic", "\x01\x00\x08\x03" + plain.substr(4), "two zero bytes"},
      {"float elements", idx_bytes({2}, std::string(8, 'x'), 0x0d), "not unsigned byte"},
      {"zero dimensions", idx_bytes({}, ""), "0 dimensions"},
      {"truncated data", plain.substr(0, plain.size() - 3), "truncated"},
      {"trailing data", plain + "zz", "trailing data"},
      {"header claims 10^12 elements", idx_bytes({1000000, 1000, 1000}, "abc"), "claims more than"},
      {"truncated gzip", gz.substr(0, gz.size() / 2), "gzip"},
      {"corrupt gzip", gz.substr(0, 10) + std::string(gz.size() - 10, '\x55'), "gzip"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::string message = error_of(c.bytes);
    INFO(message);
    REQUIRE(message.find("images.idx") != std::string::npos);
    REQUIRE(message.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("data sets: synthetic images are deterministic, in range and not blank", "[data]") {
  DataOptions o;
  o.source = "synthetic";
  const auto train = open_dataset(o, Split::kTrain);
  const auto test = open_dataset(o, Split::kTest);
  REQUIRE(train->size() == 10000);
  REQUIRE(test->size() == 1000);
  const Tensor a = load_images(*train, 0, 4), b = load_images(*train, 0, 4), t = load_images(*test, 0, 4);
  REQUIRE(a.to_vector() == b.to_vector());
  REQUIRE(a.to_vector() != t.to_vector());
  float lo = 1, hi = 0;
  for (float v : a.host()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  REQUIRE(lo >= 0.0f);
  REQUIRE(hi <= 1.0f);
  REQUIRE(hi - lo > 0.3f);
  o.channels = 3;
  REQUIRE(open_dataset(o, Split::kTrain)->channels() == 3);
}

TEST_CASE("batch loader: unshuffled batch k holds images kB to (k+1)B, shuffled epochs are permutations",
          "[data]") {
  DataOptions o;
  o.source = "synthetic";
  o.limit = 10;
  const auto data = open_dataset(o, Split::kTrain);
  BatchLoader in_order(*data, 4, false, 3);
  REQUIRE(in_order.steps_per_epoch() == 3);
  REQUIRE(in_order.batch(1).to_vector() == load_images(*data, 4, 8).to_vector());
  REQUIRE(in_order.batch(2).size(0) == 2);  // the last batch of an epoch is partial
  REQUIRE(in_order.batch(3).to_vector() == load_images(*data, 0, 4).to_vector());  // next epoch

  BatchLoader shuffled(*data, 10, true, 3), again(*data, 10, true, 3), other_seed(*data, 10, true, 4);
  const std::vector<float> e0 = shuffled.batch(0).to_vector(), e1 = shuffled.batch(1).to_vector();
  REQUIRE(again.batch(1).to_vector() == e1);  // a pure function of (seed, step)
  REQUIRE(e0 != e1);
  REQUIRE(other_seed.batch(0).to_vector() != e0);
  // Each epoch holds every image exactly once: compare sorted per-image sums.
  const auto sums = [&](const std::vector<float>& v) {
    std::vector<double> s(10, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) s[i / std::size_t(data->image_elements())] += v[i];
    std::sort(s.begin(), s.end());
    return s;
  };
  REQUIRE(sums(e0) == sums(load_images(*data, 0, 10).to_vector()));
  REQUIRE(sums(e1) == sums(e0));
}

TEST_CASE("data sets: a missing source or a wrong channel count is a clear error", "[data]") {
  DataOptions o;
  o.source = "/nonexistent/images";
  REQUIRE_THROWS_WITH(open_dataset(o, Split::kTrain), Catch::Contains("/nonexistent/images"));
  const std::string dir = (std::filesystem::temp_directory_path() / "dae-test-idx-dir").string();
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/train-images-idx3-ubyte", idx_bytes({2, 4, 4}, std::string(32, '\x80')));
  o.source = dir;
  const auto data = open_dataset(o, Split::kTrain);
  REQUIRE(data->size() == 2);
  REQUIRE(load_images(*data, 0, 1).to_vector()[0] == Approx(128.0f / 255.0f));
  o.channels = 3;
  REQUIRE_THROWS_WITH(open_dataset(o, Split::kTrain), Catch::Contains("model takes 3"));
  REQUIRE_THROWS_WITH(open_dataset(DataOptions{dir, 1, 0}, Split::kTest), Catch::Contains("t10k-images-idx3-ubyte"));
  std::filesystem::remove_all(dir);
}
