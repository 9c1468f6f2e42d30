// Tests of the CUDA emulator (kernels/emu): each one runs small kernels
// written as ordinary CUDA code and checks that the emulator behaves like a
// GPU where a kernel depends on it (barriers, warp operations, atomics,
// launch limits), and that it catches what a GPU would get wrong silently
// (a missing barrier, a bad shared index, a deadlock, uninitialised shared
// memory). Compiled as host code in emulation, like kernels/cuda/*.cu.
#undef NDEBUG  // the device assert test needs assert()

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/elementwise.h"

using Catch::Matchers::Contains;

namespace {

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// A device array filled from / read back into host vectors.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : n_(n) { REQUIRE(cudaMalloc(&ptr_, n * sizeof(T)) == cudaSuccess); }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) { upload(host); }
  ~DeviceArray() { cudaFree(ptr_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  void upload(const std::vector<T>& host) {
    REQUIRE(cudaMemcpy(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    REQUIRE(cudaMemcpy(host.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return host;
  }

 private:
  T* ptr_ = nullptr;
  std::size_t n_;
};

// Launches through the emulator and returns the launch's status (clearing it).
template <typename... Params, typename... Args>
cudaError_t launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes,
                   Args&&... args) {
  (void)cudaGetLastError();
  dae::emu::launch(name, kernel, grid, block, shared_bytes, nullptr, std::forward<Args>(args)...);
  return cudaGetLastError();
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// Restores the emulator's settings when a test changed them.
struct SettingsGuard {
  std::uint64_t seed = dae::emu::seed();
  int threads = dae::emu::worker_threads();
  ~SettingsGuard() {
    dae::emu::set_seed(seed);
    dae::emu::set_worker_threads(threads);
  }
};

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

constexpr int kReduceBlock = 256;

// Sums each block's 256 inputs by a tree in shared memory. Without the
// barriers a thread can read a partial sum before its owner wrote it.
__global__ void tree_sum_kernel(const float* in, float* out, int use_barriers) {
  DAE_SHARED_ARRAY(float, partial, kReduceBlock);
  const unsigned t = threadIdx.x;
  partial[t] = in[blockIdx.x * blockDim.x + t];
  if (use_barriers) __syncthreads();  // every input is in shared memory
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (t < stride) partial[t] += partial[t + stride];
    if (use_barriers) __syncthreads();  // this level is complete before the next reads it
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

// C[m x n] = A[m x k] B[k x n], 16x16 tiles of A and B staged in shared memory.
constexpr int kTile = 16;
__global__ void sgemm_tiled_kernel(int m, int n, int k, const float* a, const float* b, float* c) {
  DAE_SHARED_ARRAY2(float, a_tile, kTile, kTile);
  DAE_SHARED_ARRAY2(float, b_tile, kTile, kTile);
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int row = int(blockIdx.y) * kTile + ty, col = int(blockIdx.x) * kTile + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < k; k0 += kTile) {
    a_tile[ty][tx] = (row < m && k0 + tx < k) ? a[row * k + k0 + tx] : 0.0f;
    b_tile[ty][tx] = (k0 + ty < k && col < n) ? b[(k0 + ty) * n + col] : 0.0f;
    __syncthreads();  // both tiles are loaded
    for (int kk = 0; kk < kTile; ++kk) acc += a_tile[ty][kk] * b_tile[kk][tx];
    __syncthreads();  // everyone is done with the tiles before they are overwritten
  }
  if (row < m && col < n) c[row * n + col] = acc;
}

__global__ void saxpy_kernel(std::int64_t n, float alpha, const float* x, float* y) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    y[i] = alpha * x[i] + y[i];
  }
}

// Counts how often each element is visited by a grid-stride loop.
__global__ void visit_count_kernel(std::int64_t n, int* visits) {
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    visits[i] += 1;
  }
}

// Reads a static shared array one past the end from the last thread.
__global__ void static_out_of_bounds_kernel(float* out) {
  DAE_SHARED_ARRAY(float, s, 64);
  s[threadIdx.x] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x + 1];
}

__global__ void static2_out_of_bounds_kernel(float* out, int column) {
  DAE_SHARED_ARRAY2(float, tile, 16, 17);
  tile[3][column] = 2.0f;
  out[0] = tile[3][0];
}

__global__ void dynamic_out_of_bounds_kernel(float* out, int index) {
  DAE_DYNAMIC_SHARED(float, buf);
  buf[threadIdx.x] = 1.0f;
  __syncthreads();
  if (threadIdx.x == 0) out[0] = buf[index];
}

// Reads shared memory that no thread wrote.
__global__ void read_unwritten_kernel(float* out_static, float* out_dynamic, int* out_int) {
  DAE_SHARED_ARRAY(float, s, 32);
  DAE_SHARED_ARRAY(int, counts, 32);
  DAE_DYNAMIC_SHARED(float, d);
  out_static[threadIdx.x] = s[threadIdx.x];
  out_dynamic[threadIdx.x] = d[threadIdx.x];
  out_int[threadIdx.x] = counts[threadIdx.x];
}

__global__ void empty_kernel() {}

__global__ void static_16k_kernel(float* out) {
  DAE_SHARED_ARRAY(float, big, 4096);  // 16 KiB
  big[threadIdx.x] = 1.0f;
  out[0] = big[0];
}

__global__ void dynamic_shared_kernel(float* out) {
  DAE_DYNAMIC_SHARED(float, d);
  d[threadIdx.x] = float(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = d[blockDim.x - 1 - threadIdx.x];
}

// Every warp operation on every lane; 14 results per thread.
constexpr int kWarpResults = 14;
__global__ void warp_ops_kernel(const int* in, int* out) {
  const int t = int(threadIdx.x), lane = t % 32;
  const int v = in[t];
  int* o = out + t * kWarpResults;
  int sum_down = v;
  for (int offset = 16; offset > 0; offset /= 2) sum_down += __shfl_down_sync(0xffffffffu, sum_down, offset);
  int sum_xor = v;
  for (int offset = 16; offset > 0; offset /= 2) sum_xor += __shfl_xor_sync(0xffffffffu, sum_xor, offset);
  int scan = v;
  for (int offset = 1; offset < 32; offset *= 2) {
    const int from_below = __shfl_up_sync(0xffffffffu, scan, offset);
    if (lane >= offset) scan += from_below;
  }
  int group_sum = v;
  for (int offset = 4; offset > 0; offset /= 2) group_sum += __shfl_xor_sync(0xffffffffu, group_sum, offset, 8);
  o[0] = sum_down;
  o[1] = sum_xor;
  o[2] = scan;
  o[3] = __shfl_sync(0xffffffffu, v, 5);          // broadcast lane 5
  o[4] = __shfl_sync(0xffffffffu, v, 3, 16);      // lane 3 of each half
  o[5] = __shfl_sync(0xffffffffu, v, 35);         // srcLane modulo 32
  o[6] = __shfl_down_sync(0xffffffffu, v, 2, 8);  // own value at the top of each group of 8
  o[7] = __shfl_up_sync(0xffffffffu, v, 3, 8);
  o[8] = group_sum;
  o[9] = int(__ballot_sync(0xffffffffu, v % 2 == 1));
  o[10] = __any_sync(0xffffffffu, v > 1000);
  o[11] = __all_sync(0xffffffffu, v >= 0);
  o[12] = __reduce_add_sync(0xffffffffu, v);
  __syncwarp();
  o[13] = __shfl_xor_sync(0xffffffffu, v, 16, 16);  // xor into the next group: own value
}

// Float warp reduction to one value per warp, then per block through shared memory.
__global__ void block_sum_shuffle_kernel(const float* in, float* out) {
  DAE_SHARED_ARRAY(float, warp_sums, 32);
  const unsigned t = threadIdx.x;
  float v = in[blockIdx.x * blockDim.x + t];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  if (t % 32 == 0) warp_sums[t / 32] = v;
  __syncthreads();  // every warp's sum is written
  if (t < 32) {
    float w = t < blockDim.x / 32 ? warp_sums[t] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2) w += __shfl_down_sync(0xffffffffu, w, offset);
    if (t == 0) out[blockIdx.x] = w;
  }
}

__global__ void active_mask_kernel(unsigned* out) {
  const int lane = int(threadIdx.x % 32);
  if (lane >= 20) return;
  unsigned mask;
  if (lane < 6) {
    mask = __activemask();
  } else {
    mask = __activemask();
  }
  out[threadIdx.x] = mask;
}

__global__ void partial_warp_kernel(float* out) {
  // 40 threads: warp 1 has lanes 0..7 only; lane 0 reads lane 16, which does not exist.
  const float v = 1.0f;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, v, 16);
}

__global__ void bad_mask_kernel(int* out) {
  out[threadIdx.x] = __shfl_sync(0x1u, 1, 0);  // lanes other than 0 leave themselves out of the mask
}

__global__ void sync_count_kernel(int* out) {
  const int t = int(threadIdx.x);
  const int count = __syncthreads_count(t % 3 == 0);
  const int all = __syncthreads_and(t >= 0);
  const int any = __syncthreads_or(t == 77);
  const int none = __syncthreads_or(t > 1000);
  if (t == 0) {
    out[0] = count;
    out[1] = all;
    out[2] = any;
    out[3] = none;
  }
}

// Threads past `n` return before the barrier; the rest still meet at it.
__global__ void early_exit_barrier_kernel(int n, float* out) {
  DAE_SHARED_ARRAY(float, s, 128);
  const int t = int(threadIdx.x);
  if (t >= n) return;
  s[t] = float(t);
  __syncthreads();  // every staying thread wrote its value
  out[t] = s[n - 1 - t];
}

__global__ void divergent_barrier_kernel(float* out) {
  DAE_SHARED_ARRAY(float, s, 64);
  s[threadIdx.x] = 1.0f;
  if (threadIdx.x % 2 == 0) __syncthreads();  // only the even threads wait here
  __syncthreads();
  out[threadIdx.x] = s[63 - threadIdx.x];
}

__global__ void barrier_versus_warp_kernel(int* out) {
  const int lane = int(threadIdx.x % 32);
  if (lane < 16) {
    __syncthreads();  // needs lanes 16..31, which wait below for lanes 0..15
  } else {
    __syncwarp();
  }
  out[threadIdx.x] = lane;
}

__global__ void atomics_kernel(int* int_total, unsigned long long* wide_total, int* max_index, int* min_index,
                               unsigned* cas_total, float* float_total, unsigned* bits_or) {
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  atomicAdd(int_total, 1);
  atomicAdd(wide_total, (unsigned long long)(i) + 1);
  atomicMax(max_index, i);
  atomicMin(min_index, i);
  unsigned seen = *cas_total, assumed;
  do {  // an increment built from compare-and-swap
    assumed = seen;
    seen = atomicCAS(cas_total, assumed, assumed + 1);
  } while (seen != assumed);
  atomicAdd(float_total, 1.0f);
  atomicOr(bits_or, 1u << (i % 32));
  atomicSub(int_total, 0);
}

__global__ void trap_kernel(int* out) {
  if (threadIdx.x == 5) __trap();
  out[threadIdx.x] = 1;
}

__global__ void assert_kernel(int* out) {
  assert(threadIdx.x != 7);
  out[threadIdx.x] = 1;
}

__global__ void throwing_kernel(int* out) {
  if (threadIdx.x == 3) throw std::runtime_error("thrown by thread 3");
  out[threadIdx.x] = 1;
}

// Exactly rounded arithmetic: inputs come from memory so nothing folds at compile time.
__global__ void rounding_kernel(const float* in, float* out) {
  const float a = in[0], b = in[1], c = in[2];
  out[0] = __fadd_rn(__fmul_rn(a, b), c);  // two roundings, never fused
  out[1] = __fmaf_rn(a, b, c);             // one rounding
  out[2] = __fdiv_rn(in[3], in[4]);
  out[3] = __fsqrt_rn(in[4]);
  out[4] = __fsub_rn(in[3], in[4]);
}

#if defined(__x86_64__)
// The same with FMA instructions available and contraction allowed: a plain
// a * b + c may be fused here, __fadd_rn(__fmul_rn(a, b), c) must not be.
__attribute__((target("fma"), optimize("fp-contract=fast"))) __global__ void rounding_fma_kernel(const float* in,
                                                                                               float* out) {
  const float a = in[0], b = in[1], c = in[2];
  out[0] = __fadd_rn(__fmul_rn(a, b), c);
  out[1] = a * b + c;
}
#endif

// ---------------------------------------------------------------------------
// Host references
// ---------------------------------------------------------------------------

std::vector<float> block_inputs(int blocks) {
  std::vector<float> in(std::size_t(blocks) * kReduceBlock);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = float(1 + i % 97);  // small integers: exact sums
  return in;
}

std::vector<float> block_sums(const std::vector<float>& in) {
  std::vector<float> sums(in.size() / kReduceBlock, 0.0f);
  for (std::size_t i = 0; i < in.size(); ++i) sums[i / kReduceBlock] += in[i];
  return sums;
}

std::vector<float> run_tree_sum(const std::vector<float>& in, bool use_barriers) {
  const int blocks = int(in.size() / kReduceBlock);
  DeviceArray<float> d_in(in), d_out{std::size_t(blocks)};
  REQUIRE(launch("tree_sum_kernel", tree_sum_kernel, blocks, kReduceBlock, 0, d_in.get(), d_out.get(),
                 use_barriers ? 1 : 0) == cudaSuccess);
  return d_out.download();
}

std::vector<float> host_matmul(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> c(std::size_t(m) * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p) acc += double(a[std::size_t(i) * k + p]) * b[std::size_t(p) * n + j];
      c[std::size_t(i) * n + j] = float(acc);
    }
  }
  return c;
}

