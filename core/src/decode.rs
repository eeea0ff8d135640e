//! Reading JSON into the core's types: the scenario format, actions and sessions.
//!
//! Text is parsed into a `Value` by `json::parse` (serde_json's syntax errors, with line and column); the
//! types are then read from the value by small hand-written `Decode` impls built on `Fields`. Why not
//! `#[derive(Deserialize)]`: the derived visitors, and serde's buffering of internally tagged and flattened
//! enums, were a fifth of the page's WebAssembly; reading a `Value` is one non-generic path.
//!
//! Messages keep serde's words ("unknown field `x`, expected one of `a`, `b`", "missing field `x`",
//! "invalid type: string \"5\", expected u64", "unknown variant `x`") and say where: `at hosts[0].processes[1]`.

use crate::json::{Number, Value};
use crate::vecmap::VecMap;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

/// What went wrong, and where in the document (a path such as `hosts[0].processes[1].port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
    /// Innermost first: errors gather their location as they return through the enclosing values.
    path: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

pub type Result<T> = std::result::Result<T, DecodeError>;

impl DecodeError {
    pub fn new(message: impl Into<String>) -> DecodeError {
        DecodeError { message: message.into(), path: Vec::new() }
    }

    /// serde's wording for a value of the wrong kind.
    pub fn invalid_type(got: &Value, expected: &str) -> DecodeError {
        DecodeError::new(format!("invalid type: {}, expected {expected}", unexpected(got)))
    }

    pub fn at_key(mut self, key: &str) -> DecodeError {
        self.path.push(Step::Key(key.to_string()));
        self
    }

    pub fn at_index(mut self, index: usize) -> DecodeError {
        self.path.push(Step::Index(index));
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for (i, step) in self.path.iter().rev().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, " at {k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) if i == 0 => write!(f, " at [{n}]")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// How serde describes the value it did not expect.
fn unexpected(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n @ Number::Float(_)) => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}

/// A type read from a JSON value.
pub trait Decode: Sized {
    fn decode(v: &Value) -> Result<Self>;
}

/// Parse `text` and read a `T` from it. Syntax errors are serde_json's (with line and column).
pub fn from_str<T: Decode>(text: &str) -> std::result::Result<T, String> {
    let value = crate::json::parse(text)?;
    T::decode(&value).map_err(|e| e.to_string())
}

/// The fields of a JSON object read into a struct or an enum variant. Unknown fields are refused when the
/// object is opened (serde's `deny_unknown_fields`), so a misspelled option is never silently ignored.
///
/// The field readers return the value itself, not a `Result`: a field that fails is remembered (the first
/// failure, as serde reports the first) and stands in as its type's default, and [`Fields::done`] returns the
/// error once the value is built:
///
/// ```ignore
/// let f = Fields::new(v, "struct Point", &["x", "y"])?;
/// f.done(Point { x: f.req("x"), y: f.or("y", || 7) })
/// ```
///
/// Why: with a `?` after every field, each field's failure was a way out of its own that dropped the fields
/// read before it, and that code, per field of every type, was most of what decoding added to the page.
pub struct Fields<'a> {
    map: &'a VecMap<String, Value>,
    error: Cell<Option<DecodeError>>,
}

