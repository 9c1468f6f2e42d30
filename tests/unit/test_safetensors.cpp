#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/atomic_file.h"
#include "engine/errors.h"
#include "engine/random.h"
#include "engine/safetensors.h"

using namespace dae;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("dae-test-" + name)).string();
}

// A file built by hand from a header text and raw data bytes (independent of the writer).
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (float v : values) out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

// The message of the FileError thrown by parsing `bytes`, or "" if it parsed.
std::string parse_error(const std::string& bytes) {
  try {
    parse_safetensors(bytes, "sample.safetensors");
  } catch (const FileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors: a hand-written file parses to its values", "[safetensors]") {
  const std::string file = make_file(
      R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"__metadata__":{"k":"v"}})",
      floats({1, 2, 3, 4, 5}));
  const SafetensorsContent c = parse_safetensors(file, "x");
  REQUIRE(c.tensors.size() == 2);
  REQUIRE(c.tensors[0].first == "a");  // in data order
  REQUIRE(c.find("a")->to_vector() == std::vector<float>{1, 2, 3});
  REQUIRE(c.find("b")->to_vector() == std::vector<float>{4, 5});
  REQUIRE(c.metadata.at("k") == "v");
}

TEST_CASE("safetensors: F64, F16 and BF16 convert to float", "[safetensors]") {
  std::string data;
  const double d = -2.5;
  data.append(reinterpret_cast<const char*>(&d), 8);
  const std::uint16_t half = 0x3e00;  // 1.5 in IEEE half
  data.append(reinterpret_cast<const char*>(&half), 2);
  const std::uint16_t bf16 = 0xc040;  // -3.0 in bfloat16
  data.append(reinterpret_cast<const char*>(&bf16), 2);
  const std::string file = make_file(
      R"({"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]}})",
      data);
  const SafetensorsContent c = parse_safetensors(file, "x");
  REQUIRE(c.find("d")->item() == -2.5f);
  REQUIRE(c.find("h")->item() == 1.5f);
  REQUIRE(c.find("b")->item() == -3.0f);
}

TEST_CASE("safetensors: write then read gives the same tensors and metadata", "[safetensors]") {
  Generator gen(7);
  NamedTensors tensors{{"conv.weight", Tensor::normal(Shape{4, 3, 3, 3}, 0.0f, 1.0f, gen)},
                       {"conv.bias", Tensor::normal(Shape{4}, 0.0f, 1.0f, gen)},
                       {"scalar", Tensor::scalar(3.0f)}};
  const std::string path = temp_path("roundtrip.safetensors");
  save_safetensors(path, tensors, {{"step", "12"}});
  const SafetensorsContent c = load_safetensors(path);
  REQUIRE(c.tensors.size() == 3);
  for (const auto& [name, t] : tensors) {
    REQUIRE(c.find(name) != nullptr);
    REQUIRE(c.find(name)->shape() == t.shape());
    REQUIRE(c.find(name)->to_vector() == t.to_vector());
  }
  REQUIRE(c.metadata.at("step") == "12");
  // The header is padded to a multiple of 8 bytes, as the safetensors project writes it.
  const std::string bytes = read_file(path);
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  REQUIRE(header_len % 8 == 0);
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: every kind of damage is an error naming the file and the problem", "[safetensors]") {
  const std::string good_header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string good = make_file(good_header, floats({1, 2}));
  REQUIRE(parse_error(good).empty());

  struct Case {
    const char* what;
    std::string bytes;
    const char* expect;
  };
  std::string huge_len(8, '\0');
  const std::uint64_t big = 1ull << 60;
  std::memcpy(huge_len.data(), &big, 8);
  const std::vector<Case> cases = {
      {"empty file", "", "fewer than the 8-byte header length"},
      {"truncated header", good.substr(0, 20), "runs past the end of the file"},
      {"truncated data", good.substr(0, good.size() - 2), "outside the"},
      {"absurd header length", huge_len, "exceeds the limit"},
      {"not JSON", make_file("{not json", ""), "not valid JSON"},
      {"JSON array", make_file("[1,2]", ""), "not a JSON object"},
      {"duplicate name",
       make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 floats({1, 2})),
       "'a' appears more than once"},
      {"unknown dtype", make_file(R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
       "unknown dtype 'Q7'"},
      {"shape and bytes disagree", make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2})),
       "needs 12 bytes"},
      {"negative dimension", make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", floats({1, 2})),
       "not a non-negative integer"},
      {"offsets reversed", make_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", floats({1, 2})),
       "outside the"},
      {"overlapping tensors",
       make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 floats({1, 2})),
       "overlapping or non-contiguous"},
      {"a hole in the data", make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", floats({1, 2})),
       "non-contiguous"},
      {"trailing bytes", make_file(good_header, floats({1, 2, 3})), "cover 8 of the 12"},
      {"5-D tensor", make_file(R"({"a":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", floats({1, 2})),
       "at most 4"},
      {"integer tensor", make_file(R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})", floats({1, 2})),
       "only floating-point"},
      {"metadata not strings", make_file(R"({"__metadata__":{"k":1}})", ""), "is not a string"},
      {"absurd dimension", make_file(R"({"a":{"dtype":"F32","shape":[1099511627777],"data_offsets":[0,8]}})", floats({1, 2})),
       "dimension"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::string message = parse_error(c.bytes);
    INFO(message);
    REQUIRE(message.find("sample.safetensors") != std::string::npos);
    REQUIRE(message.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("safetensors: a missing file is an error naming it", "[safetensors]") {
  try {
    load_safetensors("/nonexistent/dir/weights.safetensors");
    FAIL("expected a FileError");
  } catch (const FileError& e) {
    REQUIRE(std::string(e.what()).find("/nonexistent/dir/weights.safetensors") != std::string::npos);
  }
}

TEST_CASE("atomic writes replace a file whole and leave no temporary behind", "[files]") {
  const std::string dir = temp_path("atomic-dir");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/file.txt";
  write_file_atomic(path, "first");
  write_file_atomic(path, "second version");
  REQUIRE(read_file(path) == "second version");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  REQUIRE(entries == 1);
  REQUIRE_THROWS_AS(write_file_atomic(dir + "/no/such/folder/file.txt", "x"), FileError);
  std::filesystem::remove_all(dir);
}
