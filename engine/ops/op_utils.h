// Validation and small helpers shared by the op implementations.
#pragma once

#include <string>

#include "engine/context.h"
#include "engine/dispatch.h"
#include "engine/errors.h"
#include "engine/kernels_all.h"
#include "engine/tensor.h"

namespace dae::detail {

inline const kernels::Exec& exec_of(const Tensor& t) { return DeviceContext::get(t.device()).exec(); }

inline void check_defined(const char* op, const char* arg, const Tensor& t) {
  DAE_CHECK(t.defined(), ShapeError, op, ": argument '", arg, "' is an undefined tensor");
}

inline void check_same_device(const char* op, const char* arg_a, const Tensor& a, const char* arg_b, const Tensor& b) {
  DAE_CHECK(a.device() == b.device(), ShapeError, op, ": '", arg_a, "' is on ", a.device().str(), " but '", arg_b,
            "' is on ", b.device().str());
}

inline void check_same_shape(const char* op, const char* arg_a, const Tensor& a, const char* arg_b, const Tensor& b) {
  check_defined(op, arg_a, a);
  check_defined(op, arg_b, b);
  DAE_CHECK(a.shape() == b.shape(), ShapeError, op, ": '", arg_a, "' has shape ", a.shape().str(), " but '", arg_b,
            "' has shape ", b.shape().str());
  check_same_device(op, arg_a, a, arg_b, b);
}

inline void check_rank(const char* op, const char* arg, const Tensor& t, int rank) {
  check_defined(op, arg, t);
  DAE_CHECK(t.rank() == rank, ShapeError, op, ": '", arg, "' must have ", rank, " dimensions, got shape ",
            t.shape().str());
}

}  // namespace dae::detail