std::vector<float> ramp(std::size_t n, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * float(int(i * 7919 % 23) - 11);
  return v;
}

double seconds_of(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// ---------------------------------------------------------------------------
// (a) Barriers and thread-order shuffling
// ---------------------------------------------------------------------------

TEST_CASE("a tree reduction without its barriers gives a wrong sum under shuffled thread order", "[barrier]") {
  SettingsGuard guard;
  const std::vector<float> in = block_inputs(8);
  const std::vector<float> expected = block_sums(in);

  dae::emu::set_seed(dae::emu::kDefaultSeed);
  CHECK(run_tree_sum(in, false) != expected);

  int wrong = 0;
  const int n_seeds = 16;
  for (int seed = 1; seed <= n_seeds; ++seed) {
    dae::emu::set_seed(std::uint64_t(seed));
    if (run_tree_sum(in, false) != expected) ++wrong;
  }
  INFO(wrong << " of " << n_seeds << " seeds caught the missing barriers");
  CHECK(wrong >= n_seeds - 1);
}

TEST_CASE("the same reduction with its barriers is right for every seed", "[barrier]") {
  SettingsGuard guard;
  const std::vector<float> in = block_inputs(8);
  const std::vector<float> expected = block_sums(in);
  for (int seed = 0; seed < 16; ++seed) {
    dae::emu::set_seed(std::uint64_t(seed));
    REQUIRE(run_tree_sum(in, true) == expected);
  }
}

TEST_CASE("a tiled SGEMM with two barriers per tile matches the host product", "[barrier]") {
  const int m = 70, n = 45, k = 83;  // not multiples of the tile: edge tiles are partial
  const std::vector<float> a = ramp(std::size_t(m) * k, 0.25f), b = ramp(std::size_t(k) * n, 0.5f);
  DeviceArray<float> d_a(a), d_b(b), d_c(std::size_t(m) * n);
  const dim3 grid((n + kTile - 1) / kTile, (m + kTile - 1) / kTile);
  REQUIRE(launch("sgemm_tiled_kernel", sgemm_tiled_kernel, grid, dim3(kTile, kTile), 0, m, n, k, d_a.get(),
                 d_b.get(), d_c.get()) == cudaSuccess);
  CHECK(d_c.download() == host_matmul(m, n, k, a, b));  // every partial product is exact in float
}

TEST_CASE("__syncthreads_count, _and and _or reduce the predicate over the block", "[barrier]") {
  DeviceArray<int> out(4);
  REQUIRE(launch("sync_count_kernel", sync_count_kernel, 1, 200, 0, out.get()) == cudaSuccess);
  CHECK(out.download() == std::vector<int>{67, 1, 1, 0});
}

TEST_CASE("threads that returned early count as arrived at __syncthreads", "[barrier]") {
  DeviceArray<float> out(std::vector<float>(128, -1.0f));
  REQUIRE(launch("early_exit_barrier_kernel", early_exit_barrier_kernel, 1, 128, 0, 100, out.get()) == cudaSuccess);
  const std::vector<float> got = out.download();
  for (int t = 0; t < 100; ++t) REQUIRE(got[std::size_t(t)] == float(99 - t));
  CHECK(got[100] == -1.0f);
}

TEST_CASE("results do not depend on the number of OS threads running blocks", "[barrier]") {
  SettingsGuard guard;
  const std::vector<float> in = block_inputs(64);
  DeviceArray<float> d_in(in), d_out(64);
  std::vector<std::vector<float>> unsynced, shuffled_sums;
  for (const int threads : {1, 3}) {
    dae::emu::set_worker_threads(threads);
    dae::emu::set_seed(1234);
    unsynced.push_back(run_tree_sum(in, false));
    REQUIRE(launch("block_sum_shuffle_kernel", block_sum_shuffle_kernel, 64, kReduceBlock, 0, d_in.get(),
                   d_out.get()) == cudaSuccess);
    shuffled_sums.push_back(d_out.download());
  }
  CHECK(shuffled_sums[0] == block_sums(in));
  CHECK(shuffled_sums[0] == shuffled_sums[1]);
  // Even the wrong answer of the racy kernel is the same: the order depends on the seed only.
  CHECK(std::memcmp(unsynced[0].data(), unsynced[1].data(), unsynced[0].size() * sizeof(float)) == 0);
}

// ---------------------------------------------------------------------------
// (b) Shared-memory bounds and (h) poison
// ---------------------------------------------------------------------------

TEST_CASE("an out-of-bounds static shared index fails the launch and names the index", "[shared]") {
  DeviceArray<float> out(64);
  (void)cudaGetLastError();
  dae::emu::launch("static_out_of_bounds_kernel", static_out_of_bounds_kernel, 1, 64, 0, nullptr, out.get());
  REQUIRE(cudaGetLastError() == cudaErrorIllegalAddress);
  const std::string detail = dae::emu::error_detail(cudaErrorIllegalAddress);
  CHECK_THAT(detail, Contains("static_out_of_bounds_kernel") && Contains("s[64]") && Contains("64 elements") &&
                         Contains("thread (63,0,0)") && Contains("block (0,0,0)"));
  CHECK(cudaGetLastError() == cudaSuccess);
}

TEST_CASE("DAE_LAUNCH turns a launch failure into a DeviceError carrying the emulator's message", "[shared]") {
  DeviceArray<float> out(64);
  const auto run = [&] { DAE_LAUNCH(static_out_of_bounds_kernel, 1, 64, 0, nullptr, out.get()); };
  CHECK_THROWS_AS(run(), dae::DeviceError);
  CHECK_THROWS_WITH(run(), Contains("cudaErrorIllegalAddress") && Contains("static_out_of_bounds_kernel") &&
                               Contains("s[64]"));
}

TEST_CASE("an out-of-bounds column of a 2-D shared array is caught", "[shared]") {
  DeviceArray<float> out(1);
  CHECK(launch("static2_out_of_bounds_kernel", static2_out_of_bounds_kernel, 1, 1, 0, out.get(), 16) ==
        cudaSuccess);
  REQUIRE(launch("static2_out_of_bounds_kernel", static2_out_of_bounds_kernel, 1, 1, 0, out.get(), 17) ==
          cudaErrorIllegalAddress);
  CHECK_THAT(dae::emu::error_detail(cudaErrorIllegalAddress), Contains("tile[3][17]") && Contains("[16][17]"));
}

TEST_CASE("an out-of-bounds dynamic shared index fails the launch and names the index", "[shared]") {
  DeviceArray<float> out(1);
  const std::size_t bytes = 64 * sizeof(float);
  CHECK(launch("dynamic_out_of_bounds_kernel", dynamic_out_of_bounds_kernel, 1, 64, bytes, out.get(), 63) ==
        cudaSuccess);
  CHECK(out.download()[0] == 1.0f);
  REQUIRE(launch("dynamic_out_of_bounds_kernel", dynamic_out_of_bounds_kernel, 1, 64, bytes, out.get(), 64) ==
          cudaErrorIllegalAddress);
  CHECK_THAT(dae::emu::error_detail(cudaErrorIllegalAddress), Contains("buf[64]") && Contains("64 elements"));
  REQUIRE(launch("dynamic_out_of_bounds_kernel", dynamic_out_of_bounds_kernel, 1, 64, bytes, out.get(), -1) ==
          cudaErrorIllegalAddress);
  CHECK_THAT(dae::emu::error_detail(cudaErrorIllegalAddress), Contains("buf[-1]"));
}

TEST_CASE("dynamic shared memory has the launch's size and is shared by the block", "[shared]") {
  DeviceArray<float> out(100);
  REQUIRE(launch("dynamic_shared_kernel", dynamic_shared_kernel, 1, 100, 100 * sizeof(float), out.get()) ==
          cudaSuccess);
  const std::vector<float> got = out.download();
  for (int t = 0; t < 100; ++t) REQUIRE(got[std::size_t(t)] == float(99 - t));
}

TEST_CASE("shared memory nobody wrote reads as poison (NaN, -1)", "[shared]") {
  DeviceArray<float> s(32), d(32);
  DeviceArray<int> counts(32);
  REQUIRE(launch("read_unwritten_kernel", read_unwritten_kernel, 1, 32, 32 * sizeof(float), s.get(), d.get(),
                 counts.get()) == cudaSuccess);
  for (const float v : s.download()) REQUIRE(std::isnan(v));
  for (const float v : d.download()) REQUIRE(std::isnan(v));
  for (const int v : counts.download()) REQUIRE(v == -1);
}

TEST_CASE("fresh device memory reads as poison too", "[shared]") {
  DeviceArray<float> fresh(16);
  for (const float v : fresh.download()) REQUIRE(bits(v) == 0xffffffffu);
}

// ---------------------------------------------------------------------------
// (c) Launch limits
// ---------------------------------------------------------------------------

TEST_CASE("launch geometry over the sm_90 limits is refused with cudaErrorInvalidConfiguration", "[limits]") {
  CHECK(launch("empty_kernel", empty_kernel, 1, 1024, 0) == cudaSuccess);
  CHECK(launch("empty_kernel", empty_kernel, dim3(1, 65535, 1), 1, 0) == cudaSuccess);

  REQUIRE(launch("empty_kernel", empty_kernel, 1, 1025, 0) == cudaErrorInvalidConfiguration);
  CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidConfiguration), Contains("empty_kernel") && Contains("1025"));
  CHECK(launch("empty_kernel", empty_kernel, 1, dim3(32, 32, 2), 0) == cudaErrorInvalidConfiguration);
  CHECK(launch("empty_kernel", empty_kernel, 1, dim3(1, 1, 65), 0) == cudaErrorInvalidConfiguration);

  REQUIRE(launch("empty_kernel", empty_kernel, dim3(1, 65536, 1), 1, 0) == cudaErrorInvalidConfiguration);
  CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidConfiguration), Contains("gridDim.y = 65536"));
  CHECK(launch("empty_kernel", empty_kernel, dim3(1, 1, 65536), 1, 0) == cudaErrorInvalidConfiguration);

  REQUIRE(launch("empty_kernel", empty_kernel, 0, 32, 0) == cudaErrorInvalidConfiguration);
  CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidConfiguration), Contains("zero"));
  CHECK(launch("empty_kernel", empty_kernel, 4, dim3(32, 0, 1), 0) == cudaErrorInvalidConfiguration);
}

