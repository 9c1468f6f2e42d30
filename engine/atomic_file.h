// Files written by the tools appear whole or not at all (SPEC §3): the bytes
// go to a temporary file in the same folder, are flushed to disk, and the
// temporary is renamed over the target. A crash or an error part-way leaves
// the previous file (if any) untouched and no partial file behind.
#pragma once

#include <string>
#include <string_view>

namespace dae {

// Writes `bytes` to `path` atomically. Throws dae::FileError naming the path.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole file; throws dae::FileError naming the path. Refuses files
// larger than max_bytes (a guard against reading something absurd).
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t(1) << 34);

}  // namespace dae
