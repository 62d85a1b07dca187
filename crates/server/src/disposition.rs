//! `Content-Disposition` for any file name a customer or a person chose (RFC 6266): an ASCII
//! fallback in `filename` and the exact name, percent-encoded, in `filename*`. Control
//! characters, quotes and backslashes never reach the header, so no name can break it.

/// `attachment` (download) or `inline` (shown in the browser) with `name`.
pub fn content_disposition(inline: bool, name: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = if name.trim().is_empty() { "file".to_string() } else { name };
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}", crate::href::encode(&name))
}

#[cfg(test)]
mod tests {
    use super::content_disposition;
    use axum::http::HeaderValue;

    #[test]
    fn any_name_makes_a_valid_header_and_keeps_its_letters() {
        for name in ["report.pdf", "hóa đơn.pdf", "a\u{0}b\r\nc\u{7f}.jpg", "\"quoted\"\\.txt", "", "\u{1b}[31m"] {
            let header = content_disposition(false, name);
            assert!(HeaderValue::from_str(&header).is_ok(), "{name:?} → {header}");
        }
        assert_eq!(
            content_disposition(true, "hóa đơn.pdf"),
            "inline; filename=\"h_a __n.pdf\"; filename*=UTF-8''h%C3%B3a%20%C4%91%C6%A1n.pdf"
        );
        assert_eq!(
            content_disposition(false, "a\u{0}b.txt"),
            "attachment; filename=\"ab.txt\"; filename*=UTF-8''ab.txt"
        );
    }
}
