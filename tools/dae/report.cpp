#include "tools/dae/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "engine/autograd.h"
#include "engine/image_io.h"

namespace dae::tool {

namespace {

std::string base64(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = std::uint8_t(bytes[i]);
    const std::uint32_t b1 = i + 1 < bytes.size() ? std::uint8_t(bytes[i + 1]) : 0;
    const std::uint32_t b2 = i + 2 < bytes.size() ? std::uint8_t(bytes[i + 2]) : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? table[v & 63] : '=';
  }
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v, const char* format = "%.4g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// One line chart: a series of (step, value), log-scaled on y when it spans
// more than a factor of 20 and stays positive.
std::string svg_chart(const std::string& title, const std::vector<std::pair<double, double>>& points) {
  constexpr double kW = 520, kH = 220, kLeft = 64, kRight = 12, kTop = 26, kBottom = 34;
  std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kW) + "\" height=\"" +
                    number(kH) + "\" viewBox=\"0 0 " + number(kW) + " " + number(kH) + "\">";
  svg += "<text x=\"" + number(kLeft) + "\" y=\"16\" class=\"title\">" + escape(title) + "</text>";
  if (points.empty()) return svg + "<text x=\"100\" y=\"110\">no data</text></svg>";
  double x0 = points.front().first, x1 = points.back().first, y0 = points.front().second, y1 = y0;
  for (const auto& [x, y] : points) {
    y0 = std::min(y0, y);
    y1 = std::max(y1, y);
  }
  const bool log_y = y0 > 0 && y1 / y0 > 20;
  const auto fy = [&](double y) { return log_y ? std::log10(y) : y; };
  double lo = fy(y0), hi = fy(y1);
  if (hi - lo < 1e-12) {
    lo -= 0.5 * (std::fabs(lo) + 1e-12);
    hi += 0.5 * (std::fabs(hi) + 1e-12);
  }
  if (x1 <= x0) x1 = x0 + 1;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  const auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  const auto py = [&](double y) { return kTop + (hi - fy(y)) / (hi - lo) * ph; };
  svg += "<rect x=\"" + number(kLeft) + "\" y=\"" + number(kTop) + "\" width=\"" + number(pw) + "\" height=\"" +
         number(ph) + "\" class=\"frame\"/>";
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0;
    const double yv = log_y ? std::pow(10.0, v) : v;
    const double y = kTop + ph * (1.0 - t / 4.0);
    svg += "<line x1=\"" + number(kLeft - 4) + "\" x2=\"" + number(kLeft + pw) + "\" y1=\"" + number(y) + "\" y2=\"" +
           number(y) + "\" class=\"grid\"/>";
    svg += "<text x=\"" + number(kLeft - 6) + "\" y=\"" + number(y + 4) + "\" class=\"tick\" text-anchor=\"end\">" +
           number(yv) + "</text>";
  }
  for (int t = 0; t <= 4; ++t) {
    const double xv = x0 + (x1 - x0) * t / 4.0;
    svg += "<text x=\"" + number(px(xv)) + "\" y=\"" + number(kH - 14) + "\" class=\"tick\" text-anchor=\"middle\">" +
           number(xv, "%.0f") + "</text>";
  }
  svg += "<text x=\"" + number(kLeft + pw / 2) + "\" y=\"" + number(kH - 2) +
         "\" class=\"tick\" text-anchor=\"middle\">step" + std::string(log_y ? " (log scale)" : "") + "</text>";
  svg += "<polyline class=\"curve\" points=\"";
  for (const auto& [x, y] : points) svg += number(px(x), "%.1f") + "," + number(py(y), "%.1f") + " ";
  svg += "\"/></svg>";
  return svg;
}

}  // namespace

std::string sample_grid_png(DenoisingAutoencoder& model, const ImageDataset& data, const NoiseSpec& noise,
                            std::uint64_t seed, Device device, int count) {
  autograd::NoGradGuard no_grad;
  const std::int64_t n = std::min<std::int64_t>(count, data.size());
  const Tensor clean = load_images(data, 0, n).to(device);
  const Corruption c = corrupt(clean, noise, seed, 0);
  const Tensor out = model(c.noisy);
  const std::vector<float> columns[3] = {clean.to_vector(), c.noisy.to_vector(), out.to_vector()};
  const int ch = data.channels(), h = data.height(), w = data.width(), gap = 2;
  const int grid_w = 3 * w + 4 * gap, grid_h = int(n) * h + int(n + 1) * gap;
  std::vector<float> grid(std::size_t(ch) * grid_h * grid_w, 1.0f);  // white separators
  for (std::int64_t i = 0; i < n; ++i) {
    for (int col = 0; col < 3; ++col) {
      const float* src = columns[col].data() + i * std::int64_t(ch) * h * w;
      const int top = gap + int(i) * (h + gap), left = gap + col * (w + gap);
      for (int k = 0; k < ch; ++k) {
        for (int y = 0; y < h; ++y) {
          std::copy_n(src + (std::size_t(k) * h + y) * w, w, grid.data() + (std::size_t(k) * grid_h + top + y) * grid_w + left);
        }
      }
    }
  }
  return encode_png(grid.data(), ch, grid_h, grid_w);
}

