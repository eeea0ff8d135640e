//! Writing JSON: the trace records, the page's views, sessions, scenarios. Each type says what it writes in
//! its `ToJson` impl (beside the type, as its `Decode` impl is); `Json` does the punctuation. Reading JSON
//! text into a [`Value`] is [`parse`] (`read.rs`).
//!
//! Why not `#[derive(Serialize)]`: serde's serializer and the derived impls made the page's WebAssembly
//! 28 KB larger than this writer does, for one output format. The text is byte for byte what serde_json wrote
//! (the trace hash, share links and saved sessions depend on it): compact, or serde_json's pretty format
//! (two-space indent, `"key": value`, `[]` and `{}` when empty); strings escaped as serde_json escapes them;
//! floats in serde_json's shortest round-trip form (`0.25`, `1.0`, `1e-7`), `null` when not finite.

mod read;

pub use read::{parse, Number, Value};
use std::fmt::Write;

/// A value that can be written as JSON.
pub trait ToJson {
    fn write_json(&self, out: &mut Json);
}

// What each type adds to the WebAssembly package should be the list of its fields and little else, so the
// functions here take `&dyn ToJson` rather than being generic (the package is built for size, which inlines
// almost nothing: every instance of a generic function would be a function of its own).

/// `value` as compact JSON text.
pub fn to_string(value: &dyn ToJson) -> String {
    write(value, None)
}

/// `value` as pretty-printed JSON text, as `serde_json::to_string_pretty` writes it.
pub fn to_string_pretty(value: &dyn ToJson) -> String {
    write(value, Some(0))
}

fn write(value: &dyn ToJson, indent: Option<usize>) -> String {
    // Room for a typical trace record from the start: growing from empty took several reallocations.
    let mut out = Json { text: String::with_capacity(128), indent };
    value.write_json(&mut out);
    out.text
}

/// JSON text being written.
pub struct Json {
    text: String,
    /// When pretty-printing: how deep the next value is nested.
    indent: Option<usize>,
}

impl Json {
    /// Open an object: write its fields with [`Object::field`]; it is closed when the `Object` is dropped (at
    /// the end of the statement, or of the block that holds it).
    pub fn object(&mut self) -> Object<'_> {
        self.open('{');
        Object { out: self, empty: true }
    }

    /// Open an array: write its elements with [`Array::item`]; it is closed when the `Array` is dropped.
    pub fn array(&mut self) -> Array<'_> {
        self.open('[');
        Array { out: self, empty: true }
    }

    /// A string, escaped as serde_json escapes it: quote, backslash and control characters; nothing else.
    pub fn str(&mut self, s: &str) {
        self.text.push('"');
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                _ => "",
            };
            // `b` is ASCII, so `i` and `i + 1` are character boundaries.
            self.text.push_str(&s[start..i]);
            match escape {
                "" => _ = write!(self.text, "\\u{b:04x}"),
                e => self.text.push_str(e),
            }
            start = i + 1;
        }
        self.text.push_str(&s[start..]);
        self.text.push('"');
    }

    /// Text that is already JSON: a number, `true`, `null`.
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Decimal digits, without `fmt`'s machinery (numbers are most of a trace record).
    fn uint(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.text.extend(digits[start..].iter().map(|&d| char::from(d)));
    }

    fn open(&mut self, bracket: char) {
        self.text.push(bracket);
        if let Some(depth) = &mut self.indent {
            *depth += 1;
        }
    }

    /// Before an element of an object or array: the separator, and a new line when pretty.
    fn next(&mut self, first: bool) {
        if !first {
            self.text.push(',');
        }
        self.new_line();
    }

    fn close(&mut self, bracket: char, empty: bool) {
        if let Some(depth) = &mut self.indent {
            *depth -= 1;
            if !empty {
                self.new_line();
            }
        }
        self.text.push(bracket);
    }

    fn new_line(&mut self) {
        if let Some(depth) = self.indent {
            self.text.push('\n');
            for _ in 0..depth {
                self.text.push_str("  ");
            }
        }
    }
}

/// An object being written (see [`Json::object`]).
pub struct Object<'a> {
    out: &'a mut Json,
    empty: bool,
}

impl Object<'_> {
    /// One field. Not generic: one copy of this code serves every field of every type.
    pub fn field(&mut self, key: &str, value: &dyn ToJson) -> &mut Self {
        self.out.next(self.empty);
        self.empty = false;
        self.out.str(key);
        self.out.raw(if self.out.indent.is_some() { ": " } else { ":" });
        value.write_json(self.out);
        self
    }
}

/// An array being written (see [`Json::array`]).
pub struct Array<'a> {
    out: &'a mut Json,
    empty: bool,
}