TEST_CASE("more than 48 KiB of shared memory needs the opt-in", "[limits]") {
  DeviceArray<float> out(256);
  const std::size_t kib49 = 49 * 1024;
  CHECK(launch("dynamic_shared_kernel", dynamic_shared_kernel, 1, 32, 48 * 1024, out.get()) == cudaSuccess);
  REQUIRE(launch("dynamic_shared_kernel", dynamic_shared_kernel, 1, 32, kib49, out.get()) == cudaErrorInvalidValue);
  CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidValue), Contains("50176") && Contains("49152"));

  // Static and dynamic together: 16 KiB + 33 KiB. The first launch finds out
  // while its blocks run, later ones before they start.
  for (int attempt = 0; attempt < 2; ++attempt) {
    REQUIRE(launch("static_16k_kernel", static_16k_kernel, 2, 32, 33 * 1024, out.get()) == cudaErrorInvalidValue);
    CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidValue), Contains("16384") && Contains("33792"));
  }
  CHECK(launch("static_16k_kernel", static_16k_kernel, 2, 32, 32 * 1024, out.get()) == cudaSuccess);

  // The opt-in allows up to 227 KiB in all.
  REQUIRE(cudaFuncSetAttribute(dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 * 1024) ==
          cudaSuccess);
  CHECK(launch("dynamic_shared_kernel", dynamic_shared_kernel, 1, 32, 200 * 1024, out.get()) == cudaSuccess);
  CHECK(launch("dynamic_shared_kernel", dynamic_shared_kernel, 1, 32, 201 * 1024, out.get()) ==
        cudaErrorInvalidValue);
  CHECK(cudaFuncSetAttribute(dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 228 * 1024) ==
        cudaErrorInvalidValue);
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
}

