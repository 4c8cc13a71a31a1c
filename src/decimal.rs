//! [`Decimal`]: the value of a `decimal` field, kept as the text the API sent.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal number kept exactly as its text, never rounded through a float.
///
/// The API writes decimals as JSON strings (`"12.50"`); some responses carry plain
/// JSON numbers. Both deserialize; a number keeps the text `serde_json` gives it.
/// A `Decimal` serializes as a JSON string, the form the API accepts.
///
/// ```
/// use syncano::Decimal;
///
/// let price: Decimal = serde_json::from_str("\"12.50\"")?;
/// assert_eq!(price.as_str(), "12.50");
/// let count: Decimal = serde_json::from_str("3")?;
/// assert_eq!(count.as_str(), "3");
/// assert_eq!(serde_json::to_string(&price)?, "\"12.50\"");
/// let parsed: Decimal = "-0.25".parse()?;
/// assert_eq!(parsed.to_f64(), Some(-0.25));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decimal(String);

/// The error returned when a text is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {0:?}")]
pub struct ParseDecimalError(String);

impl Decimal {
    /// The text of the number, exactly as received or parsed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as the nearest `f64`, or `None` if it does not fit (overflows to infinity).
    pub fn to_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// Consumes the value and returns its text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether `s` is `[+-]digits[.digits]` or `[+-].digits` or `digits.` with an optional
/// exponent `e[+-]digits`.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = (!int.is_empty() || !frac.is_empty()) && digits(int) && digits(frac);
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
    };
    mantissa_ok && exponent_ok
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if is_decimal(trimmed) {
            Ok(Decimal(trimmed.to_string()))
        } else {
            Err(ParseDecimalError(s.to_string()))
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for Decimal {
    fn from(value: i64) -> Self {
        Decimal(value.to_string())
    }
}

impl From<u64> for Decimal {
    fn from(value: u64) -> Self {
        Decimal(value.to_string())
    }
}

impl TryFrom<f64> for Decimal {
    type Error = ParseDecimalError;

    /// Converts a finite float through its shortest round-tripping text.
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        if value.is_finite() {
            Ok(Decimal(value.to_string()))
        } else {
            Err(ParseDecimalError(value.to_string()))
        }
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// Accepts a string holding a decimal number, or any JSON number.
struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number as a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        v.parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Decimal::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strings_and_numbers() {
        let d: Decimal = serde_json::from_str("\"0012.500\"").unwrap();
        assert_eq!(d.as_str(), "0012.500");
        let d: Decimal = serde_json::from_str("1.5").unwrap();
        assert_eq!(d.as_str(), "1.5");
        let d: Decimal = serde_json::from_str("-7").unwrap();
        assert_eq!(d.as_str(), "-7");
        let d: Decimal = serde_json::from_str("\"1e-3\"").unwrap();
        assert_eq!(d.to_f64(), Some(0.001));
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "\"abc\"",
            "\"\"",
            "\"1.2.3\"",
            "\".\"",
            "\"1e\"",
            "true",
            "null",
            "[1]",
        ] {
            assert!(serde_json::from_str::<Decimal>(bad).is_err(), "{bad}");
        }
        assert!("NaN".parse::<Decimal>().is_err());
        assert!(Decimal::try_from(f64::INFINITY).is_err());
    }

    #[test]
    fn serializes_as_string() {
        let d: Decimal = "3.10".parse().unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), serde_json::json!("3.10"));
    }
}
