#include "app/renderer.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

// The GL header of the platform, chosen by the build: <GLES3/gl3.h> for WebGL2, app/gl_native.hpp
// for desktop OpenGL 3.3.
#include CFDM_GL_HEADER

#include "app/shaders.hpp"

namespace cfdm::app {
namespace {

constexpr int kMarksPerInstance = 64;     // as in shaders/marks.vert
constexpr int kMarksTextureWidth = 2048;  // texels a row of the marks texture (1,024 marks)

unsigned compile(GLenum type, const char* glsl_version, const char* source, std::string* log) {
  const GLuint shader = glCreateShader(type);
  const std::string header = std::string(glsl_version) + "\n";
  const char* parts[2] = {header.c_str(), source};
  glShaderSource(shader, 2, parts, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char text[1024] = {0};
    glGetShaderInfoLog(shader, sizeof text, nullptr, text);
    *log += std::string(type == GL_VERTEX_SHADER ? "vertex" : "fragment") + " shader: " + text;
  }
  return shader;
}

unsigned link(const char* glsl_version, const char* vertex, const char* fragment, std::string* log) {
  const GLuint program = glCreateProgram();
  const GLuint vs = compile(GL_VERTEX_SHADER, glsl_version, vertex, log);
  const GLuint fs = compile(GL_FRAGMENT_SHADER, glsl_version, fragment, log);
  glAttachShader(program, vs);
  glAttachShader(program, fs);
  glLinkProgram(program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (!ok) {
    char text[1024] = {0};
    glGetProgramInfoLog(program, sizeof text, nullptr, text);
    *log += std::string("link: ") + text;
  }
  return program;
}

// Per-instance attribute `location` of `count` components at `offset` in a record of `stride`.
void instance_attribute(GLuint location, GLint count, GLenum type, bool normalized, size_t stride, size_t offset) {
  glEnableVertexAttribArray(location);
  glVertexAttribPointer(location, count, type, normalized ? GL_TRUE : GL_FALSE, GLsizei(stride),
                        reinterpret_cast<const void*>(offset));
  glVertexAttribDivisor(location, 1);
}

// A vertex array with the shared unit quad at location 0 and an instance buffer.
GLuint make_vao(GLuint quad_buffer, GLuint instance_buffer) {
  GLuint vao = 0;
  glGenVertexArrays(1, &vao);
  glBindVertexArray(vao);
  glBindBuffer(GL_ARRAY_BUFFER, quad_buffer);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, nullptr);
  glBindBuffer(GL_ARRAY_BUFFER, instance_buffer);
  return vao;
}

}  // namespace

Renderer::Renderer(const char* glsl_version) {
  marks_program_ = link(glsl_version, shaders::kMarksVert, shaders::kMarksFrag, &error_);
  tiles_program_ = link(glsl_version, shaders::kTilesVert, shaders::kTilesFrag, &error_);
  const float quad[8] = {-1, -1, 1, -1, -1, 1, 1, 1};  // a triangle strip
  glGenBuffers(1, &quad_buffer_);
  glBindBuffer(GL_ARRAY_BUFFER, quad_buffer_);
  glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glGenBuffers(1, &tiles_buffer_);

  // Marks need no vertex attributes (their shader pulls them from a texture), but a vertex array
  // must be bound to draw.
  glGenVertexArrays(1, &marks_vao_);
  glGenTextures(1, &marks_texture_);
  glBindTexture(GL_TEXTURE_2D, marks_texture_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);  // integer textures: nearest only
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  tiles_vao_ = make_vao(quad_buffer_, tiles_buffer_);
  instance_attribute(1, 4, GL_FLOAT, false, sizeof(Tile), offsetof(Tile, x));
  instance_attribute(2, 1, GL_FLOAT, false, sizeof(Tile), offsetof(Tile, image));
  instance_attribute(3, 4, GL_UNSIGNED_BYTE, true, sizeof(Tile), offsetof(Tile, border_rgba));
  glBindVertexArray(0);

  glGenTextures(1, &atlas_);
  glBindTexture(GL_TEXTURE_2D, atlas_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);  // crisp pixels
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
}

Renderer::~Renderer() {
  glDeleteTextures(1, &atlas_);
  glDeleteVertexArrays(1, &marks_vao_);
  glDeleteVertexArrays(1, &tiles_vao_);
  glDeleteTextures(1, &marks_texture_);
  const GLuint buffers[2] = {quad_buffer_, tiles_buffer_};
  glDeleteBuffers(2, buffers);
  glDeleteProgram(marks_program_);
  glDeleteProgram(tiles_program_);
}

void Renderer::draw(const Scene& scene, int framebuffer_width, int framebuffer_height, float pixel_scale) {
  if (!error_.empty() || framebuffer_width <= 0 || framebuffer_height <= 0) return;
  glViewport(0, 0, framebuffer_width, framebuffer_height);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);
  glDisable(GL_SCISSOR_TEST);
  glEnable(GL_BLEND);
  glBlendEquation(GL_FUNC_ADD);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);

  if (!scene.marks.empty()) {
    // Two RGBA32UI texels a mark (see shaders/marks.vert), rows of kMarksTextureWidth texels.
    const int n = int(scene.marks.size());
    const int rows = (2 * n + kMarksTextureWidth - 1) / kMarksTextureWidth;
    mark_words_.assign(size_t(rows) * kMarksTextureWidth * 4, 0u);
    for (int i = 0; i < n; ++i) {
      const Mark& m = scene.marks[size_t(i)];
      uint32_t* out = &mark_words_[size_t(i) * 8];
      std::memcpy(out, &m.x0, 4 * sizeof(float));
      std::memcpy(out + 4, &m.width, sizeof(float));
      out[5] = m.rgba;
      std::memcpy(out + 6, &m.ring, sizeof(float));
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, marks_texture_);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    if (rows > marks_texture_rows_) {
      marks_texture_rows_ = std::max(rows, 2 * marks_texture_rows_);
      glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32UI, kMarksTextureWidth, marks_texture_rows_, 0, GL_RGBA_INTEGER,
                   GL_UNSIGNED_INT, nullptr);
    }
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, kMarksTextureWidth, rows, GL_RGBA_INTEGER, GL_UNSIGNED_INT,
                    mark_words_.data());
    glUseProgram(marks_program_);
    glUniform1i(glGetUniformLocation(marks_program_, "u_marks"), 0);
    glUniform1i(glGetUniformLocation(marks_program_, "u_marks_width"), kMarksTextureWidth);
    glUniform1i(glGetUniformLocation(marks_program_, "u_mark_count"), n);
    glUniform2f(glGetUniformLocation(marks_program_, "u_center"), scene.center_x, scene.center_y);
    glUniform1f(glGetUniformLocation(marks_program_, "u_scale"), scene.scale);
    glUniform1f(glGetUniformLocation(marks_program_, "u_pixel_scale"), pixel_scale);
    glUniform2f(glGetUniformLocation(marks_program_, "u_viewport"), float(framebuffer_width),
                float(framebuffer_height));
    glBindVertexArray(marks_vao_);
    glDrawArraysInstanced(GL_TRIANGLES, 0, 6 * kMarksPerInstance, (n + kMarksPerInstance - 1) / kMarksPerInstance);
  }

  if (!scene.tiles.empty() && scene.n_images > 0) {
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, atlas_);
    if (scene.images_version != atlas_version_) {
      // The atlas: images in rows of atlas_columns_, one byte a pixel.
      atlas_columns_ = std::max(1, int(std::ceil(std::sqrt(double(scene.n_images)))));
      atlas_rows_ = (scene.n_images + atlas_columns_ - 1) / atlas_columns_;
      const int w = scene.image_width, h = scene.image_height;
      std::vector<uint8_t> atlas(size_t(atlas_columns_) * w * size_t(atlas_rows_) * h, 0);
      for (int i = 0; i < scene.n_images; ++i) {
        const int x0 = (i % atlas_columns_) * w, y0 = (i / atlas_columns_) * h;
        for (int y = 0; y < h; ++y)
          std::copy_n(&scene.images[(size_t(i) * h + y) * w], w, &atlas[(size_t(y0 + y) * atlas_columns_ * w) + x0]);
      }
      glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
      glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, atlas_columns_ * w, atlas_rows_ * h, 0, GL_RED, GL_UNSIGNED_BYTE,
                   atlas.data());
      atlas_version_ = scene.images_version;
    }
    glUseProgram(tiles_program_);
    glUniform1f(glGetUniformLocation(tiles_program_, "u_pixel_scale"), pixel_scale);
    glUniform2f(glGetUniformLocation(tiles_program_, "u_viewport"), float(framebuffer_width),
                float(framebuffer_height));
    glUniform2f(glGetUniformLocation(tiles_program_, "u_atlas_tiles"), float(atlas_columns_), float(atlas_rows_));
    glUniform1f(glGetUniformLocation(tiles_program_, "u_border"), 2.0f * pixel_scale);
    glUniform1i(glGetUniformLocation(tiles_program_, "u_atlas"), 0);
    glBindVertexArray(tiles_vao_);
    glBindBuffer(GL_ARRAY_BUFFER, tiles_buffer_);
    glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(scene.tiles.size() * sizeof(Tile)), scene.tiles.data(), GL_STREAM_DRAW);
    glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, GLsizei(scene.tiles.size()));
  }
  glBindVertexArray(0);
  glUseProgram(0);
}

}  // namespace cfdm::app
