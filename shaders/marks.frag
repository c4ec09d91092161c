// Marks: the distance to the segment gives an antialiased capsule edge one pixel wide.
precision highp float;

in vec2 v_local;
in float v_length;
in float v_radius;
in vec4 v_color;

out vec4 frag_color;

void main() {
  float beyond = max(max(-v_local.x, v_local.x - v_length), 0.0);
  float distance = length(vec2(beyond, v_local.y));
  float coverage = clamp(v_radius + 0.5 - distance, 0.0, 1.0);
  if (coverage <= 0.0) discard;
  frag_color = vec4(v_color.rgb, v_color.a * coverage);
}