impl<'a> Fields<'a> {
    /// Open `v` as an object with the fields `known`; `what` names it in a type error (`struct Scenario`).
    pub fn new(v: &'a Value, what: &str, known: &[&str]) -> Result<Fields<'a>> {
        Fields::open(v, what, &[], known)
    }

    /// Open a variant of an internally tagged enum: the keys `besides` (its tag, and any field that belongs
    /// to an enclosing type, such as a scripted action's `at_ms`) are allowed besides `known`.
    pub fn variant(v: &'a Value, besides: &[&str], known: &[&str]) -> Result<Fields<'a>> {
        Fields::open(v, "internally tagged enum", besides, known)
    }

    fn open(v: &'a Value, what: &str, besides: &[&str], known: &[&str]) -> Result<Fields<'a>> {
        let Value::Object(map) = v else { return Err(DecodeError::invalid_type(v, what)) };
        if let Some(k) = map.keys().find(|k| !besides.contains(&k.as_str()) && !known.contains(&k.as_str())) {
            return Err(DecodeError::new(unknown("field", k, known)));
        }
        Ok(Fields { map, error: Cell::new(None) })
    }

    /// The tag of an internally tagged enum (`"kind": "server"`), which must name one of `variants` (each a
    /// name and its fields): that variant's name and fields, to open it with [`Fields::variant`].
    pub fn tag<'v>(v: &Value, tag: &str, variants: &[(&'v str, &'v [&'v str])]) -> Result<(&'v str, &'v [&'v str])> {
        let Value::Object(map) = v else { return Err(DecodeError::invalid_type(v, "internally tagged enum")) };
        let t = map.get(tag).ok_or_else(|| missing(tag))?;
        let Value::String(name) = t else { return Err(DecodeError::invalid_type(t, "variant identifier").at_key(tag)) };
        match variants.iter().find(|(variant, _)| variant == name) {
            Some(&found) => Ok(found),
            None => {
                let names: Vec<&str> = variants.iter().map(|(variant, _)| *variant).collect();
                Err(DecodeError::new(unknown("variant", name, &names)))
            }
        }
    }

    /// `value`, built from the fields read, or the first error met reading them.
    pub fn done<T>(&self, value: T) -> Result<T> {
        match self.error.take() {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }

    /// A field that must be present.
    pub fn req<T: Decode + Default>(&self, key: &str) -> T {
        self.read(key, self.required(key)).unwrap_or_default()
    }

    /// An optional field: absent or null is `None`.
    pub fn opt<T: Decode>(&self, key: &str) -> Option<T> {
        self.read(key, self.map.get(key).filter(|v| !matches!(v, Value::Null)))
    }

    /// A field with a default when absent.
    pub fn or<T: Decode>(&self, key: &str, default: impl FnOnce() -> T) -> T {
        self.read(key, self.map.get(key)).unwrap_or_else(default)
    }

    /// A field that is its type's default when absent.
    pub fn or_default<T: Decode + Default>(&self, key: &str) -> T {
        self.or(key, T::default)
    }

    // The generic readers above are inlined into every field of every type: what is not generic is kept
    // apart, below, so that each field costs little more than a call.

    /// The value of field `key`, `None` if it is not there (remembered as the error).
    fn required(&self, key: &str) -> Option<&'a Value> {
        let v = self.map.get(key);
        if v.is_none() {
            self.fail(missing(key));
        }
        v
    }

    /// `v` decoded as a `T`, if it is there and decodes.
    fn read<T: Decode>(&self, key: &str, v: Option<&Value>) -> Option<T> {
        match T::decode(v?) {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail_at(key, e);
                None
            }
        }
    }

    fn fail_at(&self, key: &str, e: DecodeError) {
        self.fail(e.at_key(key));
    }

    /// Remember `e` unless an earlier field failed.
    fn fail(&self, e: DecodeError) {
        let first = self.error.take().unwrap_or(e);
        self.error.set(Some(first));
    }
}

/// serde's message for an absent field.
#[cold]
fn missing(key: &str) -> DecodeError {
    DecodeError::new(format!("missing field `{key}`"))
}

/// serde's message for a name that is not one of those expected.
fn unknown(what: &str, name: &str, expected: &[&str]) -> String {
    let mut message = format!("unknown {what} `{name}`, ");
    match expected {
        [] => message += &format!("there are no {what}s"),
        [one] => message += &format!("expected `{one}`"),
        [a, b] => message += &format!("expected `{a}` or `{b}`"),
        _ => {
            message += "expected one of ";
            for (i, e) in expected.iter().enumerate() {
                if i > 0 {
                    message += ", ";
                }
                message += &format!("`{e}`");
            }
        }
    }
    message
}

