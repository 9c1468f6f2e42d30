// Statistical and reproducibility tests of the corruption models (CPU).
// Each frequency must fall within 4 standard errors of what the spec asks.
#include <catch2/catch.hpp>
#include <cmath>

#include "engine/context.h"
#include "engine/errors.h"
#include "engine/random.h"
#include "noise/noise.h"

using namespace dae;

namespace {

// A batch with values away from 0 and 1, so that every corruption shows.
Tensor clean_batch(Shape shape, std::uint64_t seed = 11) {
  Generator gen(seed);
  return Tensor::uniform(shape, 0.2f, 0.8f, gen);
}

void require_within(double measured, double expected, double standard_error, const char* what) {
  INFO(what << ": measured " << measured << ", expected " << expected << " +- 4 x " << standard_error);
  REQUIRE(std::fabs(measured - expected) <= 4.0 * standard_error);
}

struct ThreadCount {
  explicit ThreadCount(int n) : saved(DeviceContext::get(Device::cpu()).num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
  int saved;
};

}  // namespace

TEST_CASE("gaussian noise: residuals have mean 0 and variance sigma^2; clipping keeps [0, 1]", "[noise][stats]") {
  const Tensor x = clean_batch(Shape{8, 3, 64, 64});
  const double n = double(x.numel());
  for (float sigma : {0.05f, 0.3f}) {
    const Corruption c = corrupt(x, parse_noise(concat("gaussian:clip=0,sigma=", sigma)), 1, 2);
    double sum = 0, sum2 = 0;
    const auto xs = x.host(), ys = c.noisy.host(), ms = c.mask.host();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double r = double(ys[i]) - double(xs[i]);
      sum += r;
      sum2 += r * r;
      REQUIRE(ms[i] == 1.0f);  // every element is corrupted
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    const double s2 = double(sigma) * sigma;
    require_within(mean, 0.0, sigma / std::sqrt(n), "mean");
    require_within(var, s2, s2 * std::sqrt(2.0 / (n - 1)), "variance");
    // Fourth moment of a normal is 3 sigma^4: catches a uniform or otherwise wrong shape.
    double m4 = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) m4 += std::pow(double(ys[i]) - double(xs[i]), 4);
    require_within(m4 / n, 3 * s2 * s2, s2 * s2 * std::sqrt(96.0 / n), "fourth moment");
  }
  const Corruption clipped = corrupt(x, parse_noise("gaussian:sigma=0.5"), 1, 2);
  bool saw_zero = false, saw_one = false;
  for (float v : clipped.noisy.host()) {
    REQUIRE(v >= 0.0f);
    REQUIRE(v <= 1.0f);
    saw_zero = saw_zero || v == 0.0f;
    saw_one = saw_one || v == 1.0f;
  }
  REQUIRE(saw_zero);
  REQUIRE(saw_one);
}

TEST_CASE("salt and pepper: the hit fraction is amount, the salt share is salt, hits are 0 or 1", "[noise][stats]") {
  const Tensor x = clean_batch(Shape{4, 3, 64, 64});
  for (const char* spec : {"saltpepper:amount=0.1,salt=0.5", "saltpepper:amount=0.3,salt=0.2"}) {
    const NoiseMix mix = parse_noise(spec);
    const double amount = mix.specs[0].params.amount, salt = mix.specs[0].params.salt;
    const Corruption c = corrupt(x, mix, 3, 0);
    double hits = 0, salts = 0;
    const auto xs = x.host(), ys = c.noisy.host(), ms = c.mask.host();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (ms[i] == 1.0f) {
        ++hits;
        REQUIRE((ys[i] == 0.0f || ys[i] == 1.0f));
        salts += ys[i] == 1.0f;
      } else {
        REQUIRE(ms[i] == 0.0f);
        REQUIRE(ys[i] == xs[i]);
      }
    }
    const double n = double(xs.size());
    require_within(hits / n, amount, std::sqrt(amount * (1 - amount) / n), "hit fraction");
    require_within(salts / hits, salt, std::sqrt(salt * (1 - salt) / hits), "salt share");
  }
}

