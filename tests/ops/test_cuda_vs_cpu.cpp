// The CUDA device against the CPU reference: every case of every op family,
// forward and backward through autograd, compared at the family's tolerance
// (rtol 1e-4). Built only when the engine has the CUDA backend.
//
// Without a usable GPU each test prints kNoDeviceMarker and returns; CTest
// reports such a test as skipped (SKIP_REGULAR_EXPRESSION in
// tests/ops/CMakeLists.txt), never as passed.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "engine/context.h"
#include "engine/device.h"
#include "engine/tensor.h"
#include "tests/ops/family_tests.h"
#include "tests/ops/run_case.h"
#include "tests/support/compare.h"

namespace dae::ops_test {
namespace {

constexpr const char* kNoDeviceMarker = "DAE_TEST_SKIPPED: no CUDA device";

// Best effort against kernels that leave elements unwritten: the CUDA
// allocator caches freed blocks by size, so releasing NaN-filled blocks of
// the sizes the case will allocate (the inputs, their gradients, the output
// and its gradient) hands those NaNs to the tensors the case creates.
void poison_allocator_cache(const OpCase& c, Device device) {
  constexpr int kCopies = 3;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<Tensor> poisoned;
  for (int copy = 0; copy < kCopies; ++copy) {
    poisoned.push_back(Tensor::full(c.output, nan, device));
    for (const InputDecl& in : c.inputs) poisoned.push_back(Tensor::full(in.shape, nan, device));
  }
  DeviceContext::get(device).synchronize();
}  // the blocks return to the cache here

void compare_results(const OpFamily& family, const OpCase& c, const CaseResult& cuda, const CaseResult& cpu) {
  {
    const auto cmp = test::compare(cuda.output, cpu.output, tolerance_for(family.tolerance, cpu.output), "output");
    INFO(c.label << "\n" << cmp.report);
    CHECK(cmp.ok);
  }
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    const std::string what = "grad." + c.inputs[i].name;
    const auto cmp = test::compare(cuda.grads[i], cpu.grads[i], tolerance_for(family.tolerance, cpu.grads[i]), what);
    INFO(c.label << "\n" << cmp.report);
    CHECK(cmp.ok);
  }
}

void cuda_matches_cpu(const OpFamily& family) {
  if (cuda_device_count() == 0) {
    WARN(kNoDeviceMarker << " (this build has the CUDA backend, but no GPU is usable here)");
    return;
  }
  const Device gpu = Device::cuda(0);
  for (const OpCase* c : cases_of(family)) {
    const CaseData data = make_case_data(*c);
    try {
      const CaseResult cpu = run_case(family, *c, data, Device::cpu());
      poison_allocator_cache(*c, gpu);
      const CaseResult cuda = run_case(family, *c, data, gpu);
      compare_results(family, *c, cuda, cpu);
    } catch (const std::exception& e) {
      FAIL_CHECK(c->label << ": " << e.what());
    }
  }
}

const RegisterFamilyTests registered("cuda vs cpu", "[ops][cuda]", cuda_matches_cpu);

}  // namespace
}  // namespace dae::ops_test
