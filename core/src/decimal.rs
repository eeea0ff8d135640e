//! Decimal text for the few floats the simulator writes (a link's loss, a rebalance threshold, a number in an
//! error message), with integer arithmetic: Rust's own float formatting (Grisu and Dragon4) would add about
//! 30 KB to the page's WebAssembly for these few places.

/// `x` with exactly `places` decimals (at most nine), as `format!("{x:.places$}")` writes it: the exact
/// binary value rounded, ties to even (0.25 → "0.2", but 0.15, a hair below its tie, → "0.1").
pub fn fixed(x: f64, places: u32) -> String {
    let places = places.min(9);
    if !x.is_finite() || x.abs() >= 1e9 {
        return large(x);
    }
    let scale = 10u64.pow(places);
    let v = scaled_and_rounded(x.abs(), scale);
    let sign = if x.is_sign_negative() && x != 0.0 { "-" } else { "" };
    let (whole, frac) = (v / scale, v % scale);
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = places as usize)
    }
}

/// Round `x * scale` for `0 <= x < 10^9` exactly. `x` is `m * 2^-shift` (a 53-bit `m`, `shift` > 0 below
/// 2^52), so `x * scale` is `m * scale` (under 2^83) shifted right: its remainder decides the rounding.
fn scaled_and_rounded(x: f64, scale: u64) -> u64 {
    let bits = x.to_bits();
    let (exp, frac) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    let (m, shift) = if exp == 0 { (frac, 1074) } else { (frac | 1 << 52, 1075 - exp) };
    if shift >= 128 {
        return 0; // below 2^-45: nothing to round up
    }
    let product = u128::from(m) * u128::from(scale);
    let q = product >> shift;
    let rem = product - (q << shift);
    let half = 1u128 << (shift - 1);
    let up = rem > half || (rem == half && q & 1 == 1);
    (q + u128::from(up)) as u64
}

/// `x` as short as it reads: at most nine decimals, without trailing zeros ("0.05", "2", "-1.5").
pub fn decimal(x: f64) -> String {
    let s = fixed(x, 9);
    if !s.contains('.') || s.contains('e') {
        return s;
    }
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// NaN, infinities and numbers of a billion or more: whole numbers up to 10^18, then with an exponent.
fn large(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x.abs() < 1e18 {
        return format!("{}", x.round() as i64);
    }
    let exp = x.abs().log10().floor() as i32;
    format!("{}e{exp}", decimal(x / 10f64.powi(exp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_rust_writes_for_the_values_in_use() {
        for x in [
            0.0, 0.05, 0.15, 0.125, 0.375, 2.675, 1e-7, 0.3, 0.7, 0.1, 0.25, 0.5, 1.0, 0.001, 0.123456, 2.0, 12.5,
            99.99, 100.0, -0.2, 1.5, 42.0,
        ] {
            assert_eq!(decimal(x), format!("{x}"), "{x}");
            for places in 0..=4 {
                assert_eq!(fixed(x, places), format!("{x:.p$}", p = places as usize), "{x} with {places} places");
            }
        }
    }

    #[test]
    fn rounds_like_rust_for_many_values() {
        let mut rng = crate::rng::Rng::new(11);
        for _ in 0..20_000 {
            // Values with a few decimals, ties among them, and arbitrary ones.
            let x = match rng.below(3) {
                0 => rng.below(1_000_000) as f64 / 1000.0,
                1 => (rng.below(2000) as f64 + 0.5) / 100.0,
                _ => f64::from_bits(rng.next_u64() >> 2) % 1e6,
            };
            let x = if rng.below(4) == 0 { -x } else { x };
            let places = rng.below(7) as u32;
            assert_eq!(fixed(x, places), format!("{x:.p$}", p = places as usize), "{x:?} with {places} places");
        }
    }

    #[test]
    fn very_large_small_and_odd_values_stay_readable() {
        assert_eq!(decimal(1e12), "1000000000000");
        assert_eq!(decimal(-3e9), "-3000000000");
        assert_eq!(decimal(1e300), "1e300");
        assert_eq!(decimal(-2.5e20), "-2.5e20");
        assert_eq!(decimal(1e-12), "0");
        assert_eq!(decimal(-1e-12), "0");
        assert_eq!(decimal(f64::NAN), "NaN");
        assert_eq!(decimal(f64::NEG_INFINITY), "-inf");
        assert_eq!(fixed(2.0, 2), "2.00");
    }
}
