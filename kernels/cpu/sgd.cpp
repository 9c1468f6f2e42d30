#include "kernels/cpu/sgd.h"

#include "kernels/common/sgd_body.h"
#include "kernels/cpu/parallel.h"

namespace dae::kernels::cpu {

template <typename T>
void sgd_update(const Exec& ex, std::int64_t n, const SgdParams& p, T* param, const T* grad, T* buf) {
  if (p.momentum == 0.0f) {
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n))
    for (std::int64_t i = 0; i < n; ++i) sgd_element<T>(p, param[i], grad[i], nullptr);
  } else {
#pragma omp parallel for schedule(static) num_threads(threads_for(ex, n))
    for (std::int64_t i = 0; i < n; ++i) sgd_element<T>(p, param[i], grad[i], buf + i);
  }
}

template void sgd_update<float>(const Exec&, std::int64_t, const SgdParams&, float*, const float*, float*);
template void sgd_update<double>(const Exec&, std::int64_t, const SgdParams&, double*, const double*, double*);

}  // namespace dae::kernels::cpu
