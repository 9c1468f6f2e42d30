// The padded input copy the convolution products read (gemm_problems.h,
// PaddedPlanes): its layout, and the copy itself, one chunk of images at a
// time.
//
// A chunk is as many images as fit in about 1 MiB of padded planes, so that a
// thread pads a chunk into its own buffer and the products read it back from
// L2 right away: the copy costs one read of the input, never a round trip of
// a full-size copy through memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/gemm_problems.h"

namespace dae::kernels::cpu::detail {

// The longest run of consecutive positions a kernel reads as one tile
// (conv_direct.h's super-tiles; GEMM tiles are shorter).
constexpr int kMaxTileSpan = 1024;

// Floats of one chunk of padded planes (all planes of the chunk's images).
constexpr std::int64_t kChunkFloats = std::int64_t(1) << 18;

// The padded layout for taps over planes of plane_h x plane_w and outputs of
// out_h x out_w. With L = max(0, -min dx):
//   pitch = max(L + plane_w, L + out_w, out_w + max dx)
// keeps each row's data and outputs inside its pitch, and sends every read
// left of the data into this row's L leading zeros and every read right of
// it into the zeros after the data or the next row's leading zeros (the gap
// between two rows' data serves both sides). Rows likewise, with images in
// place of rows. `lead` and `trail` zeros before the first block and after
// the last one cover the first and last tiles' reads.
struct PaddedLayout {
  int rows = 0, pitch = 0, top = 0, left = 0;
  std::int64_t lead = 0, trail = 0;
  std::int64_t block() const { return std::int64_t(rows) * pitch; }
  std::int64_t plane_stride(int images) const { return lead + images * block() + trail; }
};

inline PaddedLayout padded_layout(const std::vector<ConvTap>& taps, int plane_h, int plane_w, int out_h, int out_w) {
  int min_dy = 0, max_dy = 0, min_dx = 0, max_dx = 0;
  for (const ConvTap& t : taps) {
    min_dy = std::min(min_dy, t.dy);
    max_dy = std::max(max_dy, t.dy);
    min_dx = std::min(min_dx, t.dx);
    max_dx = std::max(max_dx, t.dx);
  }
  PaddedLayout l;
  l.left = -min_dx;
  l.top = -min_dy;
  l.pitch = std::max({l.left + plane_w, l.left + out_w, out_w + max_dx, 1});
  l.rows = std::max({l.top + plane_h, l.top + out_h, out_h + max_dy, 1});
  // The first tile starts at position 0 and reads up to top rows + left
  // columns before it; the last tile (at most kMaxTileSpan positions long)
  // ends before kMaxTileSpan past the last pixel and reads max_dy rows +
  // max_dx columns beyond, plus the next block's top rows that the last
  // image's bottom taps reach.
  l.lead = std::int64_t(l.top) * l.pitch + l.left + 64;
  l.trail = std::int64_t(l.top + max_dy + 2) * l.pitch + max_dx + kMaxTileSpan + 64;
  return l;
}

// An NCHW tensor (batch x channels x height x width) seen as padded planes:
// with stride s, plane q = (c, ry, rx) = c * s*s + ry * s + rx holds
// x[n][c][s*r + ry][s*q' + rx] (space_to_depth; s = 1: plane c is x[n][c]),
// each plane_h x plane_w = ceil(height / s) x ceil(width / s), zero past the
// image edge.
template <typename T>
struct PaddedSource {
  const T* x = nullptr;
  int batch = 0, channels = 0, height = 0, width = 0, stride = 1;
  int plane_h = 0, plane_w = 0;
  PaddedLayout layout;
  int chunk = 1;  // images per chunk

  PaddedSource(const T* x_, int batch_, int channels_, int height_, int width_, int stride_, const PaddedLayout& l,
               int chunk_)
      : x(x_), batch(batch_), channels(channels_), height(height_), width(width_), stride(stride_),
        plane_h((height_ + stride_ - 1) / stride_), plane_w((width_ + stride_ - 1) / stride_), layout(l),
        chunk(chunk_) {}

  // The layout for `taps` and outputs of out_h x out_w, with chunks of about kChunkFloats.
  static PaddedSource make(const T* x, int batch, int channels, int height, int width, int stride,
                           const std::vector<ConvTap>& taps, int out_h, int out_w) {
    const int ph = (height + stride - 1) / stride, pw = (width + stride - 1) / stride;
    const PaddedLayout l = padded_layout(taps, ph, pw, out_h, out_w);
    const std::int64_t per_image = std::int64_t(channels) * stride * stride * l.block();
    const int chunk = int(std::clamp<std::int64_t>(kChunkFloats / std::max<std::int64_t>(per_image, 1), 1, batch));
    return PaddedSource(x, batch, channels, height, width, stride, l, chunk);
  }

  // The same source cut into chunks of at most `images` images (at least 1).
  PaddedSource with_chunk(int images) const {
    return PaddedSource(x, batch, channels, height, width, stride, layout, std::clamp(images, 1, chunk));
  }

  int n_sub() const { return stride * stride; }
  int n_chunks() const { return (batch + chunk - 1) / chunk; }
  std::int64_t plane_stride() const { return layout.plane_stride(chunk); }
  // Floats of a chunk buffer holding the planes of channels [c0, c1).
  std::size_t buffer_floats(int c0, int c1) const {
    return std::size_t(c1 - c0) * n_sub() * std::size_t(plane_stride());
  }

  // Pads images [n0, n0 + count) (count <= chunk), channels [c0, c1) into
  // buf (buffer_floats(c0, c1)) and returns them as planes (first_plane = c0 * s*s).
  PaddedPlanes<T> pad(int n0, int count, int c0, int c1, T* buf) const {
    const GemmIsaOps<T>& ops = gemm_ops<T>();
    const std::int64_t ps = plane_stride(), block = layout.block();
    const int subs = n_sub();
    for (int q = 0; q < (c1 - c0) * subs; ++q) {
      T* plane = buf + q * ps;
      std::fill(plane, plane + layout.lead, T(0));
      std::fill(plane + layout.lead + count * block, plane + ps, T(0));
    }
    std::vector<T*> blocks(static_cast<std::size_t>(subs));
    PadCopy<T> copy;
    copy.height = height;
    copy.width = width;
    copy.stride = stride;
    copy.plane_h = plane_h;
    copy.plane_w = plane_w;
    copy.rows = layout.rows;
    copy.pitch = layout.pitch;
    copy.top = layout.top;
    copy.left = layout.left;
    copy.block = blocks.data();
    for (int i = 0; i < count; ++i) {
      for (int c = c0; c < c1; ++c) {
        for (int sub = 0; sub < subs; ++sub) {
          blocks[std::size_t(sub)] = buf + (std::int64_t(c - c0) * subs + sub) * ps + layout.lead + i * block;
        }
        copy.src = x + (std::int64_t(n0 + i) * channels + c) * height * width;
        ops.pad_channel(copy);
      }
    }
    PaddedPlanes<T> p;
    p.data = buf + layout.lead;
    p.plane_stride = ps;
    p.first_plane = c0 * subs;
    p.batch = count;
    p.rows = layout.rows;
    p.pitch = layout.pitch;
    p.top = layout.top;
    p.left = layout.left;
    return p;
  }
};

}  // namespace dae::kernels::cpu::detail