// ---------------------------------------------------------------------------
// (d) Warp operations
// ---------------------------------------------------------------------------

TEST_CASE("warp shuffles, votes and reductions give CUDA's results", "[warp]") {
  const int n = 64;  // two warps
  std::vector<int> in(n);
  for (int t = 0; t < n; ++t) in[std::size_t(t)] = (t * 37 + 11) % 101;
  DeviceArray<int> d_in(in), d_out(std::size_t(n) * kWarpResults);
  REQUIRE(launch("warp_ops_kernel", warp_ops_kernel, 1, n, 0, d_in.get(), d_out.get()) == cudaSuccess);
  const std::vector<int> out = d_out.download();

  for (int warp = 0; warp < 2; ++warp) {
    const int* v = in.data() + warp * 32;
    const int warp_sum = std::accumulate(v, v + 32, 0);
    unsigned odd = 0;
    for (int lane = 0; lane < 32; ++lane) odd |= (v[lane] % 2 == 1 ? 1u : 0u) << lane;
    for (int lane = 0; lane < 32; ++lane) {
      const int* o = out.data() + (warp * 32 + lane) * kWarpResults;
      INFO("warp " << warp << " lane " << lane);
      if (lane == 0) CHECK(o[0] == warp_sum);
      CHECK(o[1] == warp_sum);
      CHECK(o[2] == std::accumulate(v, v + lane + 1, 0));
      CHECK(o[3] == v[5]);
      CHECK(o[4] == v[(lane / 16) * 16 + 3]);
      CHECK(o[5] == v[3]);
      CHECK(o[6] == (lane % 8 + 2 < 8 ? v[lane + 2] : v[lane]));
      CHECK(o[7] == (lane % 8 >= 3 ? v[lane - 3] : v[lane]));
      CHECK(o[8] == std::accumulate(v + lane / 8 * 8, v + lane / 8 * 8 + 8, 0));
      CHECK(unsigned(o[9]) == odd);
      CHECK(o[10] == 0);
      CHECK(o[11] == 1);
      CHECK(o[12] == warp_sum);
      CHECK(o[13] == (lane < 16 ? v[lane] : v[lane - 16]));  // lanes 16..31 read the group before theirs
    }
  }
}

