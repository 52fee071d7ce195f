// Arms the indirect dispatches of a mixture-of-experts layer's experts (src/kernels/moe_route.ts planMoeDispatch;
// reference src/ref/moe_route.ts moeDispatchRef): entry k of `table` is one dispatch of expert `table[k].expert`
// with its workgroups (x, y, z); args[3k .. 3k + 2] gets them where some row's router weight for that expert is not 0,
// and (0, y, z), a dispatch of no work, where none is. So a decode step runs only its token's experts, and a prefill
// step the experts some token chose. One invocation per entry.
struct Entry {
  x: u32,
  y: u32,
  z: u32,
  expert: u32,
}

struct Params {
  rows: u32,
  experts: u32,
  count: u32, // entries
  row_pitch: u32, // invocations per grid row
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<Entry>;
@group(0) @binding(2) var<storage, read_write> args: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.y * params.row_pitch + gid.x;
  if (k >= params.count) {
    return;
  }
  let t = table[k];
  var used = false;
  for (var r = 0u; r < params.rows; r++) {
    if (w[r * params.experts + t.expert] != 0.0) {
      used = true;
      break;
    }
  }
  args[3u * k] = select(0u, t.x, used);
  args[3u * k + 1u] = t.y;
  args[3u * k + 2u] = t.z;
}
