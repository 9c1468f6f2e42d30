// The cuDNN convolution path (ConvAlgo::kCudnn): cuDNN's legacy convolution
// API, FP32 with CUDNN_FMA_MATH (no TF32, no tensor cores), algorithms from
// the cudnnGet*Algorithm_v7 heuristics (the first one that is deterministic
// when Exec::deterministic, uses FMA math and fits the workspace limit),
// cached per shape in the context's CudnnState; the workspace comes from the
// context's allocator. Real CUDA builds with cuDNN only: otherwise every
// pass throws.
#include "kernels/cuda/conv_passes.h"
#include "kernels/cuda/cudnn_state.h"
#include "kernels/cuda/runtime.h"

#if DAE_CUDA_HARDWARE && DAE_HAVE_CUDNN

#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/library_check.h"

namespace dae::kernels::cuda::detail::cudnn_conv {

namespace {

constexpr std::size_t kMaxWorkspaceBytes = std::size_t(1) << 30;

CudnnState& state_of(const Exec& ex) {
  if (ex.libraries == nullptr) throw DeviceError("the cudnn convolution needs the device context's cuDNN handle");
  return *static_cast<CudnnState*>(ex.libraries->cudnn());
}

// RAII holders: a descriptor is destroyed even when a later call throws.
struct TensorDescriptor {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDescriptor(int n, int c, int h, int w) {
    DAE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    DAE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
  }
  ~TensorDescriptor() { DAE_CUDNN_CHECK_NOTHROW(cudnnDestroyTensorDescriptor(d)); }
};
struct FilterDescriptor {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDescriptor(int k, int c, int h, int w) {
    DAE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d));
    DAE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, h, w));
  }
  ~FilterDescriptor() { DAE_CUDNN_CHECK_NOTHROW(cudnnDestroyFilterDescriptor(d)); }
};
struct ConvolutionDescriptor {
  cudnnConvolutionDescriptor_t d = nullptr;
  ConvolutionDescriptor(int padding, int stride) {
    DAE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
    DAE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(d, padding, padding, stride, stride, 1, 1,
                                                    CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    DAE_CUDNN_CHECK(cudnnSetConvolutionMathType(d, CUDNN_FMA_MATH));
  }
  ~ConvolutionDescriptor() { DAE_CUDNN_CHECK_NOTHROW(cudnnDestroyConvolutionDescriptor(d)); }
};

struct Descriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
  explicit Descriptors(const Conv2dShape& s)
      : x(s.batch, s.in_channels, s.in_height, s.in_width),
        y(s.batch, s.out_channels, s.out_height, s.out_width),
        w(s.out_channels, s.in_channels, s.kernel_h, s.kernel_w),
        conv(s.padding, s.stride) {
    int n = 0, c = 0, h = 0, wd = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv.d, x.d, w.d, &n, &c, &h, &wd));
    if (n != s.batch || c != s.out_channels || h != s.out_height || wd != s.out_width) {
      throw ShapeError("cudnn convolution: cuDNN computes an output of " + std::to_string(h) + "x" +
                       std::to_string(wd) + " where the shape says " + std::to_string(s.out_height) + "x" +
                       std::to_string(s.out_width));
    }
  }
};

enum Pass { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };

CudnnState::Key key_of(Pass pass, const Conv2dShape& s, bool deterministic) {
  return {int(pass), s.batch, s.in_channels, s.out_channels, s.in_height, s.in_width, s.out_height, s.out_width,
          s.kernel_h, s.kernel_w, s.stride, s.padding, deterministic ? 1 : 0};
}

// The first heuristic result that succeeded, fits, uses FMA math (or the
// descriptor's default, which we set to FMA) and, when asked, is deterministic.
template <typename Perf>
const Perf* first_acceptable(const Perf* results, int count, bool deterministic) {
  for (int i = 0; i < count; ++i) {
    const Perf& p = results[i];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kMaxWorkspaceBytes) continue;
    if (deterministic && p.determinism != CUDNN_DETERMINISTIC) continue;
    if (p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    return &p;
  }
  return nullptr;
}

[[noreturn]] void no_algorithm(const char* pass, const Conv2dShape& s, bool deterministic) {
  throw DeviceError(std::string("cuDNN offers no ") + (deterministic ? "deterministic " : "") +
                    "FP32 algorithm for the " + pass + " pass of a " + std::to_string(s.kernel_h) + "x" +
                    std::to_string(s.kernel_w) + " convolution " + std::to_string(s.in_channels) + " -> " +
                    std::to_string(s.out_channels) + " channels on " + std::to_string(s.in_height) + "x" +
                    std::to_string(s.in_width));
}

