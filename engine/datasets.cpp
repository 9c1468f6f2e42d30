#include "engine/datasets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "engine/errors.h"
#include "engine/idx.h"
#include "engine/image_io.h"
#include "engine/atomic_file.h"
#include "engine/random.h"
#include "kernels/common/philox.h"

namespace dae {

namespace fs = std::filesystem;

namespace {

// ---- IDX images (MNIST, Fashion-MNIST) ---------------------------------------

class IdxDataset : public ImageDataset {
 public:
  IdxDataset(std::string name, IdxArray array, std::int64_t limit) : name_(std::move(name)), array_(std::move(array)) {
    count_ = array_.dims[0];
    if (limit > 0) count_ = std::min<std::int64_t>(count_, limit);
  }
  std::string describe() const override {
    return concat(name_, " (", count_, " images, 1x", height(), "x", width(), ")");
  }
  std::int64_t size() const override { return count_; }
  int channels() const override { return 1; }
  int height() const override { return int(array_.dims[1]); }
  int width() const override { return int(array_.dims[2]); }
  void load(std::int64_t index, std::uint64_t, float* out) const override {
    const std::int64_t n = image_elements();
    const std::uint8_t* src = array_.data.data() + index * n;
    for (std::int64_t i = 0; i < n; ++i) out[i] = float(src[i]) / 255.0f;
  }

 private:
  std::string name_;
  IdxArray array_;
  std::int64_t count_ = 0;
};

std::string find_idx_file(const fs::path& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    const fs::path p = dir / (stem + suffix);
    if (fs::is_regular_file(p)) return p.string();
  }
  return {};
}

std::unique_ptr<ImageDataset> open_idx(const std::string& label, const fs::path& dir, Split split,
                                       std::int64_t limit) {
  const std::string stem = split == Split::kTrain ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
  const std::string path = find_idx_file(dir, stem);
  DAE_CHECK(!path.empty(), FileError, "data set '", label, "': no ", stem, "[.gz] in ", dir.string());
  IdxArray array = read_idx(path);
  DAE_CHECK(array.dims.size() == 3, FileError, "'", path, "' holds a ", array.dims.size(),
            "-D array, not a list of images (3-D)");
  DAE_CHECK(array.dims[0] > 0 && array.dims[1] > 0 && array.dims[2] > 0, FileError, "'", path,
            "' holds no images");
  const std::string name = label + (split == Split::kTrain ? " train" : " test");
  return std::make_unique<IdxDataset>(name, std::move(array), limit);
}

// ---- synthetic shapes --------------------------------------------------------

// Each image is a pure function of (split, index): a background level and a
// few rectangles, discs and bars of random intensity, with soft edges, so a
// denoiser has structure to learn. Colour images draw one intensity per channel.
class SyntheticDataset : public ImageDataset {
 public:
  SyntheticDataset(Split split, int channels, int size, std::int64_t count)
      : split_(split), channels_(channels), size_(size), count_(count) {}
  std::string describe() const override {
    return concat("synthetic ", split_ == Split::kTrain ? "train" : "test", " (", count_, " images, ", channels_, "x",
                  size_, "x", size_, ")");
  }
  std::int64_t size() const override { return count_; }
  int channels() const override { return channels_; }
  int height() const override { return size_; }
  int width() const override { return size_; }

  void load(std::int64_t index, std::uint64_t, float* out) const override {
    Generator gen(split_ == Split::kTrain ? 0x5e17ull : 0x7e57ull, philox::kStreamData);
    gen.set_offset(std::uint64_t(index) << 8);  // 256 blocks of draws per image
    float u[64];
    gen.uniform(u, 64, 0.0f, 1.0f);
    int k = 0;
    auto next = [&]() { return u[(k++) & 63]; };
    const int plane = size_ * size_;
    const float background = 0.15f * next();
    for (int c = 0; c < channels_; ++c) std::fill(out + c * plane, out + (c + 1) * plane, background);
    const int n_shapes = 2 + int(next() * 3.0f);
    for (int s = 0; s < n_shapes; ++s) {
      const int kind = int(next() * 3.0f);
      const float cx = next() * size_, cy = next() * size_;
      const float rx = (0.12f + 0.25f * next()) * size_, ry = (0.12f + 0.25f * next()) * size_;
      float level[3];
      for (int c = 0; c < 3; ++c) level[c] = 0.35f + 0.65f * next();
      for (int y = 0; y < size_; ++y) {
        for (int x = 0; x < size_; ++x) {
          const float dx = (float(x) + 0.5f - cx) / rx, dy = (float(y) + 0.5f - cy) / ry;
          float inside;  // signed distance-like value, > 0 inside
          if (kind == 0) {
            inside = 1.0f - std::max(std::fabs(dx), std::fabs(dy));  // rectangle
          } else if (kind == 1) {
            inside = 1.0f - std::sqrt(dx * dx + dy * dy);  // disc
          } else {
            inside = 1.0f - std::fabs(dy) * 4.0f;  // horizontal bar
            if (std::fabs(dx) > 1.0f) inside = -1.0f;
          }
          const float alpha = std::clamp(inside * 6.0f, 0.0f, 1.0f);  // soft edge
          if (alpha <= 0.0f) continue;
          for (int c = 0; c < channels_; ++c) {
            float& v = out[c * plane + y * size_ + x];
            const float l = channels_ == 1 ? level[0] : level[c];
            v = v * (1.0f - alpha) + l * alpha;
          }
        }
      }
    }
  }

