//! Datetimes in the forms the API reads and writes.
//!
//! - Output and the strict write format: `%Y-%m-%dT%H:%M:%S.%fZ`, for example
//!   `2026-11-22T17:37:25.474230Z` (UTC, six fraction digits).
//! - Values of `datetime` fields sent in a request body must use that format (one to
//!   six fraction digits, one- or two-digit month, day, hour, minute and second).
//! - Values in a `query` and in the `last_value` cursor are read more leniently, as ISO
//!   8601 (`YYYY-MM-DD[T ]HH:MM[:ss[.uuuuuu]][TZ]`) or a bare date `YYYY-MM-DD`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The API's datetime format, as a `strftime` pattern.
pub const API_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Formats a datetime the way the API shows it: `2026-11-22T17:37:25.474230Z`.
pub fn format_datetime(value: &DateTime<Utc>) -> String {
    value.format(API_FORMAT).to_string()
}

/// A tiny cursor over ASCII digits and separators.
struct Scan<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scan<'a> {
    fn new(s: &'a str) -> Self {
        Scan {
            bytes: s.as_bytes(),
            pos: 0,
        }
    }

    /// Reads between `min` and `max` ASCII digits (greedy); returns the digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<&'a str> {
        let start = self.pos;
        while self.pos < self.bytes.len()
            && self.pos - start < max
            && self.bytes[self.pos].is_ascii_digit()
        {
            self.pos += 1;
        }
        if self.pos - start < min {
            return None;
        }
        std::str::from_utf8(&self.bytes[start..self.pos]).ok()
    }

    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        self.digits(min, max)?.parse().ok()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// Microseconds from 1–6 leading fraction digits (right-padded with zeros).
fn micros(digits: &str) -> Option<u32> {
    let mut padded = digits.to_owned();
    while padded.len() < 6 {
        padded.push('0');
    }
    padded.parse().ok()
}

fn build(date: (i32, u32, u32), time: (u32, u32, u32, u32)) -> Option<NaiveDateTime> {
    if date.0 < 1 {
        return None;
    }
    NaiveDate::from_ymd_opt(date.0, date.1, date.2)?
        .and_hms_micro_opt(time.0, time.1, time.2, time.3)
}

/// Parses a datetime in the strict write format (`%Y-%m-%dT%H:%M:%S.%fZ`).
pub fn parse_api_datetime(s: &str) -> Option<DateTime<Utc>> {
    let mut sc = Scan::new(s);
    let year = sc.number(4, 4)? as i32;
    let month = (sc.eat(b'-')).then(|| sc.number(1, 2)).flatten()?;
    let day = (sc.eat(b'-')).then(|| sc.number(1, 2)).flatten()?;
    let hour = (sc.eat(b'T')).then(|| sc.number(1, 2)).flatten()?;
    let minute = (sc.eat(b':')).then(|| sc.number(1, 2)).flatten()?;
    let second = (sc.eat(b':')).then(|| sc.number(1, 2)).flatten()?;
    let fraction = (sc.eat(b'.')).then(|| sc.digits(1, 6)).flatten()?;
    if !sc.eat(b'Z') || !sc.done() {
        return None;
    }
    let naive = build(
        (year, month, day),
        (hour, minute, second, micros(fraction)?),
    )?;
    Some(Utc.from_utc_datetime(&naive))
}

/// Why a lenient (query / cursor) datetime could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenientError {
    /// Not a datetime nor a date at all.
    Invalid,
    /// Looks like a date (`YYYY-MM-DD`) but is not a real date.
    InvalidDate,
    /// Looks like a datetime but is not a real date/time.
    InvalidDatetime,
}

impl LenientError {
    /// The platform's message for `value`.
    pub fn message(self, value: &str) -> String {
        match self {
            LenientError::Invalid => format!(
                "'{value}' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
            ),
            LenientError::InvalidDate => {
                format!(
                    "'{value}' value has the correct format (YYYY-MM-DD) but it is an invalid date."
                )
            }
            LenientError::InvalidDatetime => format!(
                "'{value}' value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid \
                 date/time."
            ),
        }
    }
}

/// Parses an ISO 8601 datetime or a bare date, the way filters and cursors read them.
/// Datetimes without an offset are taken as UTC.
pub fn parse_lenient_datetime(s: &str) -> Result<DateTime<Utc>, LenientError> {
    match parse_iso(s) {
        IsoParse::Ok(dt) => return Ok(dt),
        IsoParse::BadValue => return Err(LenientError::InvalidDatetime),
        IsoParse::NoMatch => {}
    }
    let mut sc = Scan::new(s);
    let date = (|| {
        let year = sc.number(4, 4)? as i32;
        let month = sc.eat(b'-').then(|| sc.number(1, 2)).flatten()?;
        let day = sc.eat(b'-').then(|| sc.number(1, 2)).flatten()?;
        sc.done().then_some((year, month, day))
    })();
    match date {
        None => Err(LenientError::Invalid),
        Some(date) => build(date, (0, 0, 0, 0))
            .map(|naive| Utc.from_utc_datetime(&naive))
            .ok_or(LenientError::InvalidDate),
    }
}