TEST_CASE("a warp-shuffle block reduction sums floats like the GPU", "[warp]") {
  const std::vector<float> in = block_inputs(5);
  DeviceArray<float> d_in(in), d_out(5);
  REQUIRE(launch("block_sum_shuffle_kernel", block_sum_shuffle_kernel, 5, kReduceBlock, 0, d_in.get(),
                 d_out.get()) == cudaSuccess);
  CHECK(d_out.download() == block_sums(in));
}

TEST_CASE("__activemask is the lanes that reach it together", "[warp]") {
  DeviceArray<unsigned> out(std::vector<unsigned>(64, 0u));
  REQUIRE(launch("active_mask_kernel", active_mask_kernel, 1, 64, 0, out.get()) == cudaSuccess);
  const std::vector<unsigned> got = out.download();
  for (int t = 0; t < 64; ++t) {
    const int lane = t % 32;
    INFO("thread " << t);
    CHECK(got[std::size_t(t)] == (lane >= 20 ? 0u : lane < 6 ? 0x3fu : 0xfffc0u));
  }
}

TEST_CASE("a shuffle reading a lane that does not exist gets poison", "[warp]") {
  DeviceArray<float> out(40);
  REQUIRE(launch("partial_warp_kernel", partial_warp_kernel, 1, 40, 0, out.get()) == cudaSuccess);
  const std::vector<float> got = out.download();
  CHECK(got[0] == 1.0f);       // warp 0: lane 16 exists
  CHECK(std::isnan(got[32]));  // warp 1: lane 16 does not
}

