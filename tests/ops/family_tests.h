// One Catch2 test case per op family, registered when the program starts, so
// that a new entry in the op table is a new test (and a new CTest test, via
// catch_discover_tests) without touching the test files.
//
//   static const RegisterFamilyTests tests("gradcheck", "[ops][gradcheck]", body);
//
// registers "gradcheck: add", "gradcheck: sub", ... each calling body(family).
#pragma once

#include <catch2/catch.hpp>

#include "tests/ops/op_table.h"

namespace dae::ops_test {

using FamilyTestBody = void (*)(const OpFamily&);

class FamilyTestInvoker : public Catch::ITestInvoker {
 public:
  FamilyTestInvoker(FamilyTestBody body, const OpFamily* family) : body_(body), family_(family) {}
  void invoke() const override { body_(*family_); }

 private:
  FamilyTestBody body_;
  const OpFamily* family_;
};

struct RegisterFamilyTests {
  RegisterFamilyTests(const std::string& title, const std::string& tags, FamilyTestBody body) {
    for (const OpFamily& family : op_table()) {
      const std::string name = title + ": " + family.name;
      // Catch copies the name and tags and owns the invoker.
      Catch::AutoReg(new FamilyTestInvoker(body, &family), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                     Catch::NameAndTags{name, tags});
    }
  }
};

}  // namespace dae::ops_test
