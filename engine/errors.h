// Error types and check helpers of the engine (the types themselves are
// defined at the bottom layer, kernels/common/errors.h, so kernels throw them
// too). Library code throws; only tools/ turns errors into exit codes.
#pragma once

#include <sstream>
#include <string>

#include "kernels/common/errors.h"

namespace dae {

// Concatenates streamable parts into one message.
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace dae

// Throws ExceptionType(message...) unless cond holds.
#define DAE_CHECK(cond, ExceptionType, ...)                  \
  do {                                                       \
    if (!(cond)) throw ExceptionType(::dae::concat(__VA_ARGS__)); \
  } while (0)