TEST_CASE("a warp operation whose mask leaves out the calling lane fails the launch", "[warp]") {
  DeviceArray<int> out(32);
  REQUIRE(launch("bad_mask_kernel", bad_mask_kernel, 1, 32, 0, out.get()) == cudaErrorLaunchFailure);
  CHECK_THAT(dae::emu::error_detail(cudaErrorLaunchFailure), Contains("__shfl_sync") && Contains("0x00000001"));
}

// ---------------------------------------------------------------------------
// (e) Atomics
// ---------------------------------------------------------------------------

TEST_CASE("atomics from many blocks on several OS threads add up exactly", "[atomics]") {
  SettingsGuard guard;
  dae::emu::set_worker_threads(4);
  const int blocks = 96, threads = 256, n = blocks * threads;
  DeviceArray<int> int_total(std::vector<int>{0}), max_index(std::vector<int>{-1}),
      min_index(std::vector<int>{1 << 30});
  DeviceArray<unsigned long long> wide_total(std::vector<unsigned long long>{0});
  DeviceArray<unsigned> cas_total(std::vector<unsigned>{0}), bits_or(std::vector<unsigned>{0});
  DeviceArray<float> float_total(std::vector<float>{0.0f});
  REQUIRE(launch("atomics_kernel", atomics_kernel, blocks, threads, 0, int_total.get(), wide_total.get(),
                 max_index.get(), min_index.get(), cas_total.get(), float_total.get(), bits_or.get()) ==
          cudaSuccess);
  CHECK(int_total.download()[0] == n);
  CHECK(wide_total.download()[0] == (unsigned long long)(n) * (n + 1) / 2);
  CHECK(max_index.download()[0] == n - 1);
  CHECK(min_index.download()[0] == 0);
  CHECK(cas_total.download()[0] == unsigned(n));
  CHECK(float_total.download()[0] == float(n));
  CHECK(bits_or.download()[0] == 0xffffffffu);
}

// ---------------------------------------------------------------------------
// (f) Deadlocks and other faults
// ---------------------------------------------------------------------------

TEST_CASE("a __syncthreads reached by only part of the block is reported as a deadlock", "[deadlock]") {
  DeviceArray<float> out(64);
  REQUIRE(launch("divergent_barrier_kernel", divergent_barrier_kernel, 2, 64, 0, out.get()) ==
          cudaErrorLaunchFailure);
  CHECK_THAT(dae::emu::error_detail(cudaErrorLaunchFailure),
             Contains("divergent_barrier_kernel") && Contains("deadlock") && Contains("block (0,0,0)") &&
                 Contains("different __syncthreads"));
}

TEST_CASE("a barrier and a warp sync waiting for each other are a deadlock", "[deadlock]") {
  DeviceArray<int> out(32);
  REQUIRE(launch("barrier_versus_warp_kernel", barrier_versus_warp_kernel, 1, 32, 0, out.get()) ==
          cudaErrorLaunchFailure);
  CHECK_THAT(dae::emu::error_detail(cudaErrorLaunchFailure),
             Contains("deadlock") && Contains("16 threads wait at __syncthreads") && Contains("__syncwarp"));
  // The emulator recovers: the next launch runs normally.
  DeviceArray<float> in(block_inputs(1)), sum(1);
  REQUIRE(launch("tree_sum_kernel", tree_sum_kernel, 1, kReduceBlock, 0, in.get(), sum.get(), 1) == cudaSuccess);
  CHECK(sum.download() == block_sums(block_inputs(1)));
}

TEST_CASE("__trap, a failed assert and a thrown exception fail the launch", "[deadlock]") {
  DeviceArray<int> out(32);
  REQUIRE(launch("trap_kernel", trap_kernel, 1, 32, 0, out.get()) == cudaErrorLaunchFailure);
  CHECK_THAT(dae::emu::error_detail(cudaErrorLaunchFailure), Contains("__trap") && Contains("thread (5,0,0)"));
  REQUIRE(launch("assert_kernel", assert_kernel, 1, 32, 0, out.get()) == cudaErrorAssert);
  CHECK_THAT(dae::emu::error_detail(cudaErrorAssert), Contains("threadIdx.x != 7") && Contains("thread (7,0,0)"));
  REQUIRE(launch("throwing_kernel", throwing_kernel, 1, 32, 0, out.get()) == cudaErrorLaunchFailure);
  CHECK_THAT(dae::emu::error_detail(cudaErrorLaunchFailure), Contains("thrown by thread 3"));
}

