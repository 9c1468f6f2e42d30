// conv2d on CUDA: the public passes (which pick the algorithm), and the
// launchers of our implicit-GEMM kernels (implicit_gemm.cuh with the jobs of
// conv_problems.cuh). The walk-through is docs/kernels/conv2d.md.
#include "kernels/cuda/conv2d.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/common/errors.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv_passes.h"
#include "kernels/cuda/conv_problems.cuh"
#include "kernels/cuda/grid.h"
#include "kernels/cuda/implicit_gemm.cuh"

namespace dae::kernels::cuda {

namespace detail {

void check_conv_indexing(const char* op, const Conv2dShape& s) {
  constexpr std::int64_t kLimit = std::int64_t(1) << 31;
  const std::int64_t gemm_k = std::int64_t(s.batch) * s.out_height * s.out_width;
  if (s.input_size() >= kLimit || s.output_size() >= kLimit || s.weight_size() >= kLimit || gemm_k >= kLimit) {
    throw ShapeError(std::string(op) + ": a tensor of this convolution has 2^31 elements or more (input " +
                     std::to_string(s.input_size()) + ", output " + std::to_string(s.output_size()) +
                     ", weight " + std::to_string(s.weight_size()) +
                     "); the CUDA kernels index with 32 bits: split the batch");
  }
}

void conv_forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias,
                  float* y) {
  switch (ex.conv_algo) {
    case ConvAlgo::kCustom: implicit_gemm::forward(ex, s, x, weight, bias, y); return;
    case ConvAlgo::kCublas: cublas_conv::forward(ex, s, x, weight, bias, y); return;
    case ConvAlgo::kCudnn: cudnn_conv::forward(ex, s, x, weight, bias, y); return;
  }
}

void conv_backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight,
                        const float* bias, float* grad_x) {
  switch (ex.conv_algo) {
    case ConvAlgo::kCustom: implicit_gemm::backward_data(ex, s, grad_y, weight, bias, grad_x); return;
    case ConvAlgo::kCublas: cublas_conv::backward_data(ex, s, grad_y, weight, bias, grad_x); return;
    case ConvAlgo::kCudnn: cudnn_conv::backward_data(ex, s, grad_y, weight, bias, grad_x); return;
  }
}

void conv_backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y,
                          float* grad_weight) {
  switch (ex.conv_algo) {
    case ConvAlgo::kCustom: implicit_gemm::backward_weight(ex, s, x, grad_y, grad_weight); return;
    case ConvAlgo::kCublas: cublas_conv::backward_weight(ex, s, x, grad_y, grad_weight); return;
    case ConvAlgo::kCudnn: cudnn_conv::backward_weight(ex, s, x, grad_y, grad_weight); return;
  }
}

