//! Reading JSON text into a [`Value`]: scenarios, actions and sessions (the types are then read from the
//! value by `decode`).
//!
//! Why not serde_json: its deserializer, its `Value` and their B-tree maps were 24 KB of the page's
//! WebAssembly, for one small job. This reader accepts and refuses exactly what `serde_json::from_str::<Value>`
//! does, and says so in its words, at the same line and column ("EOF while parsing a list at line 2 column
//! 0"): the messages reach the learner and the tests compare them. So its numbers are serde_json's too: an
//! integer is a `u64` or a negative `i64`, anything else (a fraction, an exponent, a `u64` overflow, `-0`) an
//! `f64` built as serde_json builds it (`significand * 10^exponent`, not always the nearest float), and a
//! float out of range is an error. Duplicate keys: the last one wins. The unit tests compare with serde_json.

use crate::vecmap::VecMap;
use std::fmt;

/// A parsed JSON value. Objects keep their keys sorted, as serde_json's map did (decoding reports the first
/// unknown field in that order, and a value written back lists its keys in it).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(VecMap<String, Value>),
}

/// A JSON number as serde_json keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A non-negative integer.
    PosInt(u64),
    /// A negative integer.
    NegInt(i64),
    /// Any other number; always finite.
    Float(f64),
}

/// serde_json's text for a number: the integer's digits, or the float's shortest round-trip form (`1.5`,
/// `1.0`, `1e-7`, `1.8446744073709552e+19`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::PosInt(n) => fmt::Display::fmt(&n, f),
            Number::NegInt(n) => fmt::Display::fmt(&n, f),
            Number::Float(x) => f.write_str(zmij::Buffer::new().format_finite(x)),
        }
    }
}

/// Parse `text` as one JSON value (whitespace around it allowed). The error is serde_json's message.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser { text, at: 0, depth: 0 };
    let value = p.value().and_then(|v| match p.whitespace() {
        Some(_) => Err(p.peek_error("trailing characters")),
        None => Ok(v),
    });
    value.map_err(|e| e.message(text))
}

/// serde_json refuses the 128th level of nested arrays and objects.
const MAX_DEPTH: u8 = 127;

/// A syntax error: serde_json's words, and the byte offset its line and column are counted to.
struct SyntaxError {
    what: &'static str,
    at: usize,
}

type Parsed<T> = Result<T, SyntaxError>;

impl SyntaxError {
    /// Lines count from 1; columns are the bytes since the line began (0 just after a newline).
    #[cold]
    fn message(&self, text: &str) -> String {
        let before = &text.as_bytes()[..self.at];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = self.at - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        format!("{} at line {line} column {column}", self.what)
    }
}

const EOF_IN_VALUE: &str = "EOF while parsing a value";
const EOF_IN_STRING: &str = "EOF while parsing a string";
const INVALID_NUMBER: &str = "invalid number";
const OUT_OF_RANGE: &str = "number out of range";
const INVALID_ESCAPE: &str = "invalid escape";
const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";