 private:
  Split split_;
  int channels_, size_;
  std::int64_t count_;
};

// ---- a folder of images -------------------------------------------------------

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" || ext == ".ppm" ||
         ext == ".tga";
}

// Images are decoded on first use and kept (the prefetch thread decodes ahead
// of training). Every file's header is read when the folder is opened, so an
// unreadable or too small file is reported before training starts.
class FolderDataset : public ImageDataset {
 public:
  FolderDataset(const std::string& label, const fs::path& dir, int channels, int min_side, std::int64_t limit)
      : label_(label), channels_(channels) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file() && is_image_file(entry.path())) found.push_back(entry.path());
    }
    DAE_CHECK(!ec, FileError, "cannot list the folder '", dir.string(), "': ", ec.message());
    std::sort(found.begin(), found.end());
    DAE_CHECK(!found.empty(), FileError, "--data folder '", dir.string(),
              "' holds no images (png, jpg, bmp, pgm, ppm, tga) and no IDX files");
    if (limit > 0 && std::int64_t(found.size()) > limit) found.resize(std::size_t(limit));
    for (const fs::path& path : found) {
      const Image header = probe(path.string());
      DAE_CHECK(std::min(header.height, header.width) >= min_side, FileError, "'", path.string(), "' is ",
                header.width, "x", header.height, ", smaller than the ", min_side, "x", min_side,
                " needed (--patch or the model's minimum)");
      if (files_.empty()) {
        height_ = header.height;
        width_ = header.width;
      }
      files_.push_back(path.string());
      sizes_.emplace_back(header.height, header.width);
    }
    cache_.resize(files_.size());
  }
  std::string describe() const override {
    return concat(label_, " (", files_.size(), " images, ", channels_, " channel(s))");
  }
  std::int64_t size() const override { return std::int64_t(files_.size()); }
  int channels() const override { return channels_; }
  int height() const override { return height_; }
  int width() const override { return width_; }
  std::pair<int, int> size_of(std::int64_t index) const { return sizes_[std::size_t(index)]; }
  bool uniform_size() const {
    for (const auto& s : sizes_) {
      if (s != sizes_.front()) return false;
    }
    return true;
  }
  const std::string& file(std::int64_t index) const { return files_[std::size_t(index)]; }

  // The decoded image (cached).
  std::shared_ptr<const Image> image(std::int64_t index) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cache_[std::size_t(index)]) return cache_[std::size_t(index)];
    }
    auto decoded = std::make_shared<const Image>(load_image(files_[std::size_t(index)], channels_));
    std::lock_guard<std::mutex> lock(mutex_);
    cache_[std::size_t(index)] = decoded;
    return decoded;
  }
  void load(std::int64_t index, std::uint64_t, float* out) const override {
    const auto img = image(index);
    DAE_CHECK(img->height == height_ && img->width == width_, FileError, "'", files_[std::size_t(index)], "' is ",
              img->width, "x", img->height, " but the first image is ", width_, "x", height_,
              ": use --patch P to train on crops of images of different sizes");
    std::copy(img->pixels.begin(), img->pixels.end(), out);
  }

 private:
  static Image probe(const std::string& path) { return probe_image(path); }

  std::string label_;
  int channels_;
  int height_ = 0, width_ = 0;
  std::vector<std::string> files_;
  std::vector<std::pair<int, int>> sizes_;
  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<const Image>> cache_;
};

