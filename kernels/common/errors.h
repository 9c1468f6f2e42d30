// The exception types of the whole project. They live at the bottom layer so
// that kernels (CUDA checks) and the engine throw the same family; only the
// command-line front end turns them into messages and exit codes.
#pragma once

#include <stdexcept>
#include <string>

namespace dae {

// Base class: every error the library reports on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A shape, dtype, device or argument that does not fit an op (a bug in the caller).
class ShapeError : public Error {
 public:
  using Error::Error;
};

// Invalid user input: a flag, a spec string, a configuration.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose content is malformed.
class FileError : public Error {
 public:
  using Error::Error;
};

// A device that is missing or failed (CUDA errors, no GPU present).
class DeviceError : public Error {
 public:
  using Error::Error;
};

}  // namespace dae
