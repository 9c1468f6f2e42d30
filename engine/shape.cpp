#include "engine/shape.h"

#include "engine/errors.h"

namespace dae {

namespace {
// Largest element count a tensor may have (2^40 floats = 4 TiB): guards every
// size computed from untrusted files before any allocation is attempted.
constexpr std::int64_t kMaxElements = std::int64_t(1) << 40;
}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::vector<std::int64_t>(dims)) {}

Shape::Shape(const std::vector<std::int64_t>& dims) {
  DAE_CHECK(dims.size() <= std::size_t(kMaxRank), ShapeError, "tensors have at most ", kMaxRank,
            " dimensions (got ", dims.size(), ")");
  rank_ = int(dims.size());
  std::int64_t total = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    DAE_CHECK(dims[i] >= 0, ShapeError, "negative dimension ", dims[i], " in a tensor shape");
    dims_[i] = dims[i];
    if (dims[i] != 0 && total > kMaxElements / dims[i]) {
      throw ShapeError("tensor shape is too large (more than 2^40 elements)");
    }
    total *= dims[i];
  }
}

std::int64_t Shape::numel() const {
  std::int64_t total = 1;
  for (int i = 0; i < rank_; ++i) total *= dims_[std::size_t(i)];
  return total;
}

std::string Shape::str() const {
  std::string out = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(dims_[std::size_t(i)]);
  }
  return out + "]";
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[std::size_t(i)] != other.dims_[std::size_t(i)]) return false;
  }
  return true;
}

}  // namespace dae