// P x P crops of another data set: random crop and flips for training, the
// centre crop for testing.
class PatchDataset : public ImageDataset {
 public:
  PatchDataset(std::unique_ptr<ImageDataset> base, int patch, bool augment)
      : base_(std::move(base)), folder_(dynamic_cast<const FolderDataset*>(base_.get())), patch_(patch),
        augment_(augment) {
    if (folder_ == nullptr) {
      DAE_CHECK(base_->height() >= patch && base_->width() >= patch, ArgumentError, "--patch ", patch, " is larger than the ",
                base_->height(), "x", base_->width(), " images of ", base_->describe());
    }
  }
  std::string describe() const override {
    return concat(base_->describe(), ", ", patch_, "x", patch_, augment_ ? " random crops and flips" : " centre crops");
  }
  std::int64_t size() const override { return base_->size(); }
  int channels() const override { return base_->channels(); }
  int height() const override { return patch_; }
  int width() const override { return patch_; }
  void load(std::int64_t index, std::uint64_t key, float* out) const override {
    // The source image, whole.
    std::shared_ptr<const Image> held;
    std::vector<float> buffer;
    const float* src;
    int h, w;
    if (folder_ != nullptr) {
      held = folder_->image(index);
      src = held->pixels.data();
      h = held->height;
      w = held->width;
    } else {
      buffer.resize(std::size_t(base_->image_elements()));
      base_->load(index, key, buffer.data());
      src = buffer.data();
      h = base_->height();
      w = base_->width();
    }
    int top = (h - patch_) / 2, left = (w - patch_) / 2;
    bool flip_x = false, flip_y = false;
    if (augment_) {
      const philox::Block r = philox::philox4x32_10(philox::make_counter(std::uint64_t(index), key, philox::kStreamData),
                                                    philox::make_key(key));
      top = int((std::uint64_t(r.v[0]) * std::uint64_t(h - patch_ + 1)) >> 32);
      left = int((std::uint64_t(r.v[1]) * std::uint64_t(w - patch_ + 1)) >> 32);
      flip_x = (r.v[2] & 1u) != 0;
      flip_y = (r.v[3] & 1u) != 0;
    }
    const int c_count = channels();
    for (int c = 0; c < c_count; ++c) {
      for (int y = 0; y < patch_; ++y) {
        const int sy = top + (flip_y ? patch_ - 1 - y : y);
        for (int x = 0; x < patch_; ++x) {
          const int sx = left + (flip_x ? patch_ - 1 - x : x);
          out[(std::size_t(c) * patch_ + y) * patch_ + x] = src[(std::size_t(c) * h + sy) * w + sx];
        }
      }
    }
  }

 private:
  std::unique_ptr<ImageDataset> base_;
  const FolderDataset* folder_;
  int patch_;
  bool augment_;
};

bool has_idx_files(const fs::path& dir) {
  return !find_idx_file(dir, "train-images-idx3-ubyte").empty() || !find_idx_file(dir, "t10k-images-idx3-ubyte").empty();
}

void check_channels(const ImageDataset& data, int wanted) {
  DAE_CHECK(data.channels() == wanted, ArgumentError, "data set ", data.describe(), " has ", data.channels(),
            " channel(s) but the model takes ", wanted);
}

}  // namespace

std::unique_ptr<ImageDataset> open_dataset(const DataOptions& options, Split split) {
  DAE_CHECK(options.limit >= 0, ArgumentError, "--limit must be >= 0 (got ", options.limit, ")");
  std::unique_ptr<ImageDataset> data;
  const std::string& source = options.source;
  if (source == "synthetic") {
    const std::int64_t full = split == Split::kTrain ? 10000 : 1000;
    const std::int64_t count = options.limit > 0 ? std::min(options.limit, full) : full;
    const int size = options.channels == 1 ? 28 : 64;
    data = std::make_unique<SyntheticDataset>(split, options.channels, size, count);
  } else if (source == "fashion-mnist" || source == "mnist") {
    std::vector<fs::path> candidates;
    if (const char* root = std::getenv("DAE_DATASETS"); root != nullptr && *root != '\0') {
      candidates.push_back(fs::path(root) / source);
    }
    candidates.push_back(fs::path("/usr/share/datasets") / source);
    for (const fs::path& dir : candidates) {
      if (!find_idx_file(dir, "train-images-idx3-ubyte").empty()) {
        data = open_idx(source, dir, split, options.limit);
        break;
      }
    }
    if (!data) {
      std::string where;
      for (const fs::path& dir : candidates) where += (where.empty() ? "" : ", ") + dir.string();
      throw FileError("data set '" + source + "' not found (looked in " + where +
                      "; on Debian: apt-get install dataset-fashion-mnist, or set DAE_DATASETS)");
    }
  } else {
    const fs::path dir(source);
    DAE_CHECK(fs::exists(dir), FileError, "--data '", source,
              "': no such data set or folder (expected fashion-mnist, mnist, synthetic or a folder)");
    DAE_CHECK(fs::is_directory(dir), FileError, "--data '", source, "' is not a folder");
    if (has_idx_files(dir)) {
      data = open_idx(source, dir, split, options.limit);
    } else {
      const fs::path sub = dir / (split == Split::kTrain ? "train" : "test");
      const fs::path images = fs::is_directory(sub) ? sub : dir;
      auto folder = std::make_unique<FolderDataset>(images.string(), images, options.channels,
                                                    options.patch > 0 ? options.patch : 4, options.limit);
      DAE_CHECK(options.patch > 0 || folder->uniform_size(), ArgumentError, "--data '", source,
                "': the images have different sizes (", folder->file(0), " is ", folder->size_of(0).second, "x",
                folder->size_of(0).first, "); use --patch P to train on P x P crops");
      data = std::move(folder);
      if (options.patch > 0) return std::make_unique<PatchDataset>(std::move(data), options.patch, split == Split::kTrain);
      return data;
    }
  }
  check_channels(*data, options.channels);
  DAE_CHECK(options.patch >= 0, ArgumentError, "--patch must be >= 0 (got ", options.patch, ")");
  if (options.patch > 0) return std::make_unique<PatchDataset>(std::move(data), options.patch, split == Split::kTrain);
  return data;
}

