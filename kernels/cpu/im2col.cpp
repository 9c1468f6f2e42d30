#include "kernels/cpu/im2col.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace dae::kernels::cpu {

namespace {
// Range of output columns ox whose input column ox*stride - padding + kj lies in [0, in_width).
inline void valid_range(int kj, int stride, int padding, int in_width, int out_width, int& begin, int& end) {
  // ox*stride >= padding - kj  and  ox*stride <= in_width - 1 + padding - kj
  const int lo = padding - kj;
  const int hi = in_width - 1 + padding - kj;
  // Both ends are clamped to [0, out_width]: with a wide padding and a narrow
  // output (out_width < padding / stride) no column may be valid at all.
  begin = lo <= 0 ? 0 : std::min(out_width, (lo + stride - 1) / stride);
  end = hi < 0 ? 0 : std::min(out_width, hi / stride + 1);
  if (end < begin) end = begin;
}
}  // namespace

template <typename T>
void im2col(const Conv2dShape& s, const T* x, T* col) {
  const int hw_out = s.out_height * s.out_width;
  for (int c = 0; c < s.in_channels; ++c) {
    const T* plane = x + std::size_t(c) * s.in_height * s.in_width;
    for (int ki = 0; ki < s.kernel_h; ++ki) {
      for (int kj = 0; kj < s.kernel_w; ++kj) {
        T* row = col + (std::size_t(c * s.kernel_h + ki) * s.kernel_w + kj) * hw_out;
        int ox_begin, ox_end;
        valid_range(kj, s.stride, s.padding, s.in_width, s.out_width, ox_begin, ox_end);
        for (int oy = 0; oy < s.out_height; ++oy) {
          T* out = row + std::size_t(oy) * s.out_width;
          const int iy = oy * s.stride - s.padding + ki;
          if (iy < 0 || iy >= s.in_height) {
            std::fill(out, out + s.out_width, T(0));
            continue;
          }
          const T* in_row = plane + std::size_t(iy) * s.in_width;
          std::fill(out, out + ox_begin, T(0));
          const int ix0 = ox_begin * s.stride - s.padding + kj;
          if (s.stride == 1) {
            if (ox_end > ox_begin) std::memcpy(out + ox_begin, in_row + ix0, sizeof(T) * (ox_end - ox_begin));
          } else {
            for (int ox = ox_begin, ix = ix0; ox < ox_end; ++ox, ix += s.stride) out[ox] = in_row[ix];
          }
          std::fill(out + ox_end, out + s.out_width, T(0));
        }
      }
    }
  }
}

template <typename T>
void col2im_add(const Conv2dShape& s, const T* col, T* x) {
  const int hw_out = s.out_height * s.out_width;
  for (int c = 0; c < s.in_channels; ++c) {
    T* plane = x + std::size_t(c) * s.in_height * s.in_width;
    for (int ki = 0; ki < s.kernel_h; ++ki) {
      for (int kj = 0; kj < s.kernel_w; ++kj) {
        const T* row = col + (std::size_t(c * s.kernel_h + ki) * s.kernel_w + kj) * hw_out;
        int ox_begin, ox_end;
        valid_range(kj, s.stride, s.padding, s.in_width, s.out_width, ox_begin, ox_end);
        for (int oy = 0; oy < s.out_height; ++oy) {
          const int iy = oy * s.stride - s.padding + ki;
          if (iy < 0 || iy >= s.in_height) continue;
          const T* in = row + std::size_t(oy) * s.out_width;
          T* out_row = plane + std::size_t(iy) * s.in_width;
          const int ix0 = ox_begin * s.stride - s.padding + kj;
          if (s.stride == 1) {
            T* dst = out_row + ix0;
            for (int ox = ox_begin; ox < ox_end; ++ox) dst[ox - ox_begin] += in[ox];
          } else {
            for (int ox = ox_begin, ix = ix0; ox < ox_end; ++ox, ix += s.stride) out_row[ix] += in[ox];
          }
        }
      }
    }
  }
}

template void im2col<float>(const Conv2dShape&, const float*, float*);
template void im2col<double>(const Conv2dShape&, const double*, double*);
template void col2im_add<float>(const Conv2dShape&, const float*, float*);
template void col2im_add<double>(const Conv2dShape&, const double*, double*);

}  // namespace dae::kernels::cpu