// ---------------------------------------------------------------------------
// The implicit-GEMM launchers
// ---------------------------------------------------------------------------
namespace implicit_gemm {

namespace {

using gemm::ConvGeometry;

ConvGeometry geometry_of(const Conv2dShape& s) {
  ConvGeometry g;
  g.batch = s.batch;
  g.in_channels = s.in_channels;
  g.out_channels = s.out_channels;
  g.in_height = s.in_height;
  g.in_width = s.in_width;
  g.out_height = s.out_height;
  g.out_width = s.out_width;
  g.kernel_h = s.kernel_h;
  g.kernel_w = s.kernel_w;
  g.stride = s.stride;
  g.padding = s.padding;
  g.in_plane = s.in_height * s.in_width;
  g.out_plane = s.out_height * s.out_width;
  g.taps = s.kernel_h * s.kernel_w;
  g.by_out_plane = FastDivmod(g.out_plane);
  g.by_out_width = FastDivmod(g.out_width);
  g.by_taps = FastDivmod(g.taps);
  g.by_kernel_w = FastDivmod(g.kernel_w);
  return g;
}

int ceil_div(std::int64_t a, std::int64_t b) { return int((a + b - 1) / b); }

// The tile shapes, all 4096 outputs (4 x 4 per thread): 64 x 64 in general,
// and wider, flatter tiles when M is small (one or three output channels, or
// 32), where 64 rows would compute mostly padding. The choice never changes
// the bits: every output is summed over k in the same order by one thread.
struct TileChoice {
  int m, n;
};
TileChoice tile_for(int m) {
  if (m <= 16) return {16, 256};
  if (m <= 32) return {32, 128};
  return {64, 64};
}

template <int kTileM, int kTileN, class Problem>
void launch_tiles(const Exec& ex, const Problem& problem, int max_m, int max_n, int slices) {
  const dim3 grid(unsigned(ceil_div(max_n, kTileN)), unsigned(ceil_div(max_m, kTileM)), unsigned(slices));
  const auto implicit_gemm = &gemm::implicit_gemm_kernel<kTileM, kTileN, Problem>;
  DAE_LAUNCH(implicit_gemm, grid, gemm::kThreads, 0, ex.stream, problem);
}

// Launches the tiles of `problem`: slices (blockIdx.z) of at most max_m x max_n.
template <class Problem>
void launch_gemm(const Exec& ex, const Problem& problem, int max_m, int max_n, int slices) {
  if (max_m <= 0 || max_n <= 0 || slices <= 0) return;
  const TileChoice tile = tile_for(max_m);
  if (ceil_div(max_m, tile.m) > 65535 || slices > 65535) {
    throw ShapeError("conv2d: " + std::to_string(max_m) + " channels or " + std::to_string(slices) +
                     " slices exceed the CUDA grid");
  }
  if (tile.m == 16) {
    launch_tiles<16, 256>(ex, problem, max_m, max_n, slices);
  } else if (tile.m == 32) {
    launch_tiles<32, 128>(ex, problem, max_m, max_n, slices);
  } else {
    launch_tiles<64, 64>(ex, problem, max_m, max_n, slices);
  }
}

// Backward weight: the reduction (batch * OH * OW values) is cut into
// `splits` chunks of a whole number of k steps. The partition depends only
// on the shape (never on the GPU), so the sums have the same bits everywhere.
constexpr int kTargetBlocks = 256;      // enough blocks to keep a large GPU busy
constexpr int kMinStepsPerSplit = 8;    // a split sums at least 8 x 16 values
constexpr std::int64_t kMaxPartialFloats = std::int64_t(64) << 20;  // 256 MiB of partial sums at most

struct SplitPlan {
  int splits;
  int chunk;  // k values per split (a multiple of kTileK)
};

SplitPlan plan_splits(int m, int n, int k) {
  const TileChoice tile = tile_for(m);
  const std::int64_t tiles = std::int64_t(ceil_div(m, tile.m)) * ceil_div(n, tile.n);
  const int k_steps = std::max(1, ceil_div(k, gemm::kTileK));
  std::int64_t splits = std::max<std::int64_t>(1, (kTargetBlocks + tiles - 1) / tiles);
  splits = std::min<std::int64_t>(splits, std::max(1, k_steps / kMinStepsPerSplit));
  splits = std::min<std::int64_t>(splits, std::max<std::int64_t>(1, kMaxPartialFloats / (std::int64_t(m) * n)));
  splits = std::min<std::int64_t>(splits, 65535);
  const int steps_per_split = ceil_div(k_steps, splits);
  SplitPlan plan;
  plan.chunk = steps_per_split * gemm::kTileK;
  plan.splits = std::max(1, ceil_div(k, plan.chunk));
  return plan;
}

// out[i] = sum_{z < splits} partial[z][i], z in order.
__global__ void sum_splits_kernel(const float* partial, int splits, int n, float* out) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    float acc = partial[i];
    for (int z = 1; z < splits; ++z) acc += partial[std::int64_t(z) * n + i];
    out[i] = acc;
  }
}

}  // namespace

