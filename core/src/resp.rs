//! Redis replies as data, and the RESP2 wire form used to count replication-stream bytes.

/// A reply as a Redis server sends it. Protocol errors are data here, worded as Redis words them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`
    Status(String),
    /// `-ERR ...`: the text after the dash, error code first.
    Error(String),
    /// `:3`
    Int(i64),
    /// `$3\r\nbar`
    Bulk(Vec<u8>),
    /// `$-1`
    Nil,
    /// `*2 ...`
    Array(Vec<Reply>),
    /// `*-1`
    NilArray,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".into())
    }

    pub fn err(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }

    pub fn bulk(bytes: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(bytes.as_ref().to_vec())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The RESP2 encoding of this reply.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Status(s) => push_line(out, b'+', s.as_bytes()),
            Reply::Error(s) => push_line(out, b'-', s.as_bytes()),
            Reply::Int(n) => push_line(out, b':', n.to_string().as_bytes()),
            Reply::Bulk(b) => {
                push_line(out, b'$', b.len().to_string().as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
            Reply::Array(items) => {
                push_line(out, b'*', items.len().to_string().as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
            Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
        }
    }
}

fn push_line(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

/// The length in bytes of a command in RESP form (`*N\r\n$len\r\narg\r\n...`): what a master adds to its
/// replication offset when it propagates the command.
pub fn command_len(args: &[Vec<u8>]) -> u64 {
    fn digits(mut n: usize) -> u64 {
        let mut d = 1;
        while n >= 10 {
            n /= 10;
            d += 1;
        }
        d
    }
    let header = 1 + digits(args.len()) + 2;
    let body: u64 = args.iter().map(|a| 1 + digits(a.len()) + 2 + a.len() as u64 + 2).sum();
    header + body
}

/// Encode a command as RESP, the form it takes on the wire and in an AOF file.
pub fn encode_command(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    Reply::Array(args.iter().map(Reply::bulk).collect()).encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn encodes_like_redis() {
        let mut out = Vec::new();
        Reply::Array(vec![Reply::ok(), Reply::Int(-3), Reply::bulk("hi"), Reply::Nil, Reply::err("ERR x")])
            .encode(&mut out);
        assert_eq!(out, b"*5\r\n+OK\r\n:-3\r\n$2\r\nhi\r\n$-1\r\n-ERR x\r\n");
    }

    #[test]
    fn command_len_matches_the_encoding() {
        let args: Vec<Vec<u8>> = vec![b"SET".to_vec(), b"key:12".to_vec(), vec![b'x'; 1234]];
        assert_eq!(command_len(&args), encode_command(&args).len() as u64);
        // SELECT 0 is 23 bytes on the wire, as every Redis replication test knows.
        assert_eq!(command_len(&[b"SELECT".to_vec(), b"0".to_vec()]), 23);
    }
}
