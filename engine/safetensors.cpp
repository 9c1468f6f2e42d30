#include "engine/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/atomic_file.h"
#include "engine/errors.h"

namespace dae {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FileError("'" + source + "' is not a valid safetensors file: " + what);
}

std::size_t dtype_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
  return 0;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const int exponent = (h >> 10) & 0x1f;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | (std::uint32_t(exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal half: normalise
    int e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (std::uint32_t(e) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

void convert_to_float(const std::string& dtype, const char* src, std::size_t count, float* dst) {
  if (dtype == "F32") {
    std::memcpy(dst, src, count * 4);
  } else if (dtype == "F64") {
    for (std::size_t i = 0; i < count; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      dst[i] = float(v);
    }
  } else if (dtype == "F16") {
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t v;
      std::memcpy(&v, src + 2 * i, 2);
      dst[i] = half_to_float(v);
    }
  } else {  // BF16
    for (std::size_t i = 0; i < count; ++i) {
      std::uint16_t v;
      std::memcpy(&v, src + 2 * i, 2);
      dst[i] = std::bit_cast<float>(std::uint32_t(v) << 16);
    }
  }
}

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> dims;
  std::uint64_t begin = 0, end = 0;
};

}  // namespace

const Tensor* SafetensorsContent::find(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

std::map<std::string, Tensor> SafetensorsContent::as_map() const {
  return std::map<std::string, Tensor>(tensors.begin(), tensors.end());
}

SafetensorsContent parse_safetensors(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8) fail(source, concat("the file has ", bytes.size(), " bytes, fewer than the 8-byte header length"));
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > kMaxSafetensorsHeader) fail(source, concat("header length ", header_len, " exceeds the limit of ", kMaxSafetensorsHeader, " bytes"));
  if (header_len > bytes.size() - 8) {
    fail(source, concat("header length ", header_len, " runs past the end of the file (", bytes.size(), " bytes): truncated?"));
  }
  const std::string_view header_text = bytes.substr(8, std::size_t(header_len));
  const std::string_view data = bytes.substr(8 + std::size_t(header_len));

  // Names must be unique; nlohmann keeps the last of duplicate keys silently, so watch the keys as they are parsed.
  std::set<std::string> seen_keys;
  std::string duplicate;
  Json::parser_callback_t watch = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      const std::string key = parsed.get<std::string>();
      if (!seen_keys.insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(header_text.begin(), header_text.end(), watch);
  } catch (const Json::exception& e) {
    fail(source, std::string("the header is not valid JSON (") + e.what() + ")");
  }
  if (!duplicate.empty()) fail(source, "tensor name '" + duplicate + "' appears more than once");
  if (!header.is_object()) fail(source, "the header is not a JSON object");

  SafetensorsContent out;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (name == "__metadata__") {
      if (!value.is_object()) fail(source, "__metadata__ is not an object");
      for (auto m = value.begin(); m != value.end(); ++m) {
        if (!m.value().is_string()) fail(source, "__metadata__ entry '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) fail(source, "entry '" + name + "' is not an object");
    Entry e;
    e.name = name;
    const auto dtype = value.find("dtype");
    const auto shape = value.find("shape");
    const auto offsets = value.find("data_offsets");
    if (dtype == value.end() || !dtype->is_string()) fail(source, "tensor '" + name + "' has no dtype string");
    if (shape == value.end() || !shape->is_array()) fail(source, "tensor '" + name + "' has no shape array");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
      fail(source, "tensor '" + name + "' has no data_offsets pair of non-negative integers");
    }
    e.dtype = dtype->get<std::string>();
    if (dtype_size(e.dtype) == 0) fail(source, "tensor '" + name + "' has unknown dtype '" + e.dtype + "'");
    if (shape->size() > std::size_t(Shape::kMaxRank)) {
      fail(source, concat("tensor '", name, "' has ", shape->size(), " dimensions; at most ", Shape::kMaxRank, " are supported"));
    }
    for (const Json& d : *shape) {
      if (!d.is_number_unsigned()) fail(source, "tensor '" + name + "' has a shape entry that is not a non-negative integer");
      const std::uint64_t v = d.get<std::uint64_t>();
      if (v > (std::uint64_t(1) << 40)) fail(source, concat("tensor '", name, "' has a dimension of ", v));
      e.dims.push_back(std::int64_t(v));
    }
    e.begin = (*offsets)[0].get<std::uint64_t>();
    e.end = (*offsets)[1].get<std::uint64_t>();
    if (e.begin > e.end || e.end > data.size()) {
      fail(source, concat("tensor '", name, "' has data_offsets [", e.begin, ", ", e.end, "] outside the ", data.size(),
                          " data bytes (truncated?)"));
    }
    Shape s;
    try {
      s = Shape(e.dims);
    } catch (const ShapeError& err) {
      fail(source, "tensor '" + name + "': " + err.what());
    }
    const std::uint64_t want = std::uint64_t(s.numel()) * dtype_size(e.dtype);
    if (want != e.end - e.begin) {
      fail(source, concat("tensor '", name, "' of dtype ", e.dtype, " and shape ", s.str(), " needs ", want,
                          " bytes but its data_offsets span ", e.end - e.begin));
    }
    entries.push_back(std::move(e));
  }
  // The data must be covered exactly, tensor after tensor, without overlaps or holes.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected_begin = 0;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin) {
      fail(source, concat("tensor '", e.name, "' starts at byte ", e.begin, " of the data but the previous tensor ends at ",
                          expected_begin, " (overlapping or non-contiguous data)"));
    }
    expected_begin = e.end;
  }
  if (expected_begin != data.size()) {
    fail(source, concat("the tensors cover ", expected_begin, " of the ", data.size(), " data bytes"));
  }
  for (const Entry& e : entries) {
    if (e.dtype != "F32" && e.dtype != "F64" && e.dtype != "F16" && e.dtype != "BF16") {
      fail(source, "tensor '" + e.name + "' has dtype " + e.dtype + "; only floating-point tensors are supported");
    }
    Tensor t = Tensor::empty(Shape(e.dims));
    convert_to_float(e.dtype, data.data() + e.begin, std::size_t(t.numel()), t.data());
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

SafetensorsContent load_safetensors(const std::string& path) { return parse_safetensors(read_file(path), path); }

std::string serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata) {
  Json header = Json::object();
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    DAE_CHECK(name != "__metadata__", ArgumentError, "a tensor cannot be called __metadata__");
    DAE_CHECK(names.insert(name).second, ArgumentError, "tensor name '", name, "' is used twice");
    DAE_CHECK(t.defined(), ArgumentError, "tensor '", name, "' is undefined");
    const std::uint64_t bytes = std::uint64_t(t.numel()) * 4;
    header[name] = {{"dtype", "F32"}, {"shape", t.shape().to_vector()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const std::uint64_t len = text.size();
  out.append(reinterpret_cast<const char*>(&len), 8);
  out += text;
  for (const auto& [name, t] : tensors) {
    const std::vector<float> values = t.to_vector();
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  }
  return out;
}

void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

}  // namespace dae
