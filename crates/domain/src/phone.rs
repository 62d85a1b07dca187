//! Phone numbers (CONT-1): whatever a person typed, kept in E.164 (`+79123456789`) by
//! libphonenumber's rules for the company's default country — so a Russian company's
//! `8 912 345-67-89` (seed 001's "8 means +7") and a Romanian `0722 123 456` (seed 003's +40)
//! both come out international — and refused, with the reason, when no real number fits.

use crate::values::Invalid;
use phonenumber::{Mode, country};

/// The number in E.164, from `input` as typed (local numbers read in `default_country`, an
/// ISO 3166 code such as `RU`).
pub fn normalize(input: &str, default_country: &str) -> Result<String, Invalid> {
    let typed = input.trim();
    if typed.is_empty() {
        return Err(Invalid::new("phone", "is required"));
    }
    let region: country::Id =
        default_country.trim().to_ascii_uppercase().parse().map_err(|_| {
            Invalid::new("country", format!("`{default_country}` is not a country code such as RU or RO"))
        })?;
    let read = |text: &str| phonenumber::parse(Some(region), text).ok();
    // `00` is the international prefix in most of the world: where the default country reads
    // it otherwise (the US dials 011), a number that is no local one is read as `+…`.
    let abroad = || read(&format!("+{}", typed.strip_prefix("00")?)).filter(phonenumber::is_valid);
    match read(typed).filter(phonenumber::is_valid).or_else(abroad) {
        Some(number) => Ok(number.format().mode(Mode::E164).to_string()),
        None if read(typed).is_none() => Err(Invalid::new("phone", format!("`{typed}` is not a phone number"))),
        None => Err(Invalid::new(
            "phone",
            format!(
                "`{typed}` is not a valid number (check its length and country code; local numbers are read as {region:?})"
            ),
        )),
    }
}

/// A country code for reading local numbers (`ru` → `RU`), refused unless libphonenumber
/// knows the country.
pub fn country(code: &str) -> Result<String, Invalid> {
    let code = code.trim().to_ascii_uppercase();
    code.parse::<country::Id>()
        .map(|_| code.clone())
        .map_err(|_| Invalid::new("default_country", format!("`{code}` is not a country code such as RU, RO or VN")))
}

/// The WhatsApp id of a number typed in international form (`+44 7911 123456`, `0044 …`;
/// spaces, dots, dashes and brackets ignored): its 7 to 15 digits, the first not 0. Only the
/// shape is checked, not libphonenumber's ranges, so any number a customer could write from
/// is accepted.
pub fn international_wa_id(typed: &str) -> Result<String, Invalid> {
    let kept: String = typed.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}')).collect();
    let digits = kept.strip_prefix('+').or_else(|| kept.strip_prefix("00")).unwrap_or(&kept);
    if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) || digits.starts_with('0') {
        return Err(Invalid::new(
            "phone",
            "must be an international number with its country code, e.g. +44 7700 900123",
        ));
    }
    Ok(digits.to_string())
}

/// The WhatsApp id of an E.164 number: its digits.
pub fn wa_id(e164: &str) -> String {
    e164.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_checked_and_upper_cased() {
        assert_eq!(country(" vn ").unwrap(), "VN");
        assert_eq!(country("RO").unwrap(), "RO");
        assert_eq!(country("XX").unwrap_err().field, "default_country");
        assert!(country("").is_err());
    }

    #[test]
    fn local_and_international_forms_of_six_countries_become_e164() {
        let cases = [
            ("RU", "8 912 345-67-89", "+79123456789"),
            ("RU", "+7 (912) 345-67-89", "+79123456789"),
            ("RU", "89123456789", "+79123456789"),
            ("RO", "0722 123 456", "+40722123456"),
            ("RO", "+40 722 123 456", "+40722123456"),
            ("RO", "0040722123456", "+40722123456"),
            ("VN", "0901 234 567", "+84901234567"),
            ("VN", "+84 90 123 45 67", "+84901234567"),
            ("CN", "138 0013 8000", "+8613800138000"),
            ("CN", "+86 138-0013-8000", "+8613800138000"),
            ("US", "(415) 555-2671", "+14155552671"),
            ("US", "+1 415 555 2671", "+14155552671"),
            ("GB", "07911 123456", "+447911123456"),
            ("GB", "+44 7911 123456", "+447911123456"),
            // An international number is itself whatever the default country.
            ("RU", "+40 722 123 456", "+40722123456"),
            ("vn", "+7 912 345 67 89", "+79123456789"),
            // `00` reads as `+` where the default country dials abroad otherwise (US: 011).
            ("US", "0084912345678", "+84912345678"),
            ("US", "00 44 7911 123456", "+447911123456"),
        ];
        for (country, typed, expected) in cases {
            assert_eq!(normalize(typed, country).as_deref(), Ok(expected), "{typed} in {country}");
        }
    }

    #[test]
    fn what_is_no_number_is_refused_with_the_reason() {
        assert_eq!(normalize("  ", "RU").unwrap_err().message, "is required");
        assert_eq!(normalize("8 912 345", "RU").unwrap_err().field, "phone", "too short");
        assert!(normalize("call me", "GB").unwrap_err().message.contains("not a phone number"));
        assert!(normalize("0722 123 456", "XX").unwrap_err().field == "country");
        assert!(normalize("+999 123 456 789", "GB").is_err(), "no such country code");
    }

    #[test]
    fn international_numbers_give_their_whatsapp_id_and_anything_else_is_refused() {
        for typed in ["+44 (7700) 900-555", "00447700900555", "447700900555", "+44\u{a0}7700.900.555"] {
            assert_eq!(international_wa_id(typed).as_deref(), Ok("447700900555"), "{typed}");
        }
        for typed in ["12", "+44 7700 ABC", "07700 900555", "+1234567890123456", ""] {
            assert_eq!(international_wa_id(typed).unwrap_err().field, "phone", "{typed}");
        }
    }

    #[test]
    fn the_whatsapp_id_is_the_digits() {
        assert_eq!(wa_id("+79123456789"), "79123456789");
    }
}
