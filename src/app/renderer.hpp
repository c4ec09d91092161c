// Draws a Scene with instanced OpenGL 3.3 / WebGL2: one draw call for all marks (64 marks an
// instance, their data in a texture), one for all image tiles (a tile an instance), with the
// shaders of shaders/ (embedded at build time).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app/scene.hpp"

namespace cfdm::app {

class Renderer {
 public:
  // Needs a current GL context. glsl_version: "#version 330 core" or "#version 300 es".
  explicit Renderer(const char* glsl_version);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Empty when the shaders compiled and linked; the GL log otherwise (nothing is drawn then).
  const std::string& error() const { return error_; }

  // Draws into the current framebuffer of framebuffer_width x framebuffer_height pixels;
  // pixel_scale is framebuffer pixels per logical pixel (2 on most high-DPI screens).
  void draw(const Scene& scene, int framebuffer_width, int framebuffer_height, float pixel_scale);

 private:
  unsigned marks_program_ = 0, tiles_program_ = 0;
  unsigned quad_buffer_ = 0, tiles_buffer_ = 0;
  unsigned marks_vao_ = 0, tiles_vao_ = 0;
  unsigned marks_texture_ = 0;
  int marks_texture_rows_ = 0;
  std::vector<uint32_t> mark_words_;  // the marks texture's contents
  unsigned atlas_ = 0;
  int atlas_columns_ = 1, atlas_rows_ = 1;
  uint64_t atlas_version_ = ~uint64_t(0);
  std::string error_;
};

}  // namespace cfdm::app