// ---------------------------------------------------------------------------
// (g) Grid-stride loops
// ---------------------------------------------------------------------------

TEST_CASE("a grid-stride loop with a grid smaller than the problem visits every element once", "[grid]") {
  const std::int64_t n = 10007;
  DeviceArray<int> visits(std::vector<int>(std::size_t(n), 0));
  REQUIRE(launch("visit_count_kernel", visit_count_kernel, 3, 64, 0, n, visits.get()) == cudaSuccess);
  for (const int v : visits.download()) REQUIRE(v == 1);
}

TEST_CASE("the project's elementwise kernels run in emulation, past their 4096-block grid cap", "[grid]") {
  const std::int64_t n = 4096 * 256 + 777;  // more elements than the capped grid has threads
  std::vector<float> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    a[std::size_t(i)] = float(i % 1000);
    b[std::size_t(i)] = 0.5f;
  }
  DeviceArray<float> d_a(a), d_b(b), d_out{std::size_t(n)};
  const dae::kernels::Exec ex;
  dae::kernels::cuda::add(ex, n, d_a.get(), d_b.get(), d_out.get());
  const std::vector<float> out = d_out.download();
  for (std::int64_t i = 0; i < n; ++i) REQUIRE(out[std::size_t(i)] == a[std::size_t(i)] + 0.5f);
  dae::kernels::cuda::fill(ex, n, 3.0f, d_out.get());
  for (const float v : d_out.download()) REQUIRE(v == 3.0f);
}

// ---------------------------------------------------------------------------
// Exact arithmetic
// ---------------------------------------------------------------------------

TEST_CASE("the _rn intrinsics are correctly rounded IEEE operations and never fused", "[math]") {
  // a * b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11; adding -(1 + 2^-11) then gives 0,
  // while a fused multiply-add keeps the 2^-24.
  const float a = 1.0f + std::ldexp(1.0f, -12);
  const float c = -(1.0f + std::ldexp(1.0f, -11));
  DeviceArray<float> in(std::vector<float>{a, a, c, 1.0f, 3.0f}), out(5);
  REQUIRE(launch("rounding_kernel", rounding_kernel, 1, 1, 0, in.get(), out.get()) == cudaSuccess);
  const std::vector<float> got = out.download();
  CHECK(got[0] == 0.0f);
  CHECK(got[1] == std::ldexp(1.0f, -24));
  volatile float one = 1.0f, three = 3.0f;
  CHECK(bits(got[2]) == bits(one / three));
  CHECK(bits(got[3]) == bits(std::sqrt(three)));
  CHECK(got[4] == -2.0f);
#if defined(__x86_64__)
  if (__builtin_cpu_supports("fma")) {
    REQUIRE(launch("rounding_fma_kernel", rounding_fma_kernel, 1, 1, 0, in.get(), out.get()) == cudaSuccess);
    const std::vector<float> fused = out.download();
    CHECK(fused[0] == 0.0f);  // still two roundings
    INFO("a plain a * b + c here gave " << fused[1] << " (2^-24 when the compiler fused it)");
    CHECK((fused[1] == 0.0f || fused[1] == std::ldexp(1.0f, -24)));
  }
#endif
}

// ---------------------------------------------------------------------------
// (i) Runtime API
// ---------------------------------------------------------------------------

