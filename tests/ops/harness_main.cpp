// dae_op_harness: the op table against PyTorch, and timing.
//
//   dae_op_harness --dump DIR    writes every case (inputs, upstream gradient,
//                                op and parameters) to DIR/NNNN-op.case.safetensors
//   (tests/ops/torch_reference.py DIR then writes DIR/NNNN-op.torch.safetensors)
//   dae_op_harness --check DIR [--filter TEXT]
//                                runs every case (whose label contains TEXT) on
//                                the CPU and compares the output and every input
//                                gradient with PyTorch's
//   dae_op_harness --time [--filter TEXT] [--device cpu|cuda] [--reps N] [--threads T]
//                                median forward and backward time and GFLOP/s
//
// Exit status: 0 when everything passed, 1 on a mismatch, 2 on bad usage or
// an error (a missing file, an engine exception), 77 when --check finds no
// PyTorch results at all (the torch step was skipped; CTest reports a skip).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/errors.h"
#include "engine/safetensors.h"
#include "tests/ops/op_table.h"
#include "tests/ops/run_case.h"

namespace fs = std::filesystem;
using namespace dae;
using namespace dae::ops_test;

namespace {

// A dump or result file that is missing or stale: the chain was not run in
// order. It stops the check (unlike an engine error, which fails one case).
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string case_file(const fs::path& dir, std::size_t index, const OpCase& c, const char* kind) {
  char number[16];
  std::snprintf(number, sizeof number, "%04zu", index);
  return (dir / (std::string(number) + "-" + c.op + "." + kind + ".safetensors")).string();
}

std::string join_names(const OpCase& c, bool only_differentiable) {
  std::string text;
  for (const InputDecl& in : c.inputs) {
    if (only_differentiable && !in.differentiable) continue;
    if (!text.empty()) text += ',';
    text += in.name;
  }
  return text;
}

std::string shape_text(const Shape& s) {
  std::string text;
  for (std::int64_t d : s.to_vector()) {
    if (!text.empty()) text += ',';
    text += std::to_string(d);
  }
  return text;
}

// The exact double value as text (integers print without a fraction).
std::string number_text(double v) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

int dump(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(dir))  // no stale cases or results from earlier runs
    if (entry.path().extension() == ".safetensors") fs::remove(entry.path());
  int written = 0;
  const std::vector<OpCase>& cases = all_cases();
  for (std::size_t index = 0; index < cases.size(); ++index) {
    const OpCase& c = cases[index];
    if (c.cuda_only) continue;
    const CaseData data = make_case_data(c);
    NamedTensors tensors;
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
      tensors.emplace_back("input." + c.inputs[i].name, Tensor::from_vector(c.inputs[i].shape, data.inputs[i]));
    tensors.emplace_back("grad_output", Tensor::from_vector(c.output, data.grad_output));
    Metadata meta = {{"op", c.op},
                     {"label", c.label},
                     {"torch", family_of(c).torch},
                     {"inputs", join_names(c, false)},
                     {"differentiable", join_names(c, true)},
                     {"output_shape", shape_text(c.output)}};
    for (const auto& [name, value] : c.params.values) meta["param." + name] = number_text(value);
    // A plain write: test data in a build folder needs no crash-safe rename and fsync.
    const std::string path = case_file(dir, index, c, "case");
    std::ofstream file(path, std::ios::binary);
    file << serialize_safetensors(tensors, meta);
    if (!file) throw SetupError("cannot write " + path);
    ++written;
  }
  std::cout << "wrote " << written << " cases to " << dir.string() << "\n";
  return 0;
}

struct CheckOutcome {
  bool ok = true;
  double worst_share = 0.0;
  std::string summary;  // "output 0.01 grad.x 0.2"
  std::string report;   // compare.h's reports of the failures
};

void compare_into(CheckOutcome& outcome, const std::string& what, const std::vector<float>& ours,
                  const Tensor* expected, const ToleranceSpec& spec) {
  if (expected == nullptr) {
    outcome.ok = false;
    outcome.report += what + ": missing from the PyTorch results\n";
    return;
  }
  const std::vector<float> reference = expected->to_vector();
  const test::Comparison cmp = test::compare(ours, reference, tolerance_for(spec, reference), what);
  char share[32];
  std::snprintf(share, sizeof share, "%.3g", cmp.worst_share);
  if (!outcome.summary.empty()) outcome.summary += ' ';
  outcome.summary += what + " " + share;
  outcome.worst_share = std::max(outcome.worst_share, cmp.worst_share);
  if (!cmp.ok) {
    outcome.ok = false;
    outcome.report += cmp.report;
  }
}

CheckOutcome check_case(const fs::path& dir, std::size_t index, const OpCase& c) {
  const std::string case_path = case_file(dir, index, c, "case"), torch_path = case_file(dir, index, c, "torch");
  if (!fs::exists(case_path)) throw SetupError(case_path + " is missing: run --dump first");
  if (!fs::exists(torch_path))
    throw SetupError(torch_path + " is missing: run tests/ops/torch_reference.py on the dump first");
  const SafetensorsContent dumped = load_safetensors(case_path);
  const auto label = dumped.metadata.find("label");
  if (label == dumped.metadata.end() || label->second != c.label)
    throw SetupError(case_path + " holds another case than '" + c.label + "': the dump is stale, rerun --dump");

  auto stored = [&](const std::string& name) {
    const Tensor* t = dumped.find(name);
    if (t == nullptr) throw SetupError(case_path + " has no tensor '" + name + "': rerun --dump");
    return t->to_vector();
  };
  CaseData data;  // exactly the values PyTorch saw
  for (const InputDecl& in : c.inputs) data.inputs.push_back(stored("input." + in.name));
  data.grad_output = stored("grad_output");

  const OpFamily& family = family_of(c);
  const CaseResult ours = run_case(family, c, data, Device::cpu());
  const SafetensorsContent reference = load_safetensors(torch_path);
  CheckOutcome outcome;
  compare_into(outcome, "output", ours.output, reference.find("output"), family.tolerance);
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].differentiable) continue;
    const std::string name = "grad." + c.inputs[i].name;
    compare_into(outcome, name, ours.grads[i], reference.find(name), family.tolerance);
  }
  return outcome;
}

