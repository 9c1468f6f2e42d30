// Finite differences in double against the CPU backward kernels, for every
// case of every op family (tests/ops/gradcheck.h explains the check).
#include <catch2/catch.hpp>

#include "tests/ops/family_tests.h"
#include "tests/ops/gradcheck.h"

namespace dae::ops_test {
namespace {

void gradcheck_family(const OpFamily& family) {
  int n_cases = 0;
  for (const OpCase* c : cases_of(family)) {
    if (c->cuda_only) continue;
    ++n_cases;
    INFO(c->label);  // names the case should it crash
    for (const InputGradcheck& check : gradcheck(family, *c, make_case_data(*c))) {
      INFO(check.checked << " derivatives of '" << check.input << "' checked, " << check.skipped
                    << " skipped near a kink\n"
                    << check.comparison.report);
      CHECK(check.comparison.ok);
    }
  }
  REQUIRE(n_cases > 0);
}

const RegisterFamilyTests registered("gradcheck", "[ops][gradcheck]", gradcheck_family);

}  // namespace
}  // namespace dae::ops_test