std::string render_report(const ReportInput& in) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(in.title) +
                     "</title>\n<style>\n"
                     "body{font-family:sans-serif;margin:2em;color:#222;max-width:1150px}\n"
                     "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
                     "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
                     "text-align:left;font-size:.9em}\n"
                     ".chart{margin:4px 8px 4px 0;background:#fff}.chart .frame{fill:none;stroke:#999}"
                     ".chart .grid{stroke:#eee}.chart .curve{fill:none;stroke:#1565c0;stroke-width:1.5}"
                     ".chart .title{font-size:13px;font-weight:bold}.chart .tick{font-size:10px;fill:#555}\n"
                     "figure{display:inline-block;margin:0 1.5em 1em 0}figcaption{font-size:.9em;color:#555}"
                     "img.grid{image-rendering:pixelated;border:1px solid #ccc}\n"
                     "</style></head><body>\n";
  html += "<h1>" + escape(in.title) + "</h1>\n";

  html += "<h2>Test images: before and after denoising</h2>\n<table><tr><th>noise</th><th>images</th>"
          "<th>PSNR noisy (dB)</th><th>PSNR denoised (dB)</th><th>SSIM noisy</th><th>SSIM denoised</th></tr>\n";
  for (const auto& row : in.test) {
    html += "<tr><td>" + escape(row.value("noise", "")) + "</td><td>" + number(row.value("images", 0.0), "%.0f") +
            "</td><td>" + number(row.value("psnr_noisy", 0.0), "%.2f") + "</td><td>" +
            number(row.value("psnr_denoised", 0.0), "%.2f") + "</td><td>" + number(row.value("ssim_noisy", 0.0), "%.4f") +
            "</td><td>" + number(row.value("ssim_denoised", 0.0), "%.4f") + "</td></tr>\n";
  }
  html += "</table>\n";

  html += "<h2>Loss curves</h2>\n<div class=\"charts\">\n";
  // One chart per recorded term: the total first, then the pixel and perceptual terms and the layers.
  std::vector<std::string> keys = {"loss"};
  for (const auto& m : in.metrics) {
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it.key().rfind("loss_", 0) == 0 && std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
        keys.push_back(it.key());
      }
    }
  }
  const std::map<std::string, std::string> titles = {{"loss", "total loss"}, {"loss_pix", "pixel term (emphasized MSE)"},
                                                     {"loss_perc", "perceptual term"}};
  for (const std::string& key : keys) {
    std::vector<std::pair<double, double>> points;
    for (const auto& m : in.metrics) {
      if (m.contains(key) && m.contains("step") && m[key].is_number()) points.emplace_back(m["step"].get<double>(), m[key].get<double>());
    }
    const auto t = titles.find(key);
    html += svg_chart(t != titles.end() ? t->second : "perceptual term " + key.substr(5), points) + "\n";
  }
  html += "</div>\n";

  html += "<h2>Samples (clean | noisy | denoised)</h2>\n";
  for (const auto& [caption, png] : in.grids) {
    // Small images (MNIST-sized) are shown enlarged; the PNG's width is in its IHDR chunk.
    const std::uint32_t width = png.size() >= 24 ? (std::uint32_t(std::uint8_t(png[16])) << 24) |
                                                       (std::uint32_t(std::uint8_t(png[17])) << 16) |
                                                       (std::uint32_t(std::uint8_t(png[18])) << 8) | std::uint8_t(png[19])
                                                 : 0;
    const std::uint32_t shown = width == 0 ? 0 : width * std::max<std::uint32_t>(1, 360 / width);
    html += "<figure><img class=\"grid\" alt=\"" + escape(caption) + "\"" +
            (shown > 0 ? " width=\"" + std::to_string(shown) + "\"" : std::string()) + " src=\"data:image/png;base64," +
            base64(png) + "\"><figcaption>" + escape(caption) + "</figcaption></figure>\n";
  }

  html += "<h2>Run</h2>\n<table>\n";
  for (auto it = in.facts.begin(); it != in.facts.end(); ++it) {
    html += "<tr><th>" + escape(it.key()) + "</th><td>" + escape(it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) +
            "</td></tr>\n";
  }
  html += "</table>\n<h2>Configuration</h2>\n<table>\n";
  for (auto it = in.config.begin(); it != in.config.end(); ++it) {
    html += "<tr><th>" + escape(it.key()) + "</th><td>" + escape(it.value().is_string() ? it.value().get<std::string>() : it.value().dump()) +
            "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

}  // namespace dae::tool
