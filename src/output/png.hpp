// Writing RGB images as PNG (stb_image_write), atomically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cfdm::output {

// width x height RGB pixels, row-major. Throws cfdm::Error on failure.
void write_png_rgb(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace cfdm::output
