// Marks: points and trail segments, one instance each, drawn as antialiased capsules.
// An instance is a segment (p0, p1) in data coordinates with a width in pixels and a colour;
// a point is a segment of length zero. The view maps data to logical pixels,
// u_center + (x, -y) * u_scale, and u_pixel_scale logical pixels to framebuffer pixels.
precision highp float;

layout(location = 0) in vec2 a_corner;    // the quad's corner, in [-1, 1]^2
layout(location = 1) in vec4 a_segment;   // x0, y0, x1, y1 (data units)
layout(location = 2) in float a_width;    // logical pixels
layout(location = 3) in vec4 a_color;     // straight (not premultiplied) alpha

uniform vec2 u_center;        // logical pixels
uniform float u_scale;        // logical pixels per data unit
uniform float u_pixel_scale;  // framebuffer pixels per logical pixel (2 on most high-DPI screens)
uniform vec2 u_viewport;      // framebuffer size in pixels

out vec2 v_local;     // the fragment relative to the segment: along, across (framebuffer pixels)
out float v_length;   // the segment's length in framebuffer pixels
out float v_radius;   // half the width in framebuffer pixels
out vec4 v_color;

void main() {
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
  v_color = a_color;
  gl_Position = vec4(pixel.x / u_viewport.x * 2.0 - 1.0, 1.0 - pixel.y / u_viewport.y * 2.0, 0.0, 1.0);
}
