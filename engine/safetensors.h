// safetensors files (the format of the `safetensors` project): an 8-byte
// little-endian header length N, N bytes of JSON mapping each tensor name to
// {dtype, shape, data_offsets} plus an optional "__metadata__" object of
// strings, then the raw little-endian tensor data.
//
// The reader trusts nothing: the header length must fit in the file, the
// JSON must be an object, every name unique, every dtype known, shapes
// non-negative and at most 4-D, offsets inside the data and contiguous, and
// each tensor's byte count equal to its element count times the dtype size.
// Any violation throws dae::FileError naming the file (or `source`) and the
// problem. F32 tensors load as they are; F64, F16 and BF16 are converted.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace dae {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

struct SafetensorsContent {
  NamedTensors tensors;  // in the order of the file's data
  Metadata metadata;

  // The tensor called `name`, or nullptr.
  const Tensor* find(const std::string& name) const;
  std::map<std::string, Tensor> as_map() const;
};

// Largest header accepted (the safetensors project uses the same bound).
constexpr std::size_t kMaxSafetensorsHeader = std::size_t(100) << 20;

// Parses a whole file held in memory; `source` names it in error messages.
SafetensorsContent parse_safetensors(std::string_view bytes, const std::string& source);
SafetensorsContent load_safetensors(const std::string& path);

// The file bytes for these tensors (copied to the host as needed) and metadata.
std::string serialize_safetensors(const NamedTensors& tensors, const Metadata& metadata = {});
// Writes the file atomically (temporary name, then rename).
void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

}  // namespace dae