impl Array<'_> {
    pub fn item(&mut self, value: &dyn ToJson) -> &mut Self {
        self.out.next(self.empty);
        self.empty = false;
        value.write_json(self.out);
        self
    }
}

impl Drop for Object<'_> {
    fn drop(&mut self) {
        self.out.close('}', self.empty);
    }
}

impl Drop for Array<'_> {
    fn drop(&mut self) {
        self.out.close(']', self.empty);
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut Json) {
        out.str(self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut Json) {
        out.str(self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut Json) {
        out.raw(if *self { "true" } else { "false" });
    }
}

macro_rules! unsigned_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut Json) {
                out.uint(*self as u64);
            }
        }
    )*};
}
unsigned_to_json!(u16, u32, u64, usize);

impl ToJson for i64 {
    fn write_json(&self, out: &mut Json) {
        if *self < 0 {
            out.text.push('-');
        }
        out.uint(self.unsigned_abs());
    }
}

impl ToJson for f64 {
    /// With zmij, the shortest round-trip form serde_json writes floats in (decoding's messages show floats
    /// with it too: [`Number`]'s display).
    fn write_json(&self, out: &mut Json) {
        if self.is_finite() {
            out.raw(zmij::Buffer::new().format_finite(*self));
        } else {
            out.raw("null");
        }
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut Json) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut Json) {
        match self {
            Some(v) => v.write_json(out),
            None => out.raw("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut Json) {
        let mut a = out.array();
        for v in self {
            a.item(v);
        }
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut Json) {
        self.as_slice().write_json(out);
    }
}

/// A pair is a two-element array (`[from, to]`).
impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut Json) {
        out.array().item(&self.0).item(&self.1);
    }
}

/// A parsed value written back (in its map's key order, which is sorted), as serde_json wrote its `Value`.
impl ToJson for Value {
    fn write_json(&self, out: &mut Json) {
        match self {
            Value::Null => out.raw("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(Number::PosInt(n)) => n.write_json(out),
            Value::Number(Number::NegInt(n)) => n.write_json(out),
            Value::Number(Number::Float(x)) => x.write_json(out),
            Value::String(s) => out.str(s),
            Value::Array(items) => items.write_json(out),
            Value::Object(map) => {
                let mut o = out.object();
                for (k, v) in map {
                    o.field(k, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character up to U+3000: all the escapes, DEL, multi-byte UTF-8.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for c in (0..0x3000).filter_map(char::from_u32) {
            let s = format!("a{c}b{c}");
            assert_eq!(to_string(&s), serde_json::to_string(&s).unwrap(), "{c:?}");
        }
    }

    #[test]
    fn floats_are_formatted_as_serde_json_formats_them() {
        let specials = [0.0, -0.0, 1.0, 2.0, 12.5, 1e-7, 1e15, 1e16, 1e21, 1e22, 0.1, 1.0 / 3.0, f64::MIN_POSITIVE];
        let all = specials.into_iter().chain([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, -1.5]);
        // Link loss: parts per million as a probability (the views' `loss`).
        for x in all.chain((0..=1_000_000).map(|ppm| f64::from(ppm) / 1_000_000.0)) {
            assert_eq!(to_string(&x), serde_json::to_string(&x).unwrap(), "{x:?}");
        }
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them_compact_and_pretty() {
        let text = r#"{"b": [1, -2, 0.5, "\n\u0001é", null, true, [], {}, [[]], {"z": {}, "a": [false]}], "a": {}}"#;
        for text in [text, "[]", "{}", "[-0, 1e300, 18446744073709551616, -9223372036854775808]"] {
            let (v, serde): (Value, serde_json::Value) = (parse(text).unwrap(), serde_json::from_str(text).unwrap());
            assert_eq!(to_string(&v), serde_json::to_string(&serde).unwrap());
            assert_eq!(to_string_pretty(&v), serde_json::to_string_pretty(&serde).unwrap());
        }
    }

    /// The names and tags written agree with those read: every built-in scenario, written and read back.
    #[test]
    fn scenarios_read_back_as_written() {
        for (id, text) in crate::library::SCENARIOS {
            let s = crate::Scenario::from_json(text).unwrap();
            assert_eq!(crate::Scenario::from_json(&to_string(&s)).unwrap(), s, "{id}");
            assert_eq!(crate::Scenario::from_json(&s.to_json_pretty()).unwrap(), s, "{id}");
        }
    }

    #[test]
    fn options_pairs_and_integers() {
        let v: Vec<(Option<u64>, i64)> = vec![(Some(u64::MAX), i64::MIN), (None, 0)];
        assert_eq!(to_string(&v), serde_json::to_string(&v).unwrap());
        assert_eq!(to_string_pretty(&v), serde_json::to_string_pretty(&v).unwrap());
    }
}