struct Parser<'a> {
    text: &'a str,
    /// The next byte to read.
    at: usize,
    /// How many arrays and objects enclose the value being read.
    depth: u8,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// The next byte's value if it is a decimal digit (not consumed).
    fn digit(&self) -> Option<u8> {
        self.peek().filter(u8::is_ascii_digit).map(|d| d - b'0')
    }

    fn skip_digits(&mut self) {
        while self.digit().is_some() {
            self.at += 1;
        }
    }

    /// Skip whitespace; the next byte, not consumed.
    fn whitespace(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.peek()
    }

    /// An error about the byte just read, or the end of the text (serde_json's `error`).
    fn error(&self, what: &'static str) -> SyntaxError {
        SyntaxError { what, at: self.at }
    }

    /// An error about the next byte, not yet read (serde_json's `peek_error`: the position just past it).
    fn peek_error(&self, what: &'static str) -> SyntaxError {
        SyntaxError { what, at: (self.at + 1).min(self.text.len()) }
    }

    fn value(&mut self) -> Parsed<Value> {
        let Some(first) = self.whitespace() else { return Err(self.peek_error(EOF_IN_VALUE)) };
        Ok(match first {
            b'n' => self.word(b"null", Value::Null)?,
            b't' => self.word(b"true", Value::Bool(true))?,
            b'f' => self.word(b"false", Value::Bool(false))?,
            b'-' => {
                self.at += 1;
                Value::Number(self.number(false)?)
            }
            b'0'..=b'9' => Value::Number(self.number(true)?),
            b'"' => {
                self.at += 1;
                Value::String(self.string()?)
            }
            b'[' | b'{' => {
                if self.depth == MAX_DEPTH {
                    return Err(self.peek_error("recursion limit exceeded"));
                }
                self.depth += 1;
                self.at += 1;
                let value = if first == b'[' { Value::Array(self.array()?) } else { Value::Object(self.object()?) };
                self.depth -= 1;
                self.at += 1; // the closing bracket `array` or `object` stopped at
                value
            }
            _ => return Err(self.peek_error("expected value")),
        })
    }

    /// `null`, `true` or `false`, whose first letter has been seen.
    fn word(&mut self, word: &[u8], value: Value) -> Parsed<Value> {
        self.at += 1;
        for &expected in &word[1..] {
            match self.next() {
                None => return Err(self.error(EOF_IN_VALUE)),
                Some(b) if b != expected => return Err(self.error("expected ident")),
                Some(_) => {}
            }
        }
        Ok(value)
    }

    /// The elements after `[`, up to the `]` (not consumed).
    fn array(&mut self) -> Parsed<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            match self.whitespace() {
                None => return Err(self.peek_error("EOF while parsing a list")),
                Some(b']') => return Ok(items),
                Some(b',') if !items.is_empty() => {
                    self.at += 1;
                    if self.whitespace() == Some(b']') {
                        return Err(self.peek_error("trailing comma"));
                    }
                }
                Some(_) if items.is_empty() => {}
                Some(_) => return Err(self.peek_error("expected `,` or `]`")),
            }
            items.push(self.value()?);
        }
    }

    /// The members after `{`, up to the `}` (not consumed).
    fn object(&mut self) -> Parsed<VecMap<String, Value>> {
        const KEY_NOT_A_STRING: &str = "key must be a string";
        const EOF_IN_OBJECT: &str = "EOF while parsing an object";
        let mut map = VecMap::new();
        loop {
            match self.whitespace() {
                None => return Err(self.peek_error(EOF_IN_OBJECT)),
                Some(b'}') => return Ok(map),
                Some(b',') if !map.is_empty() => {
                    self.at += 1;
                    match self.whitespace() {
                        Some(b'"') => {}
                        Some(b'}') => return Err(self.peek_error("trailing comma")),
                        Some(_) => return Err(self.peek_error(KEY_NOT_A_STRING)),
                        None => return Err(self.peek_error(EOF_IN_VALUE)),
                    }
                }
                Some(b'"') if map.is_empty() => {}
                Some(_) if map.is_empty() => return Err(self.peek_error(KEY_NOT_A_STRING)),
                Some(_) => return Err(self.peek_error("expected `,` or `}`")),
            }
            self.at += 1;
            let key = self.string()?;
            match self.whitespace() {
                Some(b':') => self.at += 1,
                Some(_) => return Err(self.peek_error("expected `:`")),
                None => return Err(self.peek_error(EOF_IN_OBJECT)),
            }
            let value = self.value()?;
            map.insert(key, value);
        }
    }

    /// The rest of a string after its opening quote, and the closing quote.
    fn string(&mut self) -> Parsed<String> {
        let mut out = String::new();
        // Where the text not yet copied to `out` begins. The bytes it stops at are ASCII, so char boundaries.
        let mut start = self.at;
        loop {
            let Some(b) = self.peek() else { return Err(self.error(EOF_IN_STRING)) };
            match b {
                b'"' | b'\\' => {
                    out.push_str(&self.text[start..self.at]);
                    self.at += 1;
                    if b == b'"' {
                        return Ok(out);
                    }
                    self.escape(&mut out)?;
                    start = self.at;
                }
                0..=0x1f => {
                    self.at += 1;
                    return Err(self.error("control character (\\u0000-\\u001F) found while parsing a string"));
                }
                _ => self.at += 1,
            }
        }
    }

    /// An escape, after its backslash.
    fn escape(&mut self, out: &mut String) -> Parsed<()> {
        let c = match self.next() {
            None => return Err(self.error(EOF_IN_STRING)),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\x08',
            Some(b'f') => '\x0c',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let code = match self.hex4()? {
                    0xDC00..=0xDFFF => return Err(self.error(LONE_SURROGATE)),
                    // A leading surrogate: a trailing one must follow, as `\uDC00` to `\uDFFF`.
                    high @ 0xD800..=0xDBFF => {
                        for expected in [b'\\', b'u'] {
                            match self.next() {
                                None => return Err(self.error(EOF_IN_STRING)),
                                Some(b) if b != expected => return Err(self.error("unexpected end of hex escape")),
                                Some(_) => {}
                            }
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error(LONE_SURROGATE));
                        }
                        0x10000 + ((high - 0xD800) << 10 | (low - 0xDC00))
                    }
                    code => code,
                };
                // Not a surrogate (those were paired above), so always a char.
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            Some(_) => return Err(self.error(INVALID_ESCAPE)),
        };
        out.push(c);
        Ok(())
    }

    /// The four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Parsed<u32> {
        let Some(digits) = self.text.as_bytes().get(self.at..self.at + 4) else {
            self.at = self.text.len();
            return Err(self.error(EOF_IN_STRING));
        };
        self.at += 4;
        let mut code = 0;
        for &d in digits {
            let Some(v) = char::from(d).to_digit(16) else { return Err(self.error(INVALID_ESCAPE)) };
            code = code * 16 + v;
        }
        Ok(code)
    }

    /// A number, after its minus sign if negative: serde_json's `parse_integer` and what it calls.
    fn number(&mut self, positive: bool) -> Parsed<Number> {
        let mut significand = match self.next() {
            None => return Err(self.error(EOF_IN_VALUE)),
            Some(b'0') if self.digit().is_some() => return Err(self.peek_error(INVALID_NUMBER)),
            Some(d @ b'0'..=b'9') => u64::from(d - b'0'),
            Some(_) => return Err(self.error(INVALID_NUMBER)),
        };
        while let Some(d) = self.digit() {
            match significand.checked_mul(10).and_then(|s| s.checked_add(u64::from(d))) {
                Some(s) => significand = s,
                // Too long for a u64: a float of the first digits times ten to the number of the others.
                None => {
                    let start = self.at;
                    self.skip_digits();
                    let exponent = (self.at - start) as i32;
                    return self.fraction(positive, significand, exponent).map(Number::Float);
                }
            }
            self.at += 1;
        }
        Ok(match self.peek() {
            Some(b'.' | b'e' | b'E') => Number::Float(self.fraction(positive, significand, 0)?),
            _ if positive => Number::PosInt(significand),
            // `-0` and integers below i64::MIN are floats.
            _ => match (significand as i64).wrapping_neg() {
                n if n >= 0 => Number::Float(-(significand as f64)),
                n => Number::NegInt(n),
            },
        })
    }

    /// What may follow a float's integer digits: decimals, an exponent, or neither.
    fn fraction(&mut self, positive: bool, mut significand: u64, mut exponent: i32) -> Parsed<f64> {
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digit().is_none() {
                return Err(self.peek_error(if self.peek().is_some() { INVALID_NUMBER } else { EOF_IN_VALUE }));
            }
            while let Some(d) = self.digit() {
                match significand.checked_mul(10).and_then(|s| s.checked_add(u64::from(d))) {
                    Some(s) => significand = s,
                    // Digits past a u64's precision are ignored.
                    None => {
                        self.skip_digits();
                        break;
                    }
                }
                self.at += 1;
                exponent -= 1;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            return self.exponent(positive, significand, exponent);
        }
        self.float(positive, significand, exponent)
    }

    /// The exponent after its `e`.
    fn exponent(&mut self, positive: bool, significand: u64, before: i32) -> Parsed<f64> {
        self.at += 1;
        let exponent_positive = match self.peek() {
            Some(b'+') => {
                self.at += 1;
                true
            }
            Some(b'-') => {
                self.at += 1;
                false
            }
            _ => true,
        };
        let mut exponent = match self.next() {
            None => return Err(self.error(EOF_IN_VALUE)),
            Some(d @ b'0'..=b'9') => i32::from(d - b'0'),
            Some(_) => return Err(self.error(INVALID_NUMBER)),
        };
        while let Some(d) = self.digit() {
            self.at += 1;
            match exponent.checked_mul(10).and_then(|e| e.checked_add(i32::from(d))) {
                Some(e) => exponent = e,
                // Past i32: too large unless it is zero or a negative power (then it is zero).
                None if significand != 0 && exponent_positive => return Err(self.error(OUT_OF_RANGE)),
                None => {
                    self.skip_digits();
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exponent =
            if exponent_positive { before.saturating_add(exponent) } else { before.saturating_sub(exponent) };
        self.float(positive, significand, exponent)
    }

    /// `significand * 10^exponent` as serde_json computes it (one multiplication or division by the nearest
    /// float to a power of ten, so not always the float nearest the exact value); too large is an error.
    fn float(&self, positive: bool, significand: u64, mut exponent: i32) -> Parsed<f64> {
        let mut x = significand as f64;
        loop {
            let power = exponent.unsigned_abs();
            if power <= 308 {
                if exponent >= 0 {
                    x *= power_of_ten(power);
                    if x.is_infinite() {
                        return Err(self.error(OUT_OF_RANGE));
                    }
                } else {
                    x /= power_of_ten(power);
                }
                break;
            }
            if x == 0.0 {
                break;
            }
            if exponent >= 0 {
                return Err(self.error(OUT_OF_RANGE));
            }
            x /= 1e308;
            exponent += 308;
        }
        Ok(if positive { x } else { -x })
    }
}

/// The float nearest to `10^n` (`n <= 308`), as the literal `1e{n}` is: `5^n` computed exactly in 64-bit
/// limbs, rounded to 53 bits (half to even), times `2^n`. Computed rather than kept in a 309-entry table,
/// which would be 2.5 KB of the page's WebAssembly; floats are rare in the input.
fn power_of_ten(n: u32) -> f64 {
    // 5^308 < 2^716: twelve limbs, least significant first.
    let mut limbs = [0u64; 12];
    limbs[0] = 1;
    for _ in 0..n {
        let mut carry = 0;
        for limb in &mut limbs {
            let x = u128::from(*limb) * 5 + carry;
            *limb = x as u64;
            carry = x >> 64;
        }
    }
    let bit = |i: u32| limbs[i as usize / 64] >> (i % 64) & 1;
    let len = (0..768).rev().find(|&i| bit(i) == 1).map_or(0, |top| top + 1);
    let dropped = len.saturating_sub(53);
    let mut mantissa = (dropped..len).rev().fold(0u64, |m, i| m << 1 | bit(i));
    let mut shift = dropped + n;
    if dropped > 0 {
        let half = bit(dropped - 1) == 1;
        let above_half = half && (0..dropped - 1).any(|i| bit(i) == 1);
        if above_half || (half && mantissa & 1 == 1) {
            mantissa += 1;
            if mantissa == 1 << 53 {
                mantissa >>= 1;
                shift += 1;
            }
        }
    }
    // `mantissa` (< 2^53) and `2^shift` (< 2^1024) are exact floats, and so is their product.
    mantissa as f64 * f64::from_bits(u64::from(1023 + shift) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json says of `text`: the value written back, or the error.
    fn serde(text: &str) -> Result<String, String> {
        serde_json::from_str::<serde_json::Value>(text).map(|v| v.to_string()).map_err(|e| e.to_string())
    }

    fn ours(text: &str) -> Result<String, String> {
        parse(text).map(|v| crate::json::to_string(&v))
    }

    fn same(texts: &[&str]) {
        for text in texts {
            assert_eq!(ours(text), serde(text), "{text:?}");
        }
    }

    #[test]
    fn syntax_errors_and_their_positions() {
        same(&[
            "",
            " ",
            "\n\n  ",
            "[1,2",
            "[1,2\n",
            "{\"a\": [\n1,\n2",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\" 1}",
            "{\"a\"",
            "{\"a\":",
            "{1:2}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":1,2}",
            "{\"a\":1,",
            "[1] x",
            "{} {}",
            "nul",
            "nulx",
            "tru",
            "fals",
            "n",
            "[true,fals]",
            "x",
            "]",
            "}",
            "[}",
            "{]",
            ":",
            "\"abc",
            "\"a\\",
            "\"\\q\"",
            "\"\\u12\"",
            "\"\\u12",
            "\"\\u12g4\"",
            "\"\\ud800\"",
            "\"\\ud800\\n\"",
            "\"\\ud800\\",
            "\"\\ud800\\u",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"\\ud800",
            "\"a\u{1}b\"",
            "\"tab\there\"",
            "\"nl\nhere\"",
            "[\"é\", \"\u{1F600}\"] é",
            "\n\r\t[1,\n\t2,\r\n x]",
        ]);
    }

    #[test]
    fn values_escapes_and_duplicate_keys() {
        same(&[
            "null",
            "true",
            " false ",
            "\"\"",
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
            "\"\\u0041\\u00e9\\u20AC\"",
            "\"\\ud83d\\ude00 \\uD83D\\uDE00\"",
            "\"\\u0000\\u001f\"",
            "\"é 😀 \\u00e9\"",
            "[]",
            "{}",
            "[[],{}]",
            "{\"b\":1,\"a\":2,\"b\":3}",
            "{\"a\":{\"x\":1},\"a\":[2]}",
            "{\"\":0, \"\\u0041\":1, \"A\":2}",
            " [ 1 , { \"k\" : [ null ] } ] ",
        ]);
    }

    #[test]
    fn numbers_at_the_edges() {
        same(&[
            "0",
            "-0",
            "-0.0",
            "0.0",
            "1",
            "-1",
            "01",
            "-01",
            "00",
            "1.",
            "1.x",
            "1.e5",
            "-",
            "-x",
            "+1",
            ".5",
            "1e",
            "1e+",
            "1e-",
            "1ex",
            "1E5",
            "1e-5",
            "1.5e0",
            "1.0e3",
            "6379.5",
            "-0.5",
            "1.0",
            "0.25",
            "0.1",
            "1e400",
            "-1e400",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "1e-400",
            "0e999999",
            "1e-324",
            "4.9e-324",
            "2.2250738585072014e-308",
            "123456789012345678901234567890e-10",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999999.5",
            "0.123456789012345678901234567890",
            "1.00000000000000000000001",
            "1e2147483647",
            "1e2147483648",
            "0e2147483648",
            "1e-2147483648",
            "-1e99999999999",
            "1e-99999999999",
            "[1.5, -2, 3e2, 0.000001, 1e21, 1e-7]",
            "1.8446744073709552e19",
            "[01]",
            "[1.]",
            "{\"a\":-}",
            "18446744073709551615.5",
            "1844674407370955161.5",
            "18446744073709551615e1",
            "184467440737095516150.5",
            "184467440737095516150e-1",
            "1844674407370955161.59",
            "0.00000000000000000000000000001e-300",
            "-.5",
            "1e-4294967296",
            "1.5e-2147483647",
            "12345678901234567890123",
            "-12345678901234567890123",
        ]);
        for n in 0..=400 {
            for text in [format!("1e{n}"), format!("1e-{n}"), format!("123.456e{n}"), format!("7e-{n}")] {
                assert_eq!(ours(&text), serde(&text), "{text}");
            }
        }
    }

    /// Random texts made of JSON's pieces, valid and not: the same value or the same error.
    #[test]
    fn random_texts() {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\n",
            "\"",
            "\"a\"",
            "\"k\":",
            "\\",
            "\\u",
            "d83d",
            "de00",
            "00e9",
            "0",
            "1",
            "9",
            "-",
            ".",
            "e",
            "E",
            "+",
            "18446744073709551615",
            "null",
            "tru",
            "true",
            "false",
            "x",
            "é",
            "\u{1}",
        ];
        let mut rng = crate::rng::Rng::new(7);
        for _ in 0..20_000 {
            let n = rng.between(1, 12);
            let text: String = (0..n).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect();
            assert_eq!(ours(&text), serde(&text), "{text:?}");
        }
    }

    #[test]
    fn nesting_up_to_serde_jsons_limit() {
        for depth in [1, 126, 127, 128, 129, 200] {
            for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
                let text = format!("{}{}", open.repeat(depth), close.repeat(depth));
                assert_eq!(ours(&text), serde(&text), "{depth} {open}");
            }
        }
    }

    #[test]
    fn powers_of_ten_are_the_nearest_floats() {
        for n in 0..=308 {
            assert_eq!(power_of_ten(n), format!("1e{n}").parse::<f64>().unwrap(), "1e{n}");
        }
    }

    #[test]
    fn number_kinds_and_texts() {
        let number = |text: &str| match parse(text) {
            Ok(Value::Number(n)) => n,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(number("5"), Number::PosInt(5));
        assert_eq!(number("-5"), Number::NegInt(-5));
        assert_eq!(number("-0"), Number::Float(-0.0));
        assert_eq!(number("18446744073709551615"), Number::PosInt(u64::MAX));
        for (text, shown) in
            [("1.5", "1.5"), ("1.0", "1.0"), ("-0", "-0.0"), ("18446744073709551616", "1.8446744073709552e+19")]
        {
            assert_eq!(number(text).to_string(), shown);
            let serde: serde_json::Number = serde_json::from_str(text).unwrap();
            assert_eq!(serde.to_string(), shown);
        }
    }
}
