// Marks: the distance to the segment gives an antialiased capsule edge one pixel wide (and a
// ring's inner edge).
precision highp float;

in vec2 v_local;
in float v_length;
in float v_radius;
in float v_ring;
in vec4 v_color;

out vec4 frag_color;

void main() {
  float beyond = max(max(-v_local.x, v_local.x - v_length), 0.0);
  float distance = length(vec2(beyond, v_local.y));
  float coverage = clamp(v_radius + 0.5 - distance, 0.0, 1.0);
  if (v_ring > 0.0) coverage = min(coverage, clamp(distance - (v_radius - v_ring) + 0.5, 0.0, 1.0));  // a ring
  if (coverage <= 0.0) discard;
  frag_color = vec4(v_color.rgb, v_color.a * coverage);
}
