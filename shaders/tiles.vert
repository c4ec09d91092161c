// Image tiles: one instance per image on screen, cut from an atlas of grey images.
precision highp float;

layout(location = 0) in vec2 a_corner;   // the quad's corner, in [-1, 1]^2
layout(location = 1) in vec4 a_rect;     // x, y, width, height in logical pixels (y down)
layout(location = 2) in float a_image;   // index of the image in the atlas
layout(location = 3) in vec4 a_border;   // border colour (alpha 0: none)

uniform float u_pixel_scale;  // framebuffer pixels per logical pixel
uniform vec2 u_viewport;     // framebuffer size in pixels
uniform vec2 u_atlas_tiles;  // images per atlas row, atlas rows

out vec2 v_uv;        // atlas coordinates
out vec2 v_pixel;     // position inside the tile, in pixels
out vec2 v_size;      // the tile's size in pixels
out vec4 v_border;

void main() {
  vec2 unit = a_corner * 0.5 + 0.5;  // [0, 1]^2, y down
  vec4 rect = a_rect * u_pixel_scale;
  vec2 pixel = rect.xy + unit * rect.zw;
  float row = floor((a_image + 0.5) / u_atlas_tiles.x);
  float column = a_image - row * u_atlas_tiles.x;
  v_uv = (vec2(column, row) + unit) / u_atlas_tiles;
  v_pixel = unit * rect.zw;
  v_size = rect.zw;
  v_border = a_border;
  gl_Position = vec4(pixel.x / u_viewport.x * 2.0 - 1.0, 1.0 - pixel.y / u_viewport.y * 2.0, 0.0, 1.0);
}