Tensor load_images(const ImageDataset& data, std::int64_t begin, std::int64_t end) {
  DAE_CHECK(0 <= begin && begin <= end && end <= data.size(), ArgumentError, "images [", begin, ", ", end,
            ") out of range for ", data.describe());
  Tensor out = Tensor::empty(Shape{end - begin, data.channels(), data.height(), data.width()});
  const std::int64_t n = data.image_elements();
  for (std::int64_t i = begin; i < end; ++i) data.load(i, 0, out.data() + (i - begin) * n);
  return out;
}

// ---- batch loader ------------------------------------------------------------

BatchLoader::BatchLoader(const ImageDataset& data, int batch_size, bool shuffle, std::uint64_t seed)
    : data_(data), batch_size_(batch_size), shuffle_(shuffle), seed_(seed) {
  DAE_CHECK(batch_size >= 1, ArgumentError, "--batch must be >= 1 (got ", batch_size, ")");
  DAE_CHECK(data.size() > 0, ArgumentError, "data set ", data.describe(), " is empty");
  steps_per_epoch_ = (data.size() + batch_size - 1) / batch_size;
}

BatchLoader::~BatchLoader() {
  if (prefetched_.valid()) prefetched_.wait();
}

std::vector<std::int64_t> BatchLoader::permutation(std::int64_t epoch) const {
  std::lock_guard<std::mutex> lock(order_mutex_);
  if (order_epoch_ == epoch) return order_;
  std::vector<std::int64_t>& order = order_;
  order_epoch_ = epoch;
  order.resize(std::size_t(data_.size()));
  std::iota(order.begin(), order.end(), 0);
  if (!shuffle_) return order;
  // Fisher-Yates with a generator keyed by (seed, epoch): no state to carry.
  Generator gen(seed_ ^ (std::uint64_t(epoch) * 0x9E3779B97F4A7C15ull), philox::kStreamData);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
  return order;
}

Tensor BatchLoader::assemble(std::int64_t step) const {
  const std::int64_t epoch = step / steps_per_epoch_;
  const std::int64_t first = (step % steps_per_epoch_) * batch_size_;
  const std::int64_t count = std::min<std::int64_t>(batch_size_, data_.size() - first);
  const std::vector<std::int64_t> order = permutation(epoch);
  Tensor out = Tensor::empty(Shape{count, data_.channels(), data_.height(), data_.width()});
  const std::int64_t n = data_.image_elements();
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint64_t key = philox::philox4x32_10(philox::make_counter(std::uint64_t(first + i), std::uint64_t(epoch),
                                                                          philox::kStreamData),
                                                    philox::make_key(seed_))
                                  .v[0];
    data_.load(order[std::size_t(first + i)], key, out.data() + i * n);
  }
  return out;
}

Tensor BatchLoader::batch(std::int64_t step) {
  Tensor result;
  if (prefetched_.valid() && prefetched_step_ == step) {
    result = prefetched_.get();
  } else {
    if (prefetched_.valid()) prefetched_.wait();
    result = assemble(step);
  }
  prefetched_step_ = step + 1;
  prefetched_ = std::async(std::launch::async, [this, next = step + 1] { return assemble(next); });
  return result;
}

}  // namespace dae