impl Decode for bool {
    fn decode(v: &Value) -> Result<Self> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => Err(DecodeError::invalid_type(v, "a boolean")),
        }
    }
}

impl Decode for String {
    fn decode(v: &Value) -> Result<Self> {
        match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(DecodeError::invalid_type(v, "a string")),
        }
    }
}

impl Decode for f64 {
    fn decode(v: &Value) -> Result<Self> {
        match *v {
            Value::Number(Number::PosInt(n)) => Ok(n as f64),
            Value::Number(Number::NegInt(n)) => Ok(n as f64),
            Value::Number(Number::Float(x)) => Ok(x),
            _ => Err(DecodeError::invalid_type(v, "f64")),
        }
    }
}

/// Integers: serde's messages for a float, a negative number or one out of range.
/// The message writes the JSON number itself, not the `i128`: formatting an `i128` is 1.4 KB of wasm.
fn integer(v: &Value, name: &str, min: i128, max: i128) -> Result<i128> {
    let (number, n) = match v {
        Value::Number(number @ Number::PosInt(n)) => (number, i128::from(*n)),
        Value::Number(number @ Number::NegInt(n)) => (number, i128::from(*n)),
        _ => return Err(DecodeError::invalid_type(v, name)),
    };
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(DecodeError::new(format!("invalid value: integer `{number}`, expected {name}")))
    }
}

macro_rules! decode_integer {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(v: &Value) -> Result<Self> {
                // The range check above makes the conversion exact.
                integer(v, stringify!($t), <$t>::MIN as i128, <$t>::MAX as i128).map(|n| n as $t)
            }
        }
    )*};
}
decode_integer!(u8, u16, u32, u64, usize, i32, i64);

impl<T: Decode> Decode for Option<T> {
    fn decode(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Ok(None),
            v => T::decode(v).map(Some),
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(v: &Value) -> Result<Self> {
        let mut list = Vec::new();
        each_item(v, &mut |item| T::decode(item).map(|t| list.push(t)))?;
        Ok(list)
    }
}

/// Read each element of an array with `read`, which is not generic: one loop (and one error path) serves
/// every list type, where `collect` into a `Result` instantiated its adaptors, with each element type's whole
/// decoding inlined, per type.
fn each_item(v: &Value, read: &mut dyn FnMut(&Value) -> Result<()>) -> Result<()> {
    let Value::Array(items) = v else { return Err(DecodeError::invalid_type(v, "a sequence")) };
    for (i, item) in items.iter().enumerate() {
        read(item).map_err(|e| e.at_index(i))?;
    }
    Ok(())
}

/// A pair written as a two-element array (`"slots": [0, 5460]`).
impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(v: &Value) -> Result<Self> {
        match v {
            Value::Array(items) if items.len() == 2 => {
                Ok((A::decode(&items[0]).map_err(|e| e.at_index(0))?, B::decode(&items[1]).map_err(|e| e.at_index(1))?))
            }
            Value::Array(items) => {
                Err(DecodeError::new(format!("invalid length {}, expected a tuple of size 2", items.len())))
            }
            _ => Err(DecodeError::invalid_type(v, "a tuple of size 2")),
        }
    }
}

/// Objects read as maps from field name to value, in key order: `read` is given each entry (not generic, as
/// for lists).
fn each_entry(v: &Value, read: &mut dyn FnMut(&String, &Value) -> Result<()>) -> Result<()> {
    let Value::Object(map) = v else { return Err(DecodeError::invalid_type(v, "a map")) };
    for (k, item) in map {
        read(k, item).map_err(|e| e.at_key(k))?;
    }
    Ok(())
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    fn decode(v: &Value) -> Result<Self> {
        let mut map = BTreeMap::new();
        each_entry(v, &mut |k, item| T::decode(item).map(|t| _ = map.insert(k.clone(), t)))?;
        Ok(map)
    }
}

impl<T: Decode> Decode for VecMap<String, T> {
    fn decode(v: &Value) -> Result<Self> {
        let mut map = VecMap::new();
        each_entry(v, &mut |k, item| T::decode(item).map(|t| _ = map.insert(k.clone(), t)))?;
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        crate::json::parse(text).unwrap()
    }