// Runs the heuristics of `pass` once per shape; returns the cached choice.
template <typename Choose>
CudnnState::Choice choice_for(CudnnState& state, Pass pass, const Conv2dShape& s, bool deterministic,
                              Choose choose) {
  const CudnnState::Key key = key_of(pass, s, deterministic);
  std::lock_guard<std::mutex> lock(state.mutex);
  auto it = state.choices.find(key);
  if (it != state.choices.end()) return it->second;
  const CudnnState::Choice choice = choose();
  state.choices.emplace(key, choice);
  return choice;
}

}  // namespace

void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y) {
  CudnnState& state = state_of(ex);
  const Descriptors d(s);
  const CudnnState::Choice choice = choice_for(state, kForward, s, ex.deterministic, [&] {
    cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(state.handle, d.x.d, d.w.d, d.conv.d, d.y.d,
                                                           CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results));
    const auto* best = first_acceptable(results, count, ex.deterministic);
    if (best == nullptr) no_algorithm("forward", s, ex.deterministic);
    std::size_t bytes = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(state.handle, d.x.d, d.w.d, d.conv.d, d.y.d, best->algo,
                                                            &bytes));
    return CudnnState::Choice{int(best->algo), bytes};
  });
  ScratchBuffer workspace(ex, choice.workspace_bytes);
  const float one = 1.0f, zero = 0.0f;
  DAE_CUDNN_CHECK(cudnnConvolutionForward(state.handle, &one, d.x.d, x, d.w.d, weight, d.conv.d,
                                          cudnnConvolutionFwdAlgo_t(choice.algo), workspace.as<void>(),
                                          choice.workspace_bytes, &zero, d.y.d, y));
  if (bias != nullptr) add_channel_bias(ex, s.batch, s.out_channels, s.out_height * s.out_width, bias, y);
}

void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x) {
  CudnnState& state = state_of(ex);
  const Descriptors d(s);
  const CudnnState::Choice choice = choice_for(state, kBackwardData, s, ex.deterministic, [&] {
    cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        state.handle, d.w.d, d.y.d, d.conv.d, d.x.d, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, results));
    const auto* best = first_acceptable(results, count, ex.deterministic);
    if (best == nullptr) no_algorithm("backward-data", s, ex.deterministic);
    std::size_t bytes = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(state.handle, d.w.d, d.y.d, d.conv.d, d.x.d,
                                                                 best->algo, &bytes));
    return CudnnState::Choice{int(best->algo), bytes};
  });
  ScratchBuffer workspace(ex, choice.workspace_bytes);
  const float one = 1.0f, zero = 0.0f;
  DAE_CUDNN_CHECK(cudnnConvolutionBackwardData(state.handle, &one, d.w.d, weight, d.y.d, grad_y, d.conv.d,
                                               cudnnConvolutionBwdDataAlgo_t(choice.algo), workspace.as<void>(),
                                               choice.workspace_bytes, &zero, d.x.d, grad_x));
  if (bias != nullptr) add_channel_bias(ex, s.batch, s.in_channels, s.in_height * s.in_width, bias, grad_x);
}

void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight) {
  CudnnState& state = state_of(ex);
  const Descriptors d(s);
  const CudnnState::Choice choice = choice_for(state, kBackwardFilter, s, ex.deterministic, [&] {
    cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        state.handle, d.x.d, d.y.d, d.conv.d, d.w.d, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, results));
    const auto* best = first_acceptable(results, count, ex.deterministic);
    if (best == nullptr) no_algorithm("backward-weight", s, ex.deterministic);
    std::size_t bytes = 0;
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(state.handle, d.x.d, d.y.d, d.conv.d, d.w.d,
                                                                   best->algo, &bytes));
    return CudnnState::Choice{int(best->algo), bytes};
  });
  ScratchBuffer workspace(ex, choice.workspace_bytes);
  const float one = 1.0f, zero = 0.0f;
  DAE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(state.handle, &one, d.x.d, x, d.y.d, grad_y, d.conv.d,
                                                 cudnnConvolutionBwdFilterAlgo_t(choice.algo), workspace.as<void>(),
                                                 choice.workspace_bytes, &zero, d.w.d, grad_weight));
}

}  // namespace dae::kernels::cuda::detail::cudnn_conv

#else  // no cuDNN here: the CUDA emulator, or a build configured without it

namespace dae::kernels::cuda::detail::cudnn_conv {

void forward(const Exec&, const Conv2dShape&, const float*, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCudnn);
}
void backward_data(const Exec&, const Conv2dShape&, const float*, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCudnn);
}
void backward_weight(const Exec&, const Conv2dShape&, const float*, const float*, float*) {
  require_conv_algo(ConvAlgo::kCudnn);
}

}  // namespace dae::kernels::cuda::detail::cudnn_conv

#endif
