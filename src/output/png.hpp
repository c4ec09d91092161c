// RGB images as PNG (stb_image_write).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/files.hpp"

namespace cfdm::output {

// The bytes of a PNG of width x height RGB pixels, row-major (for data::OutputFiles or
// data::write_file_atomic). The writer throws cfdm::Error when encoding fails.
data::FileWriter png_rgb(int width, int height, std::vector<uint8_t> rgb);

}  // namespace cfdm::output