void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y) {
  gemm::ConvForwardProblem p;
  p.g = geometry_of(s);
  p.x = x;
  p.weight = weight;
  p.bias = bias;
  p.y = y;
  p.M = s.out_channels;
  p.N = s.batch * p.g.out_plane;
  p.K = s.in_channels * p.g.taps;
  p.k_begin = 0;
  p.k_end = p.K;
  launch_gemm(ex, p, p.M, p.N, 1);
}

void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x) {
  gemm::ConvBackwardDataProblem p;
  p.g = geometry_of(s);
  p.grad_y = grad_y;
  p.weight = weight;
  p.bias = bias;
  p.grad_x = grad_x;
  // Phase (0, 0) has the most pixels: ceil(H / s) x ceil(W / s) per image.
  const int largest_phase = s.batch * ceil_div(s.in_height, s.stride) * ceil_div(s.in_width, s.stride);
  if (std::int64_t(s.stride) * s.stride > 65535) throw ShapeError("conv2d: stride too large for the CUDA grid");
  launch_gemm(ex, p, s.in_channels, largest_phase, s.stride * s.stride);
}

void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight) {
  gemm::ConvBackwardWeightProblem p;
  p.g = geometry_of(s);
  p.x = x;
  p.grad_y = grad_y;
  p.M = s.out_channels;
  p.N = s.in_channels * p.g.taps;
  p.K = s.batch * p.g.out_plane;
  const SplitPlan plan = plan_splits(p.M, p.N, p.K);
  p.chunk = plan.chunk;
  const std::int64_t weight_elems = std::int64_t(p.M) * p.N;
  if (plan.splits == 1) {
    p.out = grad_weight;
    p.accumulate = false;
    launch_gemm(ex, p, p.M, p.N, 1);
  } else if (!ex.deterministic) {
    // Every split adds its part straight into grad_weight: less memory and one
    // kernel fewer, but the order of the float additions varies run to run.
    DAE_CUDA_CHECK(cudaMemsetAsync(grad_weight, 0, std::size_t(weight_elems) * sizeof(float),
                                   static_cast<cudaStream_t>(ex.stream)));
    p.out = grad_weight;
    p.accumulate = true;
    launch_gemm(ex, p, p.M, p.N, plan.splits);
  } else {
    ScratchBuffer partial(ex, std::size_t(plan.splits) * std::size_t(weight_elems) * sizeof(float));
    p.out = partial.as<float>();
    p.accumulate = false;
    launch_gemm(ex, p, p.M, p.N, plan.splits);
    DAE_LAUNCH(sum_splits_kernel, loop_grid(ex, weight_elems, kBlockThreads), kBlockThreads, 0, ex.stream,
               partial.as<float>(), plan.splits, int(weight_elems), grad_weight);
  }
}

}  // namespace implicit_gemm
}  // namespace detail

// ---------------------------------------------------------------------------
// The public passes
// ---------------------------------------------------------------------------

void conv2d_forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias,
                    float* y) {
  detail::check_conv_indexing("conv2d_forward", s);
  if (s.output_size() == 0) return;
  detail::conv_forward(ex, s, x, weight, bias, y);
}

void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight,
                          float* grad_x) {
  detail::check_conv_indexing("conv2d_backward_data", s);
  if (s.input_size() == 0) return;
  detail::conv_backward_data(ex, s, grad_y, weight, nullptr, grad_x);
}

void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y,
                            float* grad_weight, float* grad_bias) {
  detail::check_conv_indexing("conv2d_backward_weight", s);
  if (s.weight_size() > 0) detail::conv_backward_weight(ex, s, x, grad_y, grad_weight);
  if (grad_bias != nullptr) bias_backward(ex, s.batch, s.out_channels, s.out_height * s.out_width, grad_y, grad_bias);
}

}  // namespace dae::kernels::cuda