// Exit status when DIR holds no PyTorch result at all: the torch step was
// skipped (no interpreter with torch), so this check is skipped too.
constexpr int kSkipped = 77;

bool has_torch_results(const fs::path& dir) {
  if (!fs::is_directory(dir)) return false;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().string().ends_with(".torch.safetensors")) return true;
  return false;
}

int check(const fs::path& dir, const std::string& filter) {
  if (!has_torch_results(dir)) {
    std::cout << "DAE_TEST_SKIPPED: no PyTorch results in " << dir.string()
              << " (tests/ops/torch_reference.py was skipped or not run)\n";
    return kSkipped;
  }
  int n_checked = 0, n_failed = 0;
  double worst = 0.0;
  std::string worst_label, failures;
  const std::vector<OpCase>& cases = all_cases();
  std::cout << "per case: the worst error as a share of the tolerance (1 = at the limit)\n";
  for (std::size_t index = 0; index < cases.size(); ++index) {
    const OpCase& c = cases[index];
    if (c.cuda_only || c.label.find(filter) == std::string::npos) continue;
    ++n_checked;
    std::cout << c.label << ": " << std::flush;  // named before it runs, in case it crashes
    CheckOutcome outcome;
    try {
      outcome = check_case(dir, index, c);
    } catch (const SetupError&) {
      throw;
    } catch (const dae::FileError&) {
      throw;
    } catch (const std::exception& e) {  // an engine error on a legal case is a failure of that case
      outcome.ok = false;
      outcome.report = std::string("error: ") + e.what() + "\n";
    }
    char share[32];
    std::snprintf(share, sizeof share, "%.3g", outcome.worst_share);
    std::cout << (outcome.ok ? "ok " : "FAIL ") << share << " (" << outcome.summary << ")" << std::endl;
    if (outcome.worst_share > worst) {
      worst = outcome.worst_share;
      worst_label = c.label;
    }
    if (!outcome.ok) {
      ++n_failed;
      failures += c.label + "\n" + outcome.report;
    }
  }
  if (n_failed > 0) std::cout << "\nmismatches against PyTorch:\n" << failures;
  std::cout << "\n" << n_checked << " cases checked against PyTorch, " << n_failed << " failed; worst " << worst
            << " of the tolerance (" << worst_label << ")\n";
  if (n_checked == 0) std::cout << "no case matches the filter '" << filter << "'\n";
  return n_failed == 0 && n_checked > 0 ? 0 : 1;
}

// "12.34" GFLOP/s, or "-" for a pass that does no arithmetic (a copy).
std::string gflops_text(double flops, double seconds) {
  if (flops <= 0 || seconds <= 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", flops / seconds * 1e-9);
  return text;
}

int time_all(const std::string& filter, Device device, int repetitions) {
  std::printf("%-72s %10s %9s %10s %9s\n", "case", "fwd ms", "GFLOP/s", "bwd ms", "GFLOP/s");
  for (const OpCase& c : all_cases()) {
    if (c.label.find(filter) == std::string::npos) continue;
    std::printf("%-72.72s ", c.label.c_str());
    std::fflush(stdout);  // named before it runs, in case it crashes
    const CaseTiming t = time_case(family_of(c), c, make_case_data(c), device, repetitions);
    std::printf("%10.4f %9s %10.4f %9s\n", t.forward_seconds * 1e3, gflops_text(c.flops.forward, t.forward_seconds).c_str(),
                t.backward_seconds * 1e3, gflops_text(c.flops.backward, t.backward_seconds).c_str());
  }
  return 0;
}

int usage(const char* message) {
  std::cerr << "dae_op_harness: " << message << "\n"
            << "usage: dae_op_harness --dump DIR | --check DIR [--filter TEXT] |\n"
            << "       dae_op_harness --time [--filter TEXT] [--device cpu|cuda] [--reps N] [--threads T]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "--dump") return dump(args[1]);
    if (args.size() == 2 && args[0] == "--check") return check(args[1], "");
    if (args.size() == 4 && args[0] == "--check" && args[2] == "--filter") return check(args[1], args[3]);
    if (!args.empty() && args[0] == "--time") {
      std::string filter;
      Device device = Device::cpu();
      int repetitions = 5;
      for (std::size_t i = 1; i < args.size(); i += 2) {
        if (i + 1 >= args.size()) return usage(("missing value after " + args[i]).c_str());
        const std::string& value = args[i + 1];
        if (args[i] == "--filter") filter = value;
        else if (args[i] == "--device") device = Device::parse(value);
        else if (args[i] == "--reps") repetitions = std::max(1, std::stoi(value));
        else if (args[i] == "--threads") set_num_threads(std::stoi(value));
        else return usage(("unknown option " + args[i]).c_str());
      }
      return time_all(filter, device, repetitions);
    }
    return usage(args.empty() ? "no mode given" : ("bad arguments starting at " + args[0]).c_str());
  } catch (const std::exception& e) {
    std::cerr << "dae_op_harness: " << e.what() << "\n";
    return 2;
  }
}