enum IsoParse {
    Ok(DateTime<Utc>),
    BadValue,
    NoMatch,
}

fn parse_iso(s: &str) -> IsoParse {
    let mut sc = Scan::new(s);
    let parsed = (|| {
        let year = sc.number(4, 4)? as i32;
        let month = sc.eat(b'-').then(|| sc.number(1, 2)).flatten()?;
        let day = sc.eat(b'-').then(|| sc.number(1, 2)).flatten()?;
        if !(sc.eat(b'T') || sc.eat(b' ')) {
            return None;
        }
        let hour = sc.number(1, 2)?;
        let minute = sc.eat(b':').then(|| sc.number(1, 2)).flatten()?;
        let mut second = 0;
        let mut micro = 0;
        if sc.eat(b':') {
            second = sc.number(1, 2)?;
            if sc.eat(b'.') {
                let head = sc.digits(1, 6)?;
                micro = micros(head)?;
                sc.digits(0, 6);
            }
        }
        let mut offset_minutes: i32 = 0;
        match sc.peek() {
            Some(b'Z') => {
                sc.pos += 1;
            }
            Some(sign @ (b'+' | b'-')) => {
                sc.pos += 1;
                let hours = sc.number(2, 2)? as i32;
                let mut minutes = 0;
                if sc.peek() == Some(b':') {
                    sc.pos += 1;
                    minutes = sc.number(2, 2)? as i32;
                } else if sc.peek().is_some_and(|b| b.is_ascii_digit()) {
                    minutes = sc.number(2, 2)? as i32;
                }
                offset_minutes = hours * 60 + minutes;
                if sign == b'-' {
                    offset_minutes = -offset_minutes;
                }
            }
            _ => {}
        }
        sc.done().then_some((
            (year, month, day),
            (hour, minute, second, micro),
            offset_minutes,
        ))
    })();
    let Some((date, time, offset_minutes)) = parsed else {
        return IsoParse::NoMatch;
    };
    let Some(naive) = build(date, time) else {
        return IsoParse::BadValue;
    };
    let Some(offset) = FixedOffset::east_opt(offset_minutes * 60) else {
        return IsoParse::BadValue;
    };
    match offset.from_local_datetime(&naive).single() {
        Some(dt) => IsoParse::Ok(dt.with_timezone(&Utc)),
        None => IsoParse::BadValue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_format_round_trips() {
        let dt = parse_api_datetime("2026-11-22T17:37:25.474230Z").unwrap();
        assert_eq!(format_datetime(&dt), "2026-11-22T17:37:25.474230Z");
        let short = parse_api_datetime("2000-1-6T0:0:0.5Z").unwrap();
        assert_eq!(format_datetime(&short), "2000-01-06T00:00:00.500000Z");
    }

    #[test]
    fn strict_format_rejects_other_shapes() {
        for bad in [
            "2000-01-06T00:00:00Z",
            "2000-01-06 00:00:00.000000Z",
            "2000-01-06T00:00:00.000000",
            "2000-01-06T00:00:00.000000+01:00",
            "2000-01-06T00:00:00.1234567Z",
            "2000-02-30T00:00:00.000000Z",
            "2000-01-06T24:00:00.000000Z",
            "0000-01-06T00:00:00.000000Z",
            "2000-01-06",
            "",
            "x",
        ] {
            assert!(parse_api_datetime(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn lenient_reads_iso_and_dates() {
        let cases = [
            ("2000-01-06T00:00:00.000000Z", "2000-01-06T00:00:00.000000Z"),
            ("2000-01-06T00:00:00Z", "2000-01-06T00:00:00.000000Z"),
            ("2000-01-06 10:30", "2000-01-06T10:30:00.000000Z"),
            ("2000-01-06T10:30:00+02:00", "2000-01-06T08:30:00.000000Z"),
            ("2000-01-06T10:30:00-0130", "2000-01-06T12:00:00.000000Z"),
            (
                "2000-01-06T10:30:00.123456789Z",
                "2000-01-06T10:30:00.123456Z",
            ),
            ("2000-01-06", "2000-01-06T00:00:00.000000Z"),
        ];
        for (input, expected) in cases {
            let dt = parse_lenient_datetime(input).unwrap();
            assert_eq!(format_datetime(&dt), expected, "{input}");
        }
    }

    #[test]
    fn lenient_errors() {
        assert_eq!(parse_lenient_datetime("abc"), Err(LenientError::Invalid));
        assert_eq!(
            parse_lenient_datetime("2000-13-01"),
            Err(LenientError::InvalidDate)
        );
        assert_eq!(
            parse_lenient_datetime("2000-01-01T25:00"),
            Err(LenientError::InvalidDatetime)
        );
        assert_eq!(
            LenientError::Invalid.message("abc"),
            "'abc' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format."
        );
    }
}