TEST_CASE("cudaMalloc, cudaMemset and cudaMemcpy round-trip data", "[runtime]") {
  const std::size_t n = 1000;
  float* a = nullptr;
  float* b = nullptr;
  REQUIRE(cudaMalloc(&a, n * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMalloc(&b, n * sizeof(float)) == cudaSuccess);
  std::size_t free_bytes = 0, total_bytes = 0;
  REQUIRE(cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess);
  CHECK(free_bytes + 2 * n * sizeof(float) <= total_bytes);

  REQUIRE(cudaMemset(a, 0, n * sizeof(float)) == cudaSuccess);
  std::vector<float> host(n, 5.0f);
  REQUIRE(cudaMemcpy(host.data(), a, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  for (const float v : host) REQUIRE(v == 0.0f);

  std::vector<float> values(n);
  std::iota(values.begin(), values.end(), 1.0f);
  REQUIRE(cudaMemcpy(a, values.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  REQUIRE(cudaMemcpyAsync(b, a, n * sizeof(float), cudaMemcpyDeviceToDevice, nullptr) == cudaSuccess);
  REQUIRE(cudaMemcpy(host.data(), b, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(host == values);

  REQUIRE(cudaFree(a) == cudaSuccess);
  REQUIRE(cudaFree(b) == cudaSuccess);
  CHECK(cudaFree(nullptr) == cudaSuccess);
}

TEST_CASE("a failed call is the last error until cudaGetLastError reads it", "[runtime]") {
  (void)cudaGetLastError();
  std::vector<float> host(4);
  float* device = nullptr;
  REQUIRE(cudaMalloc(&device, 4 * sizeof(float)) == cudaSuccess);
  // A host pointer where the device pointer should be.
  CHECK(cudaMemcpy(host.data(), host.data(), 4 * sizeof(float), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
  CHECK_THAT(dae::emu::error_detail(cudaErrorInvalidValue), Contains("not inside a device allocation"));
  CHECK(cudaPeekAtLastError() == cudaErrorInvalidValue);
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(cudaMemcpy(device, host.data(), 8 * sizeof(float), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(device, host.data(), 4, cudaMemcpyKind(7)) == cudaErrorInvalidMemcpyDirection);
  int not_allocated = 0;
  CHECK(cudaFree(&not_allocated) == cudaErrorInvalidValue);
  CHECK(cudaSetDevice(1) == cudaErrorInvalidDevice);
  CHECK(cudaGetLastError() == cudaErrorInvalidDevice);  // the most recent one
  CHECK(cudaGetLastError() == cudaSuccess);
  CHECK(std::string(cudaGetErrorString(cudaErrorInvalidValue)) == "invalid argument");
  CHECK(std::string(cudaGetErrorName(cudaErrorLaunchFailure)) == "cudaErrorLaunchFailure");
  REQUIRE(cudaFree(device) == cudaSuccess);
}

TEST_CASE("the emulated device reports sm_90 limits, and streams and events work", "[runtime]") {
  int count = 0, device = -1;
  REQUIRE(cudaGetDeviceCount(&count) == cudaSuccess);
  CHECK(count == 1);
  REQUIRE(cudaSetDevice(0) == cudaSuccess);
  REQUIRE(cudaGetDevice(&device) == cudaSuccess);
  CHECK(device == 0);
  cudaDeviceProp prop{};
  REQUIRE(cudaGetDeviceProperties(&prop, 0) == cudaSuccess);
  CHECK(std::string(prop.name) == "CUDA emulator (sm_90 limits)");
  CHECK(prop.major == 9);
  CHECK(prop.maxThreadsPerBlock == 1024);
  CHECK(prop.maxThreadsDim[2] == 64);
  CHECK(prop.maxGridSize[0] == 2147483647);
  CHECK(prop.maxGridSize[1] == 65535);
  CHECK(prop.sharedMemPerBlock == 48 * 1024);
  CHECK(prop.sharedMemPerBlockOptin == 227 * 1024);
  CHECK(prop.warpSize == 32);
  CHECK(prop.totalGlobalMem > 0);
  int sms = 0;
  REQUIRE(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0) == cudaSuccess);
  CHECK(sms == prop.multiProcessorCount);

  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
  cudaEvent_t start = nullptr, stop = nullptr;
  REQUIRE(cudaEventCreate(&start) == cudaSuccess);
  REQUIRE(cudaEventCreate(&stop) == cudaSuccess);
  REQUIRE(cudaEventRecord(start, stream) == cudaSuccess);
  DeviceArray<float> x(std::vector<float>(1000, 1.0f)), y(std::vector<float>(1000, 2.0f));
  dae::emu::launch("saxpy_kernel", saxpy_kernel, 4, 128, 0, stream, std::int64_t(1000), 3.0f, x.get(), y.get());
  REQUIRE(cudaGetLastError() == cudaSuccess);
  REQUIRE(cudaEventRecord(stop, stream) == cudaSuccess);
  REQUIRE(cudaEventSynchronize(stop) == cudaSuccess);
  float ms = -1.0f;
  REQUIRE(cudaEventElapsedTime(&ms, start, stop) == cudaSuccess);
  CHECK(ms >= 0.0f);
  REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
  for (const float v : y.download()) REQUIRE(v == 5.0f);
  REQUIRE(cudaEventDestroy(start) == cudaSuccess);
  REQUIRE(cudaEventDestroy(stop) == cudaSuccess);
  REQUIRE(cudaStreamDestroy(stream) == cudaSuccess);
  // A destroyed stream is no stream.
  CHECK(cudaStreamSynchronize(stream) == cudaErrorInvalidResourceHandle);
  dae::emu::launch("empty_kernel", empty_kernel, 1, 1, 0, stream);
  CHECK(cudaGetLastError() == cudaErrorInvalidResourceHandle);
  CHECK(cudaDeviceSynchronize() == cudaSuccess);
}

// ---------------------------------------------------------------------------
// Speed (hidden: run with `dae_emu_tests [perf]`)
// ---------------------------------------------------------------------------

TEST_CASE("emulator speed: elementwise grid-stride and tiled SGEMM", "[.][perf]") {
  const std::int64_t n = 4 * 1024 * 1024;
  DeviceArray<float> x(std::vector<float>(std::size_t(n), 1.0f)), y(std::vector<float>(std::size_t(n), 2.0f));
  const int m = 256;
  const std::vector<float> a = ramp(std::size_t(m) * m, 0.25f), b = ramp(std::size_t(m) * m, 0.5f);
  DeviceArray<float> d_a(a), d_b(b), d_c(std::size_t(m) * m);
  for (const int threads : {1, dae::emu::worker_threads()}) {
    SettingsGuard guard;
    dae::emu::set_worker_threads(threads);
    double saxpy = 1e9, sgemm = 1e9;
    for (int repeat = 0; repeat < 3; ++repeat) {
      saxpy = std::min(saxpy, seconds_of([&] {
        REQUIRE(launch("saxpy_kernel", saxpy_kernel, 4096, 256, 0, n, 0.5f, x.get(), y.get()) == cudaSuccess);
      }));
      sgemm = std::min(sgemm, seconds_of([&] {
        REQUIRE(launch("sgemm_tiled_kernel", sgemm_tiled_kernel, dim3(m / kTile, m / kTile), dim3(kTile, kTile), 0,
                       m, m, m, d_a.get(), d_b.get(), d_c.get()) == cudaSuccess);
      }));
    }
    const int n_small = 1000;
    const double small = seconds_of([&] {
      for (int i = 0; i < n_small; ++i) {
        dae::emu::launch("saxpy_kernel", saxpy_kernel, 1, 32, 0, nullptr, std::int64_t(32), 0.5f, x.get(), y.get());
      }
    });
    REQUIRE(cudaGetLastError() == cudaSuccess);
    WARN("emulator with " << threads << " OS thread(s): elementwise 4M floats (4096 x 256): " << saxpy * 1e3
                          << " ms; SGEMM 256^3 (16 x 16 tiles): " << sgemm * 1e3 << " ms; a 1 x 32 launch: "
                          << small / n_small * 1e6 << " us");
  }
  CHECK(d_c.download() == host_matmul(m, m, m, a, b));
}
