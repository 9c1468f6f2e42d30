#include "kernels/cpu/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

template <typename T>
void max_pool2d_forward(const Exec& ex, const Pool2dShape& s, const T* x, T* y, std::int32_t* argmax) {
  const std::int64_t planes = std::int64_t(s.batch) * s.channels;
  const std::int64_t in_plane = std::int64_t(s.in_height) * s.in_width;
  const std::int64_t out_plane = std::int64_t(s.out_height) * s.out_width;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, planes * in_plane))
  for (std::int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * in_plane;
    T* yp = y + p * out_plane;
    std::int32_t* ap = argmax + p * out_plane;
    for (int oy = 0; oy < s.out_height; ++oy) {
      const int y0 = oy * s.stride - s.padding;
      const int ya = std::max(y0, 0), yb = std::min(y0 + s.kernel, s.in_height);
      for (int ox = 0; ox < s.out_width; ++ox) {
        const int x0 = ox * s.stride - s.padding;
        const int xa = std::max(x0, 0), xb = std::min(x0 + s.kernel, s.in_width);
        T best = -std::numeric_limits<T>::infinity();
        std::int32_t best_index = ya * s.in_width + xa;
        for (int iy = ya; iy < yb; ++iy) {
          for (int ix = xa; ix < xb; ++ix) {
            const T v = xp[iy * s.in_width + ix];
            // NaN propagates, as in PyTorch.
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = iy * s.in_width + ix;
              if (std::isnan(v)) goto done;
            }
          }
        }
      done:
        yp[oy * s.out_width + ox] = best;
        ap[oy * s.out_width + ox] = best_index;
      }
    }
  }
}

template <typename T>
void max_pool2d_backward(const Exec& ex, const Pool2dShape& s, const T* grad_y, const std::int32_t* argmax,
                         T* grad_x) {
  const std::int64_t planes = std::int64_t(s.batch) * s.channels;
  const std::int64_t in_plane = std::int64_t(s.in_height) * s.in_width;
  const std::int64_t out_plane = std::int64_t(s.out_height) * s.out_width;
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, planes * in_plane))
  for (std::int64_t p = 0; p < planes; ++p) {
    T* gx = grad_x + p * in_plane;
    std::fill(gx, gx + in_plane, T(0));
    const T* gy = grad_y + p * out_plane;
    const std::int32_t* ap = argmax + p * out_plane;
    for (std::int64_t o = 0; o < out_plane; ++o) gx[ap[o]] += gy[o];
  }
}

template void max_pool2d_forward<float>(const Exec&, const Pool2dShape&, const float*, float*, std::int32_t*);
template void max_pool2d_forward<double>(const Exec&, const Pool2dShape&, const double*, double*, std::int32_t*);
template void max_pool2d_backward<float>(const Exec&, const Pool2dShape&, const float*, const std::int32_t*, float*);
template void max_pool2d_backward<double>(const Exec&, const Pool2dShape&, const double*, const std::int32_t*,
                                          double*);

}  // namespace dae::kernels::cpu
