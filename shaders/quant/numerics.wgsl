// Included only (#include "quant/numerics.wgsl"): exact f32 helpers shared by the quant kernels, the bit-exact
// twins of src/ref/quant.ts and src/quant/f16.ts. Everything that must round like the CPU reference is done
// with integer operations or with single, correctly rounded f32 + - * (WGSL's `/` is only 2.5 ULP accurate).

// Correctly rounded a / b (round to nearest, ties to even), from a 25-bit integer long division.
// a finite, b finite and nonzero. A subnormal quotient is returned exactly as bits (an adapter may flush it later).
fn div_rn(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sg = (ua ^ ub) & 0x80000000u;
  var ea = i32((ua >> 23u) & 0xffu);
  var eb = i32((ub >> 23u) & 0xffu);
  var ma = ua & 0x7fffffu;
  var mb = ub & 0x7fffffu;
  if (ea == 0 && ma == 0u) {
    return bitcast<f32>(sg);
  }
  if (eb == 0 && mb == 0u) {
    return bitcast<f32>(sg | 0x7f800000u);
  }
  if (ea == 0) {
    ea = 1;
    while (ma < 0x800000u) {
      ma = ma << 1u;
      ea = ea - 1;
    }
  } else {
    ma = ma | 0x800000u;
  }
  if (eb == 0) {
    eb = 1;
    while (mb < 0x800000u) {
      mb = mb << 1u;
      eb = eb - 1;
    }
  } else {
    mb = mb | 0x800000u;
  }
  var e = ea - eb + 127;
  if (ma < mb) {
    ma = ma << 1u;
    e = e - 1;
  }
  // ma / mb in [1, 2): 25 quotient bits = 24 significant bits and a round bit; the remainder is the sticky bit.
  var q = 0u;
  var r = ma;
  for (var i = 0; i < 25; i = i + 1) {
    q = q << 1u;
    if (r >= mb) {
      r = r - mb;
      q = q | 1u;
    }
    r = r << 1u;
  }
  let sticky = r != 0u;
  if (e >= 255) {
    return bitcast<f32>(sg | 0x7f800000u);
  }
  if (e >= 1) {
    var m = q >> 1u;
    if ((q & 1u) == 1u && (sticky || (m & 1u) == 1u)) {
      m = m + 1u;
    }
    // m holds the hidden bit: (e - 1) << 23 + m carries into the exponent (up to Inf) exactly as it should.
    return bitcast<f32>(sg | ((u32(e - 1) << 23u) + m));
  }
  let s = u32(2 - e);
  if (s > 25u) {
    return bitcast<f32>(sg);
  }
  var m = q >> s;
  let rm = q & ((1u << s) - 1u);
  let hw = 1u << (s - 1u);
  if (rm > hw || (rm == hw && (sticky || (m & 1u) == 1u))) {
    m = m + 1u;
  }
  return bitcast<f32>(sg | m);
}

// f32 -> binary16 bits, round to nearest, ties to even (subnormals, overflow to Inf, NaN kept quiet).
fn f32_to_f16_bits(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sg = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  let man = b & 0x7fffffu;
  if (ex == 0xffu) {
    return sg | 0x7c00u | select(0u, 0x200u | (man >> 13u), man != 0u);
  }
  let e = i32(ex) - 127;
  if (e > 15) {
    return sg | 0x7c00u;
  }
  if (e >= -14) {
    var h = (u32(e + 15) << 10u) | (man >> 13u);
    let rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) == 1u)) {
      h = h + 1u;
    }
    return sg | h;
  }
  if (ex == 0u) {
    return sg;
  }
  let sig = man | 0x800000u;
  let sh = u32(-e - 1);
  if (sh > 24u) {
    return sg;
  }
  var h = sig >> sh;
  let rest = sig & ((1u << sh) - 1u);
  let hw = 1u << (sh - 1u);
  if (rest > hw || (rest == hw && (h & 1u) == 1u)) {
    h = h + 1u;
  }
  return sg | h;
}

// binary16 bits -> f32, exact (f16 subnormals become normal f32 values).
fn f16_bits_to_f32(h: u32) -> f32 {
  let sg = (h & 0x8000u) << 16u;
  let ex = (h >> 10u) & 0x1fu;
  let man = h & 0x3ffu;
  if (ex == 0x1fu) {
    return bitcast<f32>(sg | 0x7f800000u | (man << 13u));
  }
  if (ex == 0u) {
    let v = f32(man) * 5.9604644775390625e-8; // man * 2^-24, exact
    return bitcast<f32>(sg | bitcast<u32>(v));
  }
  return bitcast<f32>(sg | ((ex + 112u) << 23u) | (man << 13u));
}

fn round_f16(x: f32) -> f32 {
  return f16_bits_to_f32(f32_to_f16_bits(x));
}

// Round half away from zero (C roundf): x - trunc(x) is exact, so there is no x + 0.5 rounding trap.
fn round_away(x: f32) -> f32 {
  let t = trunc(x);
  if (abs(x - t) >= 0.5) {
    return t + sign(x);
  }
  return t;
}

fn is_finite_f32(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// `x` unchanged (z is a uniform that holds 0): stops the compiler contracting x (a product) and a following
// add into one fma, which would round once where the reference rounds twice.
fn rounded(x: f32, z: u32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) | z);
}

// f32 subnormals (by their bits) become a zero of their sign, on every adapter alike (some flush them, some do not).
fn ftz(x: f32) -> f32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0u) {
    return bitcast<f32>(bitcast<u32>(x) & 0x80000000u); // a zero of x's sign
  }
  return x;
}
