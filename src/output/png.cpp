#include "output/png.hpp"

#include <memory>
#include <ostream>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#include "core/error.hpp"
#include "data/files.hpp"

namespace cfdm::output {
namespace {

void write_callback(void* context, void* data, int size) {
  static_cast<std::ostream*>(context)->write(static_cast<const char*>(data), size);
}

}  // namespace

data::FileWriter png_rgb(int width, int height, std::vector<uint8_t> rgb) {
  auto pixels = std::make_shared<const std::vector<uint8_t>>(std::move(rgb));
  return [width, height, pixels](std::ostream& out) {
    if (!stbi_write_png_to_func(write_callback, &out, width, height, 3, pixels->data(), width * 3))
      throw Error("PNG encoding failed");
  };
}

}  // namespace cfdm::output
