// Shared memory for kernels run by the emulator: bounds-checked views that
// DAE_SHARED_ARRAY, DAE_SHARED_ARRAY2 and DAE_DYNAMIC_SHARED
// (kernels/cuda/cuda_compat.h) declare.
//
// The memory belongs to the block being run: static arrays are placed in the
// block's shared memory the first time a thread of the block reaches their
// declaration, dynamic shared memory has the size the launch asked for. Both
// are filled with 0xFF bytes (NaN as float, -1 as int) when the block starts,
// so reading shared memory nobody wrote shows. An index outside the array
// fails the launch with a message naming the array and the index.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dae::emu {

// One static shared array of a kernel (a constant at its declaration).
struct SharedArrayInfo {
  const char* name;
  std::size_t bytes;
  std::size_t align;
};

// The current block's memory for the static array `info`.
void* static_shared(const SharedArrayInfo& info);
// The current block's dynamic shared memory; its size in *bytes.
void* dynamic_shared(std::size_t* bytes);

// Fail the running launch: name[index] is outside an array of `extent`
// elements; name[row] or name[row][column] is outside an array [rows][columns].
[[noreturn]] void shared_index_fault(const char* name, long long index, std::size_t extent);
[[noreturn]] void shared_row_fault(const char* name, long long row, std::size_t rows, std::size_t columns);
[[noreturn]] void shared_column_fault(const char* name, long long row, long long column, std::size_t rows,
                                      std::size_t columns);

namespace detail {
template <typename I>
inline bool outside(I index, std::size_t extent) {
  return static_cast<unsigned long long>(index) >= extent;  // a negative index wraps to a huge one
}
}  // namespace detail

// A pointer into dynamic shared memory that knows the region it points into:
// indexing and dereferencing are checked, arithmetic is free.
template <typename T>
class SharedPtr {
 public:
  SharedPtr(T* base, std::ptrdiff_t count, std::ptrdiff_t offset, const char* name)
      : base_(base), count_(count), offset_(offset), name_(name) {}

  template <typename I>
  T& operator[](I index) const {
    const long long at = offset_ + static_cast<long long>(index);
    if (at < 0 || at >= count_) shared_index_fault(name_, at, std::size_t(count_));
    return base_[at];
  }
  T& operator*() const { return (*this)[0]; }
  T* operator->() const { return &(*this)[0]; }

  SharedPtr operator+(std::ptrdiff_t n) const { return SharedPtr(base_, count_, offset_ + n, name_); }
  SharedPtr operator-(std::ptrdiff_t n) const { return SharedPtr(base_, count_, offset_ - n, name_); }
  std::ptrdiff_t operator-(const SharedPtr& other) const { return offset_ - other.offset_; }
  SharedPtr& operator+=(std::ptrdiff_t n) { offset_ += n; return *this; }
  SharedPtr& operator-=(std::ptrdiff_t n) { offset_ -= n; return *this; }
  SharedPtr& operator++() { ++offset_; return *this; }
  SharedPtr& operator--() { --offset_; return *this; }
  bool operator==(const SharedPtr& other) const { return base_ + offset_ == other.base_ + other.offset_; }
  bool operator<(const SharedPtr& other) const { return offset_ < other.offset_; }

 private:
  T* base_;
  std::ptrdiff_t count_;   // elements in the region
  std::ptrdiff_t offset_;  // where this pointer points, in elements from base_
  const char* name_;
};

// A static shared array T[N].
template <typename T, std::size_t N>
class SharedArray {
 public:
  explicit SharedArray(const SharedArrayInfo& info) : data_(static_cast<T*>(static_shared(info))), name_(info.name) {}

  template <typename I>
  T& operator[](I index) const {
    if (detail::outside(index, N)) shared_index_fault(name_, static_cast<long long>(index), N);
    return data_[index];
  }
  // Decays to a checked pointer, as an array decays to a pointer.
  operator SharedPtr<T>() const { return SharedPtr<T>(data_, N, 0, name_); }

 private:
  T* data_;
  const char* name_;
};

// A static shared array T[N][M]; both indices are checked.
template <typename T, std::size_t N, std::size_t M>
class SharedArray2 {
 public:
  class Row {
   public:
    Row(T* data, long long row, const char* name) : data_(data), row_(row), name_(name) {}
    template <typename I>
    T& operator[](I index) const {
      if (detail::outside(index, M)) shared_column_fault(name_, row_, static_cast<long long>(index), N, M);
      return data_[index];
    }

   private:
    T* data_;
    long long row_;
    const char* name_;
  };

  explicit SharedArray2(const SharedArrayInfo& info)
      : data_(static_cast<T*>(static_shared(info))), name_(info.name) {}

  template <typename I>
  Row operator[](I row) const {
    if (detail::outside(row, N)) shared_row_fault(name_, static_cast<long long>(row), N, M);
    return Row(data_ + std::size_t(row) * M, static_cast<long long>(row), name_);
  }

 private:
  T* data_;
  const char* name_;
};

// The dynamic shared memory of the current block seen as T elements.
template <typename T>
SharedPtr<T> dynamic_shared_as(const char* name) {
  std::size_t bytes = 0;
  T* base = static_cast<T*>(dynamic_shared(&bytes));
  return SharedPtr<T>(base, std::ptrdiff_t(bytes / sizeof(T)), 0, name);
}

}  // namespace dae::emu
