// Marks: points and trail segments, drawn as antialiased capsules.
// A mark is a segment (p0, p1) in data coordinates with a width in pixels and a colour; a point
// is a segment of length zero. Marks are drawn instanced, kMarksPerInstance marks (6 vertices
// each) per instance, with their data pulled from a texture by index: software renderers pay a
// cost per instance, so one instance per mark would be slow there. The view maps data to logical
// pixels, u_center + (x, -y) * u_scale, and u_pixel_scale logical pixels to framebuffer pixels.
precision highp float;
precision highp int;

const int kMarksPerInstance = 64;  // renderer.cpp draws with the same count

// Two texels a mark, row-major in an unsigned-integer texture u_marks_width texels wide (bits kept
// exactly): the float bits of (x0, y0, x1, y1), then (float bits of the width in logical pixels,
// RGBA bytes, float bits of the ring's thickness in logical pixels (0: filled), 0).
uniform highp usampler2D u_marks;
uniform int u_marks_width;
uniform int u_mark_count;
uniform vec2 u_center;        // logical pixels
uniform float u_scale;        // logical pixels per data unit
uniform float u_pixel_scale;  // framebuffer pixels per logical pixel (2 on most high-DPI screens)
uniform vec2 u_viewport;      // framebuffer size in pixels

out vec2 v_local;     // the fragment relative to the segment: along, across (framebuffer pixels)
out float v_length;   // the segment's length in framebuffer pixels
out float v_radius;   // half the width in framebuffer pixels
out float v_ring;     // a ring's thickness in framebuffer pixels (0: filled)
out vec4 v_color;

uvec4 mark_texel(int index) {
  return texelFetch(u_marks, ivec2(index % u_marks_width, index / u_marks_width), 0);
}

void main() {
  int mark = gl_InstanceID * kMarksPerInstance + gl_VertexID / 6;
  if (mark >= u_mark_count) {  // past the last mark: a degenerate triangle
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    return;
  }
  // The quad's corner, in [-1, 1]^2: two triangles (0, 1, 2) and (2, 1, 3) of a strip.
  int corner = gl_VertexID % 6;
  corner = corner < 3 ? corner : corner == 3 ? 2 : corner == 4 ? 1 : 3;
  vec2 a_corner = vec2((corner & 1) == 1 ? 1.0 : -1.0, (corner & 2) == 2 ? 1.0 : -1.0);
  vec4 a_segment = uintBitsToFloat(mark_texel(2 * mark));
  uvec4 extra = mark_texel(2 * mark + 1);
  float a_width = uintBitsToFloat(extra.x);
  uint bytes = extra.y;
  vec4 a_color = vec4(float(bytes & 255u), float((bytes >> 8) & 255u), float((bytes >> 16) & 255u),
                      float(bytes >> 24)) / 255.0;
  vec2 s0 = (u_center + vec2(a_segment.x, -a_segment.y) * u_scale) * u_pixel_scale;
  vec2 s1 = (u_center + vec2(a_segment.z, -a_segment.w) * u_scale) * u_pixel_scale;
  vec2 axis = s1 - s0;
  float len = length(axis);
  vec2 dir = len > 1e-4 ? axis / len : vec2(1.0, 0.0);
  vec2 normal = vec2(-dir.y, dir.x);
  float radius = 0.5 * a_width * u_pixel_scale;
  float margin = radius + 1.0;  // one pixel more for the antialiased edge
  // The quad spans the segment plus the margin on every side.
  float along = a_corner.x < 0.0 ? -margin : len + margin;
  float across = a_corner.y * margin;
  vec2 pixel = s0 + dir * along + normal * across;
  v_local = vec2(along, across);
  v_length = len;
  v_radius = radius;
  v_ring = uintBitsToFloat(extra.z) * u_pixel_scale;
  v_color = a_color;
  gl_Position = vec4(pixel.x / u_viewport.x * 2.0 - 1.0, 1.0 - pixel.y / u_viewport.y * 2.0, 0.0, 1.0);
}
