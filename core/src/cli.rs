//! What redis-cli does at the two ends of a console: split a typed line into arguments
//! (`sdssplitargs`) and format a reply for a terminal (`cliFormatReplyTTY`, or `cliFormatReplyRaw` for the
//! few commands whose text redis-cli prints as it came).

use crate::resp::Reply;

/// Split a line the way redis-cli does: whitespace separates arguments; double quotes allow `\n`, `\r`,
/// `\t`, `\b`, `\a`, `\xHH` and `\<char>` escapes; single quotes allow only `\'`. A closing quote must be
/// followed by whitespace or the end of the line. `Err` carries redis-cli's message.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    const INVALID: &str = "Invalid argument(s)";
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= bytes.len() {
                    return Err(INVALID.into());
                }
                let c = bytes[i];
                if c == b'\\'
                    && i + 3 < bytes.len()
                    && bytes[i + 1] == b'x'
                    && is_hex(bytes[i + 2])
                    && is_hex(bytes[i + 3])
                {
                    current.push(hex_val(bytes[i + 2]) * 16 + hex_val(bytes[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                    current.push(match bytes[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing.
                    if i + 1 < bytes.len() && !bytes[i + 1].is_ascii_whitespace() {
                        return Err(INVALID.into());
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                }
            } else if in_sq {
                if i >= bytes.len() {
                    return Err(INVALID.into());
                }
                let c = bytes[i];
                if c == b'\\' && i + 1 < bytes.len() && bytes[i + 1] == b'\'' {
                    i += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < bytes.len() && !bytes[i + 1].is_ascii_whitespace() {
                        return Err(INVALID.into());
                    }
                    i += 1;
                    break;
                } else {
                    current.push(c);
                }
            } else {
                if i >= bytes.len() {
                    break;
                }
                match bytes[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => current.push(c),
                }
            }
            i += 1;
        }
        args.push(current);
    }
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// redis-cli's repeat prefix: `3 INCR x` sends `INCR x` three times. A first argument counts as a repeat when
/// more arguments follow and `strtol` reads all of it (leading spaces and a sign allowed; an empty argument reads
/// as 0). Returns the count and the command, or redis-cli's message for a count that is not positive or
/// overflows. The count is not capped here: the console caps it ([`MAX_CONSOLE_REPEAT`]).
pub fn repeat_prefix(args: &[Vec<u8>]) -> Result<(u64, &[Vec<u8>]), String> {
    const INVALID: &str = "Invalid redis-cli repeat command option value.";
    let Some((first, rest)) = args.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return Ok((1, args));
    };
    let text = first.as_slice();
    let start = text.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(text.len());
    let (negative, digits_at) = match text.get(start) {
        Some(b'-') => (true, start + 1),
        Some(b'+') => (false, start + 1),
        _ => (false, start),
    };
    let digits = text[digits_at..].iter().take_while(|c| c.is_ascii_digit()).count();
    // strtol leaves its end pointer at the start when it reads no digits: a repeat only if the argument is empty.
    let end = if digits == 0 { 0 } else { digits_at + digits };
    if end != text.len() {
        return Ok((1, args));
    }
    let value = text[digits_at..end].iter().try_fold(0i64, |n, &c| n.checked_mul(10)?.checked_add(i64::from(c - b'0')));
    match value {
        Some(n) if !negative && n > 0 => Ok((n as u64, rest)),
        _ => Err(INVALID.to_string()),
    }
}

/// The most times the page's console repeats a command (`1000000 PING` in a real redis-cli floods the
/// terminal; here it would stall the page).
pub const MAX_CONSOLE_REPEAT: u64 = 1000;

/// Quote bytes the way `sdscatrepr` does: `"bar"`, with `\n`, `\"`, `\\` and `\xHH` escapes.
pub fn repr(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &c in bytes {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Show a command's arguments on one line, quoting only those that need it (for trace labels).
pub fn join_args(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| {
            let plain = !a.is_empty() && a.iter().all(|c| c.is_ascii_graphic() && *c != b'"' && *c != b'\'');
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                repr(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Format a reply as redis-cli does on a terminal, without the final newline.
pub fn format_reply(reply: &Reply) -> String {
    let mut out = String::new();
    format_into(reply, "", &mut out);
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

fn format_into(reply: &Reply, prefix: &str, out: &mut String) {
    match reply {
        Reply::Status(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Reply::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
            out.push('\n');
        }
        Reply::Int(n) => {
            out.push_str(&format!("(integer) {n}\n"));
        }
        Reply::Bulk(b) => {
            out.push_str(&repr(b));
            out.push('\n');
        }
        Reply::Nil | Reply::NilArray => out.push_str("(nil)\n"),
        Reply::Array(items) if items.is_empty() => out.push_str("(empty array)\n"),
        Reply::Array(items) => {
            let idxlen = items.len().to_string().len();
            let nested_prefix = format!("{prefix}{}", " ".repeat(idxlen + 2));
            for (i, item) in items.iter().enumerate() {
                let lead = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{lead}{:>width$}) ", i + 1, width = idxlen));
                format_into(item, &nested_prefix, out);
            }
        }
    }
}

/// Format the reply to a typed command as an interactive redis-cli prints it: raw for the commands whose reply
/// is a text meant to be read as lines (see [`prints_raw`]), else as on a terminal ([`format_reply`]).
pub fn format_console_reply(args: &[Vec<u8>], reply: &Reply) -> String {
    if !prints_raw(args) {
        return format_reply(reply);
    }
    let mut out = String::new();
    format_raw_into(reply, &mut out);
    // The terminal shows a CRLF as one line break; so does the page.
    let mut out = out.replace("\r\n", "\n");
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// redis-cli's `output_raw` commands (cliSendCommand in redis-cli.c): INFO, CLUSTER NODES and CLUSTER INFO
/// (with no further argument), CLIENT LIST and CLIENT INFO. Their replies are printed without quotes or
/// escapes, and an error without `(error) `.
pub fn prints_raw(args: &[Vec<u8>]) -> bool {
    let is = |i: usize, word: &str| args.get(i).is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()));
    is(0, "info")
        || (args.len() == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info")))
        || (args.len() >= 2 && is(0, "client") && (is(1, "list") || is(1, "info")))
}

/// `cliFormatReplyRaw`: strings as they are, an error followed by a newline, nothing for nil, an array's
/// elements one per line.
fn format_raw_into(reply: &Reply, out: &mut String) {
    match reply {
        Reply::Status(s) => out.push_str(s),
        Reply::Error(e) => {
            out.push_str(e);
            out.push('\n');
        }
        Reply::Int(n) => out.push_str(&n.to_string()),
        Reply::Bulk(b) => out.push_str(&String::from_utf8_lossy(b)),
        Reply::Nil | Reply::NilArray => {}
        Reply::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                format_raw_into(item, out);
            }
        }
    }
}

/// A one-line form of a reply for trace labels and timelines: `OK`, `"bar"`, `(nil)`, `(integer) 3`,
/// `(error) ERR ...`, `[3 items]`.
pub fn short_reply(reply: &Reply) -> String {
    match reply {
        Reply::Array(items) if !items.is_empty() => {
            let inner: Vec<String> = items.iter().take(4).map(short_reply).collect();
            let more = if items.len() > 4 { format!(", … {} items", items.len()) } else { String::new() };
            format!("[{}{}]", inner.join(", "), more)
        }
        other => format_reply(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn split(s: &str) -> Vec<String> {
        split_args(s).unwrap().into_iter().map(|a| String::from_utf8(a).unwrap()).collect()
    }

    #[test]
    fn splits_like_redis_cli() {
        assert_eq!(split("  SET foo   bar "), ["SET", "foo", "bar"]);
        assert_eq!(split(r#"SET "a b" 'c d'"#), ["SET", "a b", "c d"]);
        assert_eq!(split(r#"ECHO "x\ny\x41\"""#), ["ECHO", "x\nyA\""]);
        assert_eq!(split(r#"ECHO 'it\'s'"#), ["ECHO", "it's"]);
        assert_eq!(split(r#"ECHO """#), ["ECHO", ""]);
        assert!(split_args("").unwrap().is_empty());
        assert_eq!(split_args(r#"SET "unterminated"#), Err("Invalid argument(s)".into()));
        assert_eq!(split_args(r#"SET "a"b"#), Err("Invalid argument(s)".into()));
    }

    #[test]
    fn formats_like_redis_cli() {
        assert_eq!(format_reply(&Reply::ok()), "OK");
        assert_eq!(format_reply(&Reply::Nil), "(nil)");
        assert_eq!(format_reply(&Reply::Int(3)), "(integer) 3");
        assert_eq!(format_reply(&Reply::bulk("bar")), "\"bar\"");
        assert_eq!(format_reply(&Reply::bulk("a\"b\n\x01")), "\"a\\\"b\\n\\x01\"");
        assert_eq!(format_reply(&Reply::err("ERR syntax error")), "(error) ERR syntax error");
        assert_eq!(format_reply(&Reply::Array(vec![])), "(empty array)");
        assert_eq!(format_reply(&Reply::Array(vec![Reply::bulk("a"), Reply::Nil])), "1) \"a\"\n2) (nil)");
    }

    #[test]
    fn nested_arrays_are_indented_and_numbers_padded() {
        let nested = Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Int(0),
            Reply::Array(vec![Reply::Array(vec![Reply::bulk("10.0.0.2"), Reply::bulk("6379")])]),
        ]);
        assert_eq!(format_reply(&nested), "1) \"master\"\n2) (integer) 0\n3) 1) 1) \"10.0.0.2\"\n      2) \"6379\"");
        let ten = Reply::Array((0..10).map(Reply::Int).collect());
        let text = format_reply(&ten);
        assert!(text.starts_with(" 1) (integer) 0\n"));
        assert!(text.ends_with("\n10) (integer) 9"));
    }
    #[test]
    fn prints_info_and_cluster_text_raw_like_redis_cli() {
        let args = |line: &str| split_args(line).unwrap();
        let info = Reply::bulk("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
        assert_eq!(
            format_console_reply(&args("info replication"), &info),
            "# Replication\nrole:master\nconnected_slaves:0"
        );
        assert_eq!(format_console_reply(&args("CLUSTER NODES"), &Reply::bulk("a b\nc d\n")), "a b\nc d");
        // Only with exactly two arguments, as in redis-cli; other commands stay quoted.
        assert_eq!(format_console_reply(&args("CLUSTER INFO x"), &Reply::bulk("a\n")), "\"a\\n\"");
        assert_eq!(format_console_reply(&args("GET k"), &info), format_reply(&info));
        // A raw error has no "(error) " prefix (real redis-cli: `cluster info` on a non-cluster server).
        let disabled = Reply::err("ERR This instance has cluster support disabled");
        assert_eq!(
            format_console_reply(&args("cluster info"), &disabled),
            "ERR This instance has cluster support disabled"
        );
        assert_eq!(
            format_console_reply(&args("cluster slots"), &disabled),
            "(error) ERR This instance has cluster support disabled"
        );
    }
    #[test]
    fn a_leading_count_repeats_the_command_as_in_redis_cli() {
        let args = |line: &str| split_args(line).unwrap();
        let ping = args("PING");
        assert_eq!(repeat_prefix(&args("3 PING")), Ok((3, &ping[..])));
        assert_eq!(repeat_prefix(&args("+2 PING")), Ok((2, &ping[..])));
        // Not a count: a lone number is a command, and so is a first argument strtol does not read whole.
        assert_eq!(repeat_prefix(&args("3")), Ok((1, &args("3")[..])));
        assert_eq!(repeat_prefix(&args("3x PING")), Ok((1, &args("3x PING")[..])));
        let invalid = Err("Invalid redis-cli repeat command option value.".to_string());
        for line in ["0 PING", "-1 PING", "'' PING", "99999999999999999999 PING"] {
            assert_eq!(repeat_prefix(&args(line)), invalid, "{line}");
        }
    }
}