TEST_CASE("masking noise: the hit fraction is p and hits are 0", "[noise][stats]") {
  const Tensor x = clean_batch(Shape{4, 1, 96, 96});
  for (float p : {0.05f, 0.25f, 0.75f}) {
    const Corruption c = corrupt(x, parse_noise(concat("mask:p=", p)), 9, 4);
    double hits = 0;
    const auto xs = x.host(), ys = c.noisy.host(), ms = c.mask.host();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (ms[i] == 1.0f) {
        ++hits;
        REQUIRE(ys[i] == 0.0f);
      } else {
        REQUIRE(ys[i] == xs[i]);
      }
    }
    const double n = double(xs.size());
    require_within(hits / n, p, std::sqrt(p * (1 - p) / n), "hit fraction");
  }
  REQUIRE(corrupt(x, parse_noise("mask:p=0"), 1, 1).noisy.to_vector() == x.to_vector());
}

TEST_CASE("per_channel=0: the channels of a pixel share one draw; per_channel=1 draws each", "[noise][stats]") {
  const Tensor x = clean_batch(Shape{2, 3, 40, 40});
  const std::int64_t plane = 40 * 40;
  for (const char* kind : {"mask:p=0.3", "saltpepper:amount=0.3"}) {
    const auto mask_of = [&](const char* extra) { return corrupt(x, parse_noise(concat(kind, extra)), 5, 6).mask; };
    const Tensor shared = mask_of(",per_channel=0"), independent = mask_of(",per_channel=1");
    int differing_shared = 0, differing_independent = 0;
    for (std::int64_t n = 0; n < 2; ++n) {
      for (std::int64_t i = 0; i < plane; ++i) {
        const float* s = shared.data() + n * 3 * plane + i;
        const float* d = independent.data() + n * 3 * plane + i;
        differing_shared += (s[0] != s[plane]) || (s[0] != s[2 * plane]);
        differing_independent += (d[0] != d[plane]) || (d[0] != d[2 * plane]);
      }
    }
    INFO(kind);
    REQUIRE(differing_shared == 0);
    REQUIRE(differing_independent > 100);
  }
}

TEST_CASE("block masking: exactly count blocks of the asked size inside the image, all channels zero",
          "[noise][stats]") {
  // Overlapping blocks are allowed (positions are independent), so the mask of
  // an image must be a union of at most `count` blocks of the asked size, and
  // exactly `count` disjoint ones when no two overlap (nearly always here).
  const int batch = 300, h = 64, w = 60, bh = 4, bw = 6, count = 3;
  const Tensor x = clean_batch(Shape{batch, 3, h, w});
  const Corruption c = corrupt(x, parse_noise(concat("block:size=", bh, "x", bw, ",count=", count)), 13, 0);
  const std::int64_t plane = h * w;
  int exact = 0;
  double top_sum = 0, left_sum = 0;
  int tops_seen_at_edge = 0;
  double corners = 0;
  for (int n = 0; n < batch; ++n) {
    const float* m = c.mask.data() + std::int64_t(n) * 3 * plane;
    const float* y = c.noisy.data() + std::int64_t(n) * 3 * plane;
    const float* xx = x.data() + std::int64_t(n) * 3 * plane;
    for (std::int64_t i = 0; i < plane; ++i) {
      for (int ch = 0; ch < 3; ++ch) {
        REQUIRE(m[ch * plane + i] == m[i]);                                  // all channels share the mask
        REQUIRE(y[ch * plane + i] == (m[i] != 0 ? 0.0f : xx[ch * plane + i]));  // masked pixels are 0
      }
    }
    // Every masked pixel lies in a fully masked bh x bw block inside the image
    // (prefix sums tell in O(1) whether the block at (t, l) is all masked).
    std::vector<int> sat(std::size_t((h + 1) * (w + 1)), 0);
    for (int yy = 0; yy < h; ++yy) {
      for (int xx2 = 0; xx2 < w; ++xx2) {
        sat[std::size_t((yy + 1) * (w + 1) + xx2 + 1)] = int(m[yy * w + xx2]) + sat[std::size_t(yy * (w + 1) + xx2 + 1)] +
                                                          sat[std::size_t((yy + 1) * (w + 1) + xx2)] -
                                                          sat[std::size_t(yy * (w + 1) + xx2)];
      }
    }
    const auto full_block = [&](int t, int l) {
      if (t < 0 || l < 0 || t + bh > h || l + bw > w) return false;
      const int sum = sat[std::size_t((t + bh) * (w + 1) + l + bw)] - sat[std::size_t(t * (w + 1) + l + bw)] -
                      sat[std::size_t((t + bh) * (w + 1) + l)] + sat[std::size_t(t * (w + 1) + l)];
      return sum == bh * bw;
    };
    double area = 0;
    for (int yy = 0; yy < h; ++yy) {
      for (int xx2 = 0; xx2 < w; ++xx2) {
        if (m[yy * w + xx2] == 0.0f) continue;
        ++area;
        bool inside_a_block = false;
        for (int t = yy - bh + 1; t <= yy && !inside_a_block; ++t) {
          for (int l = xx2 - bw + 1; l <= xx2 && !inside_a_block; ++l) inside_a_block = full_block(t, l);
        }
        REQUIRE(inside_a_block);
      }
    }
    REQUIRE(area >= bh * bw);
    REQUIRE(area <= count * bh * bw);
    // Without overlaps the area is exactly count blocks; then the corners are
    // the blocks' top-left pixels in row-major order of first appearance.
    if (area == count * bh * bw) {
      ++exact;
      std::vector<int> covered(std::size_t(plane), 0);
      for (int yy = 0; yy < h; ++yy) {
        for (int xx2 = 0; xx2 < w; ++xx2) {
          if (m[yy * w + xx2] == 0.0f || covered[std::size_t(yy * w + xx2)]) continue;
          REQUIRE(full_block(yy, xx2));
          for (int dy = 0; dy < bh; ++dy) {
            for (int dx = 0; dx < bw; ++dx) covered[std::size_t((yy + dy) * w + xx2 + dx)] = 1;
          }
          top_sum += yy;
          left_sum += xx2;
          ++corners;
          tops_seen_at_edge += (yy == 0 || yy == h - bh);
        }
      }
    }
  }
  REQUIRE(exact >= batch * 85 / 100);  // about 95% of images have no overlap here
  // Corners are uniform on [0, H - bh] x [0, W - bw]: the mean corner is the middle.
  const double top_sd = std::sqrt((std::pow(h - bh + 1, 2) - 1) / 12.0), left_sd = std::sqrt((std::pow(w - bw + 1, 2) - 1) / 12.0);
  require_within(top_sum / corners, (h - bh) / 2.0, top_sd / std::sqrt(corners), "mean top");
  require_within(left_sum / corners, (w - bw) / 2.0, left_sd / std::sqrt(corners), "mean left");
  REQUIRE(tops_seen_at_edge > 0);  // the extreme positions are reachable
  // A block as large as the image covers all of it.
  const Corruption full = corrupt(clean_batch(Shape{1, 1, 8, 6}), parse_noise("block:size=8x6"), 1, 1);
  for (float v : full.mask.host()) REQUIRE(v == 1.0f);
}

