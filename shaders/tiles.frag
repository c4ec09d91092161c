// Image tiles: grey values drawn as dark ink on paper (1 = stroke), with an optional border.
precision highp float;

in vec2 v_uv;
in vec2 v_pixel;
in vec2 v_size;
in vec4 v_border;

uniform sampler2D u_atlas;  // one channel, values in [0, 1]
uniform float u_border;     // border width in framebuffer pixels

out vec4 frag_color;

void main() {
  float edge = min(min(v_pixel.x, v_size.x - v_pixel.x), min(v_pixel.y, v_size.y - v_pixel.y));
  if (v_border.a > 0.0 && edge < u_border) {
    frag_color = v_border;
    return;
  }
  float ink = texture(u_atlas, v_uv).r;
  vec3 paper = vec3(0.99, 0.99, 0.975);
  vec3 stroke = vec3(0.10, 0.11, 0.16);
  frag_color = vec4(mix(paper, stroke, ink), 1.0);
}