    struct Point {
        x: u16,
        y: u64,
        label: Option<String>,
    }

    impl Decode for Point {
        fn decode(v: &Value) -> Result<Self> {
            let f = Fields::new(v, "struct Point", &["x", "y", "label"])?;
            f.done(Point { x: f.req("x"), y: f.or("y", || 7), label: f.opt("label") })
        }
    }

    fn error<T: Decode>(text: &str) -> String {
        match from_str::<T>(text) {
            Ok(_) => panic!("{text} decoded"),
            Err(e) => e,
        }
    }

    #[test]
    fn fields_required_defaulted_and_optional() {
        let p: Point = from_str(r#"{"x": 3}"#).unwrap();
        assert_eq!((p.x, p.y, p.label), (3, 7, None));
        let p: Point = from_str(r#"{"x": 3, "y": 4, "label": "a"}"#).unwrap();
        assert_eq!((p.x, p.y, p.label.as_deref()), (3, 4, Some("a")));
    }

    #[test]
    fn messages_use_serde_words_and_say_where() {
        assert_eq!(error::<Point>(r#"{"x": 1, "z": 2}"#), "unknown field `z`, expected one of `x`, `y`, `label`");
        assert_eq!(error::<Point>("{}"), "missing field `x`");
        assert_eq!(error::<Point>("[]"), "invalid type: sequence, expected struct Point");
        assert_eq!(error::<Point>(r#"{"x": 70000}"#), "invalid value: integer `70000`, expected u16 at x");
        assert_eq!(error::<Point>(r#"{"x": -1}"#), "invalid value: integer `-1`, expected u16 at x");
        assert_eq!(error::<Point>(r#"{"x": "1"}"#), "invalid type: string \"1\", expected u16 at x");
        assert_eq!(error::<Point>(r#"{"x": 1.5}"#), "invalid type: floating point `1.5`, expected u16 at x");
        assert_eq!(
            error::<Vec<VecMap<String, Point>>>(r#"[{}, {"a": {"x": 1, "y": null}}]"#),
            "invalid type: null, expected u64 at [1].a.y"
        );
        assert!(error::<Point>("{\"x\": ").contains("line 1 column 6"), "{}", error::<Point>("{\"x\": "));
    }

    #[test]
    fn tags_and_variants() {
        let v = json(r#"{"kind": "sentinal"}"#);
        let e = Fields::tag(&v, "kind", &[("server", &[]), ("sentinel", &[]), ("client", &[])]).unwrap_err();
        assert_eq!(e.to_string(), "unknown variant `sentinal`, expected one of `server`, `sentinel`, `client`");
        assert_eq!(Fields::tag(&json("{}"), "kind", &[("a", &[])]).unwrap_err().to_string(), "missing field `kind`");
        let v = json(r#"{"kind": "server", "name": "r"}"#);
        assert!(Fields::variant(&v, &["kind"], &["name"]).is_ok());
        let ab: &[(&str, &[&str])] = &[("a", &["x"]), ("b", &["y", "z"])];
        assert_eq!(Fields::tag(&json(r#"{"kind": "b"}"#), "kind", ab).unwrap(), ("b", &["y", "z"][..]));
        assert_eq!(
            Fields::tag(&json(r#"{"kind": "c"}"#), "kind", ab).unwrap_err().to_string(),
            "unknown variant `c`, expected `a` or `b`"
        );
    }

    #[test]
    fn the_first_failing_field_is_reported() {
        assert_eq!(error::<Point>(r#"{"x": "a", "y": "b"}"#), "invalid type: string \"a\", expected u16 at x");
        assert_eq!(error::<Point>(r#"{"y": "b"}"#), "missing field `x`");
        assert_eq!(
            error::<Point>(r#"{"x": 1, "y": -1, "label": 5}"#),
            "invalid value: integer `-1`, expected u64 at y"
        );
    }
}
