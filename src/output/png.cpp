#include "output/png.hpp"

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

void write_png_rgb(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb) {
  data::write_file_atomic(path, [&](std::ostream& out) {
    if (!stbi_write_png_to_func(write_callback, &out, width, height, 3, rgb.data(), width * 3))
      throw Error(path + ": PNG encoding failed");
  });
}

}  // namespace cfdm::output
