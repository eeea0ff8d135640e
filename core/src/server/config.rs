//! The configuration options the simulator models, with Redis 7's names, defaults, parsing and error
//! wording. Scenario files and `CONFIG GET`/`CONFIG SET` go through the same table, so a scenario's
//! `"config": {"hz": "100"}` means exactly what `hz 100` means in redis.conf.

/// The modelled options of one server. Defaults are Redis 7's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// TCP port. Fixed for the run in the simulator: a process's address is its identity.
    pub port: u16,
    /// `serverCron` frequency in Hz (1..=500; values outside are clamped, as Redis does).
    pub hz: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { port: 6379, hz: 10 }
    }
}

/// The option names, in the order CONFIG GET * lists them.
pub const OPTION_NAMES: &[&str] = &["port", "hz"];

/// Why a value was refused; the text after `- ` in Redis's `CONFIG SET failed` error.
pub type ConfigError = String;

impl ServerConfig {
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "port" => self.port.to_string(),
            "hz" => self.hz.to_string(),
            _ => return None,
        })
    }

    /// Whether `CONFIG SET` may change the option on a running server.
    pub fn is_mutable(name: &str) -> bool {
        name != "port"
    }

    /// Parse and apply one option, as at startup from a config file.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        match name {
            "port" => self.port = parse_int(value, 0, 65535)? as u16,
            // Redis clamps hz into 1..=500 silently.
            "hz" => self.hz = parse_int(value, 0, i64::from(i32::MAX))?.clamp(1, 500) as u32,
            _ => return Err(format!("Unknown option '{name}'")),
        }
        Ok(())
    }

    pub fn knows(name: &str) -> bool {
        OPTION_NAMES.contains(&name)
    }
}

fn parse_int(value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let n: i64 = value
        .trim()
        .parse()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// Parse `yes`/`no` as Redis does.
#[allow(dead_code)]
pub fn parse_bool(value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// Parse a memory value (`1mb`, `16k`, `1048576`) as Redis's `memtoull` does: `k`/`m`/`g` are powers of
/// 1000, `kb`/`mb`/`gb` powers of 1024.
#[allow(dead_code)]
pub fn parse_memory(value: &str) -> Result<u64, ConfigError> {
    const ERR: &str = "argument must be a memory value";
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().map_err(|_| ERR.to_string())?;
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(ERR.into()),
    };
    n.checked_mul(mul).ok_or_else(|| ERR.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hz_is_clamped_and_validated_like_redis() {
        let mut c = ServerConfig::default();
        c.set("hz", "1000").unwrap();
        assert_eq!(c.get("hz").unwrap(), "500");
        c.set("hz", "0").unwrap();
        assert_eq!(c.get("hz").unwrap(), "1");
        assert_eq!(
            c.set("hz", "abc"),
            Err("argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            c.set("hz", "-1"),
            Err("argument must be between 0 and 2147483647 inclusive".into())
        );
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1mb"), Ok(1_048_576));
        assert_eq!(parse_memory("1m"), Ok(1_000_000));
        assert_eq!(parse_memory("16384"), Ok(16384));
        assert!(parse_memory("2x").is_err());
        assert_eq!(parse_bool("YES"), Ok(true));
    }
}
