//! [`Decimal`]: the value of a `decimal` field, kept as the text the API sent.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal number kept exactly as its text, never rounded through a float.
///
/// The API writes decimals as JSON strings (`"12.50"`); some responses carry plain
/// JSON numbers. Both deserialize; a number keeps the text `serde_json` gives it.
/// A `Decimal` serializes as a JSON string, the form the API accepts.
///
/// Equality, ordering and hashing compare the numbers, not the texts: `"1.5"`, `"1.50"`,
/// `"+01.5"` and `"0.15e1"` are equal (and hash alike), `-0` equals `0`, and `"9" < "10"`.
/// [`as_str`](Decimal::as_str), `Display` and serialization still give the exact text.
/// An exponent must fit in an `i64`.
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
///
/// let ten: Decimal = "10".parse()?;
/// assert!(ten > "9.99".parse()?);
/// assert_eq!(price, "1.25e1".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
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

/// The pieces of a decimal text: `[+-]int[.frac][(e|E)[+-]exponent]`.
struct Parts<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
    exponent: i64,
}

/// Splits `s` when it is `[+-]digits[.digits]`, `[+-].digits` or `[+-]digits.`, with an
/// optional exponent `(e|E)[+-]digits` that fits in an `i64`; `None` otherwise.
fn split(s: &str) -> Option<Parts<'_>> {
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let exponent = match exponent {
        None => 0,
        Some(e) => {
            let magnitude = e.strip_prefix(['+', '-']).unwrap_or(e);
            if magnitude.is_empty() || !digits(magnitude) {
                return None;
            }
            e.parse::<i64>().ok()?
        }
    };
    Some(Parts {
        negative,
        int,
        frac,
        exponent,
    })
}

/// A nonzero decimal in normal form: `±0.d₁d₂…dₙ × 10^exponent`, with `d₁` and `dₙ`
/// nonzero. Two nonzero decimals are equal exactly when their normal forms are.
struct Normal<'a> {
    negative: bool,
    exponent: i128,
    int: &'a str,
    frac: &'a str,
    /// The significant digits are `(int + frac)[start..end]`.
    start: usize,
    end: usize,
}

impl Normal<'_> {
    /// The significant digits `d₁ … dₙ`, as ASCII bytes.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int
            .bytes()
            .chain(self.frac.bytes())
            .skip(self.start)
            .take(self.end - self.start)
    }

    /// Compares the absolute values.
    fn cmp_magnitude(&self, other: &Normal<'_>) -> Ordering {
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits().cmp(other.digits()))
    }
}