TEST_CASE("noise: same seed and step give the same bits for 1 and 2 threads and two runs; others differ",
          "[noise][reproducibility]") {
  const Tensor x = clean_batch(Shape{3, 3, 37, 29});  // odd sizes
  for (const char* spec : {"gaussian:sigma=0.2", "gaussian:sigma=0.2,clip=0", "saltpepper:amount=0.2",
                           "saltpepper:amount=0.2,per_channel=0", "mask:p=0.3", "mask:p=0.3,per_channel=0",
                           "block:size=6x9,count=2", "none"}) {
    INFO(spec);
    const NoiseMix mix = parse_noise(spec);
    std::vector<float> one_thread_y, one_thread_m;
    {
      ThreadCount t(1);
      const Corruption c = corrupt(x, mix, 42, 7);
      one_thread_y = c.noisy.to_vector();
      one_thread_m = c.mask.to_vector();
    }
    ThreadCount t(2);
    const Corruption a = corrupt(x, mix, 42, 7), b = corrupt(x, mix, 42, 7);
    REQUIRE(a.noisy.to_vector() == one_thread_y);
    REQUIRE(a.mask.to_vector() == one_thread_m);
    REQUIRE(b.noisy.to_vector() == one_thread_y);
    if (std::string(spec) != "none") {
      REQUIRE(corrupt(x, mix, 43, 7).noisy.to_vector() != one_thread_y);
      REQUIRE(corrupt(x, mix, 42, 8).noisy.to_vector() != one_thread_y);
    } else {
      REQUIRE(a.noisy.to_vector() == x.to_vector());
      for (float v : a.mask.host()) REQUIRE(v == 0.0f);
    }
  }
}

TEST_CASE("noise: a large gaussian batch on many threads equals the single-threaded bits", "[noise][reproducibility]") {
  const Tensor x = clean_batch(Shape{16, 1, 128, 130});
  const NoiseMix mix = parse_noise("gaussian:sigma=0.3");
  std::vector<float> serial;
  {
    ThreadCount t(1);
    serial = corrupt(x, mix, 1, 1).noisy.to_vector();
  }
  ThreadCount t(2);
  REQUIRE(corrupt(x, mix, 1, 1).noisy.to_vector() == serial);
}
