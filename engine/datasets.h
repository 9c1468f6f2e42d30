// Image data sets for training and evaluation, and the batch loader.
//
// A data set is a list of images of one shape [C, H, W] with values in [0, 1].
// Sources (SPEC §6 `--data`):
//   fashion-mnist, mnist   the IDX files (train-images-idx3-ubyte[.gz] and
//                          t10k-images-idx3-ubyte[.gz]) from the first folder
//                          that has them: $DAE_DATASETS/<name>, then
//                          /usr/share/datasets/<name> (Debian's dataset-fashion-mnist)
//   synthetic              procedural shapes, generated on the fly (for tests
//                          and machines without the IDX files)
//   DIR                    a folder holding IDX files (as above), or a folder of
//                          images (PNG, JPEG, BMP, PGM/PPM, TGA): the training
//                          split is DIR/train when it exists, else the images in
//                          DIR; the test split is DIR/test when it exists, else
//                          the same images as training
// With `patch` P > 0 every image is cut to P x P: a random crop with random
// horizontal and vertical flips for training (drawn from the loader's
// per-draw key), the centre crop without flips for testing. Without a patch
// the images of a folder must all have one size.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dae {

enum class Split { kTrain, kTest };

class ImageDataset {
 public:
  virtual ~ImageDataset() = default;
  virtual std::string describe() const = 0;  // "fashion-mnist train (60000 images, 1x28x28)"
  virtual std::int64_t size() const = 0;
  virtual int channels() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
  // Writes image `index` (C*H*W floats, [0, 1]) to `out`. `augment_key` is a
  // per-draw random key for sources that crop or flip; fixed sources ignore it.
  // Must be safe to call from several threads at once.
  virtual void load(std::int64_t index, std::uint64_t augment_key, float* out) const = 0;

  std::int64_t image_elements() const { return std::int64_t(channels()) * height() * width(); }
};

struct DataOptions {
  std::string source = "fashion-mnist";  // fashion-mnist | mnist | synthetic | DIR
  int channels = 1;                       // what the model takes (checked against the data)
  std::int64_t limit = 0;                 // use only the first `limit` images (0: all)
  int patch = 0;                          // crop every image to patch x patch (0: whole images)
};

// Opens a data set; throws dae::FileError / dae::ArgumentError naming the
// source and the problem (missing files, wrong channel count, ...).
std::unique_ptr<ImageDataset> open_dataset(const DataOptions& options, Split split);

// Images [begin, end) of a data set as one [end - begin, C, H, W] cpu tensor.
Tensor load_images(const ImageDataset& data, std::int64_t begin, std::int64_t end);

// Cuts a data set into batches, step by step. The batch of a step is a pure
// function of (seed, step, shuffle): epoch e = step / steps_per_epoch visits
// the images in a Philox-seeded permutation (or in file order without
// shuffle), so batch k of an unshuffled epoch is images [k*B, (k+1)*B); the
// last batch of an epoch may be smaller. A resumed run asks for the next step
// and gets exactly the batch an uninterrupted run would have had.
// While the caller trains on one batch, a background thread assembles the next.
class BatchLoader {
 public:
  BatchLoader(const ImageDataset& data, int batch_size, bool shuffle, std::uint64_t seed);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  // The images of `step` as a [B, C, H, W] cpu tensor; prefetches step + 1.
  Tensor batch(std::int64_t step);

 private:
  Tensor assemble(std::int64_t step) const;
  // The visiting order of an epoch (cached: every batch of an epoch shares it).
  std::vector<std::int64_t> permutation(std::int64_t epoch) const;

  const ImageDataset& data_;
  int batch_size_;
  bool shuffle_;
  std::uint64_t seed_;
  std::int64_t steps_per_epoch_;
  std::int64_t prefetched_step_ = -1;
  std::future<Tensor> prefetched_;
  mutable std::mutex order_mutex_;
  mutable std::int64_t order_epoch_ = -1;
  mutable std::vector<std::int64_t> order_;
};

}  // namespace dae