impl Decimal {
    /// The normal form of the number, or `None` when it is zero (of either sign).
    fn normal(&self) -> Option<Normal<'_>> {
        // Every constructor checks the text, so it always splits.
        let parts = split(&self.0)?;
        let all = || parts.int.bytes().chain(parts.frac.bytes());
        let start = all().position(|b| b != b'0')?;
        let trailing_zeros = all().rev().position(|b| b != b'0')?;
        let end = parts.int.len() + parts.frac.len() - trailing_zeros;
        // The integer digits before the first significant one shift the point left.
        let exponent = parts.int.len() as i128 - start as i128 + i128::from(parts.exponent);
        Some(Normal {
            negative: parts.negative,
            exponent,
            int: parts.int,
            frac: parts.frac,
            start,
            end,
        })
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.normal(), other.normal()) {
            (None, None) => Ordering::Equal,
            (None, Some(b)) if b.negative => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (Some(a), None) if a.negative => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => match (a.negative, b.negative) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp_magnitude(&b),
                (true, true) => b.cmp_magnitude(&a),
            },
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Hash for Decimal {
    /// Hashes the normal form, so equal numbers hash alike whatever their text.
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.normal() {
            None => state.write_u8(0),
            Some(normal) => {
                state.write_u8(if normal.negative { 1 } else { 2 });
                state.write_i128(normal.exponent);
                for digit in normal.digits() {
                    state.write_u8(digit);
                }
            }
        }
    }
}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if split(trimmed).is_some() {
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

    use bigdecimal::BigDecimal;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

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

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    /// The hash of `value` under one fixed hasher.
    fn hash_of(value: &Decimal) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn compares_as_numbers() {
        assert!(d("10") > d("9"));
        assert!(d("-10") < d("-9"));
        assert!(d("0.1") > d("0.09"));
        assert!(d("1e3") > d("999.999"));
        assert!(d("-0.5") < d("0"));
        assert_eq!(d("1.5"), d("1.50"));
        assert_eq!(d("+001.5"), d("15e-1"));
        assert_eq!(d("1.5E-2"), d("0.015"));
        assert_eq!(d("-0"), d("0.000e7"));
        assert_eq!(d(".5"), d("5.e-1"));
        assert_ne!(d("1.5"), d("-1.5"));
        // The text stays as it was given.
        assert_eq!(d("1.50").to_string(), "1.50");
        assert_eq!(d("+001.5").as_str(), "+001.5");
    }

    #[test]
    fn equal_numbers_hash_alike() {
        for (a, b) in [
            ("1.5", "1.50"),
            ("-0", "0"),
            ("12e2", "1200.000"),
            ("-.1", "-1e-1"),
        ] {
            assert_eq!(hash_of(&d(a)), hash_of(&d(b)), "{a} {b}");
        }
        let set: std::collections::HashSet<Decimal> =
            ["1", "1.0", "01", "1e0", "2"].into_iter().map(d).collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn exponents_beyond_i64_are_rejected() {
        assert!("1e9223372036854775807".parse::<Decimal>().is_ok());
        assert!("1e-9223372036854775808".parse::<Decimal>().is_ok());
        assert!("1e9223372036854775808".parse::<Decimal>().is_err());
        assert!("1e99999999999999999999".parse::<Decimal>().is_err());
        // The extremes still compare correctly.
        assert!(d("1e9223372036854775807") > d("9e9223372036854775806"));
        assert!(d("0.1e-9223372036854775808") < d("1e-9223372036854775808"));
    }

    /// Decimal texts in every accepted shape: sign, leading and trailing zeros, a point
    /// with digits on either side, an `e`/`E` exponent, up to 40 digits.
    fn decimal_text() -> impl Strategy<Value = String> {
        "[+-]?0{0,3}[0-9]{0,20}(\\.[0-9]{0,20}0{0,3})?([eE][+-]?[0-9]{1,3})?".prop_filter(
            "a mantissa needs a digit",
            |s| {
                s.split(['e', 'E'])
                    .next()
                    .is_some_and(|m| m.bytes().any(|b| b.is_ascii_digit()))
            },
        )
    }

    /// Short texts over few digits, so that equal numbers in different texts are common.
    fn small_decimal_text() -> impl Strategy<Value = String> {
        "[+-]?[0-2]{0,2}(\\.[0-2]{0,2})?([eE][+-]?[0-2])?".prop_filter(
            "a mantissa needs a digit",
            |s| {
                s.split(['e', 'E'])
                    .next()
                    .is_some_and(|m| m.bytes().any(|b| b.is_ascii_digit()))
            },
        )
    }

    /// The same number written another way: the point moved by `shift` places (the
    /// exponent making up for it) and zeros added on both sides.
    fn rewritten(
        digits: &str,
        point: usize,
        exponent: i64,
        shift: i64,
        negative: bool,
    ) -> (String, String) {
        let sign = if negative { "-" } else { "" };
        let (int, frac) = digits.split_at(point);
        let first = format!("{sign}{int}.{frac}e{exponent}");
        // Move the point `shift` places left in a zero-padded copy.
        let zeros = "0".repeat(shift.unsigned_abs() as usize + 1);
        let padded = format!("{zeros}{digits}{zeros}");
        let new_point = (point + shift.unsigned_abs() as usize + 1) as i64 - shift;
        let (int, frac) = padded.split_at(new_point as usize);
        (first, format!("{sign}{int}.{frac}E{:+}", exponent + shift))
    }

    /// Compares `a` and `b` as `Decimal`s and as `BigDecimal`s, which must agree.
    fn agrees_with_reference(a: &str, b: &str) -> std::result::Result<(), TestCaseError> {
        let (da, db) = (d(a), d(b));
        let ra = BigDecimal::from_str(a).map_err(|e| TestCaseError::fail(format!("{a}: {e}")))?;
        let rb = BigDecimal::from_str(b).map_err(|e| TestCaseError::fail(format!("{b}: {e}")))?;
        prop_assert_eq!(da.cmp(&db), ra.cmp(&rb), "cmp {} {}", a, b);
        prop_assert_eq!(db.cmp(&da), rb.cmp(&ra), "cmp {} {}", b, a);
        prop_assert_eq!(da == db, ra == rb, "eq {} {}", a, b);
        prop_assert_eq!(da.partial_cmp(&db), ra.partial_cmp(&rb));
        if ra == rb {
            prop_assert_eq!(hash_of(&da), hash_of(&db), "hash {} {}", a, b);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_two_compare_as_the_reference_does(a in decimal_text(), b in decimal_text()) {
            agrees_with_reference(&a, &b)?;
        }

        #[test]
        fn short_ones_compare_as_the_reference_does(
            a in small_decimal_text(),
            b in small_decimal_text(),
        ) {
            agrees_with_reference(&a, &b)?;
        }

        #[test]
        fn rewritten_numbers_stay_equal(
            digits in "[0-9]{1,30}",
            point_at in 0.0f64..=1.0,
            exponent in -50i64..50,
            shift in -10i64..10,
            negative: bool,
        ) {
            let point = (digits.len() as f64 * point_at) as usize;
            let (a, b) = rewritten(&digits, point, exponent, shift, negative);
            agrees_with_reference(&a, &b)?;
            prop_assert_eq!(d(&a), d(&b), "{} {}", a, b);
            let kept = d(&a);
            prop_assert_eq!(kept.as_str(), a.as_str());
        }

        #[test]
        fn the_text_is_kept(text in decimal_text()) {
            let value = d(&text);
            prop_assert_eq!(value.to_string(), text.clone());
            prop_assert_eq!(serde_json::to_value(&value).unwrap(), serde_json::Value::String(text));
        }
    }

    #[test]
    fn serializes_as_string() {
        let d: Decimal = "3.10".parse().unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), serde_json::json!("3.10"));
    }
}
