//! Guessing which column of an import holds which contact field, from the header row, so most
//! people only confirm the mapping. Headers come in whatever language and spelling the file's
//! author used ("Số điện thoại", "SĐT", "Телефон", "phone_number"), so headers and targets are
//! compared after [`normalize_header`].

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A field a column can be mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What the mapping returns, e.g. `phone` or a custom field's key.
    pub key: String,
    /// The field's name as shown to people, e.g. `Phone`.
    pub label: String,
    /// Other headers that mean this field.
    pub synonyms: Vec<String>,
}

impl Target {
    /// A target with no synonyms (a custom field).
    pub fn new(key: impl Into<String>, label: impl Into<String>) -> Target {
        Target { key: key.into(), label: label.into(), synonyms: Vec::new() }
    }

    /// A built-in contact field with its [`builtin_synonyms`].
    pub fn builtin(key: &str, label: impl Into<String>) -> Target {
        let synonyms = builtin_synonyms(key).iter().map(|&synonym| synonym.to_owned()).collect();
        Target { key: key.to_owned(), label: label.into(), synonyms }
    }
}

/// For each header, the key of the target it names, or `None`. A header names a target when it
/// equals the target's key, label or one of its synonyms after [`normalize_header`]. Each target
/// is used at most once: of two headers naming it, the first wins; a header naming several
/// targets takes the first of them (in `targets` order) not already taken.
pub fn auto_map(headers: &[String], targets: &[Target]) -> Vec<Option<String>> {
    let names: Vec<Vec<String>> = targets
        .iter()
        .map(|target| {
            let spellings = [&target.key, &target.label].into_iter().chain(&target.synonyms);
            spellings.map(|spelling| normalize_header(spelling)).filter(|name| !name.is_empty()).collect()
        })
        .collect();
    let mut taken = vec![false; targets.len()];
    headers
        .iter()
        .map(|header| {
            let header = normalize_header(header);
            if header.is_empty() {
                return None;
            }
            let index = (0..targets.len()).find(|&index| !taken[index] && names[index].contains(&header))?;
            taken[index] = true;
            Some(targets[index].key.clone())
        })
        .collect()
}

/// A header as compared: lowercase, accents removed (Unicode NFKD without combining marks, and
/// Vietnamese `đ` as `d`), keeping only letters and digits (so spaces, `_`, `-`, `.`, `*`, `:`
/// and brackets do not matter). "Số điện thoại" and "so_dien_thoai" are both `sodienthoai`.
pub fn normalize_header(header: &str) -> String {
    header
        .nfkd()
        .filter(|&char| !is_combining_mark(char))
        .flat_map(char::to_lowercase)
        .map(|char| if char == 'đ' { 'd' } else { char })
        .filter(|char| char.is_alphanumeric())
        .collect()
}

/// Headers that mean the built-in contact field `key` (`name`, `phone`, `email`, `address`,
/// `source`, `responsible`) in English, Vietnamese, Russian, Romanian and Chinese; empty for any
/// other key.
pub fn builtin_synonyms(key: &str) -> &'static [&'static str] {
    match key {
        "name" => &[
            "full name",
            "name",
            "customer",
            "customer name",
            "client",
            "client name",
            "contact",
            "contact name",
            "họ tên",
            "họ và tên",
            "tên",
            "tên khách hàng",
            "khách hàng",
            "имя",
            "фио",
            "имя клиента",
            "клиент",
            "контакт",
            "nume",
            "nume complet",
            "姓名",
            "名字",
            "客户",
            "客户名称",
        ],
        "phone" => &[
            "phone",
            "phone number",
            "mobile",
            "mobile phone",
            "mobile number",
            "cell",
            "cell phone",
            "tel",
            "telephone",
            "whatsapp",
            "số điện thoại",
            "điện thoại",
            "sđt",
            "số đt",
            "di động",
            "телефон",
            "номер телефона",
            "мобильный",
            "мобильный телефон",
            "тел",
            "telefon",
            "număr de telefon",
            "mobil",
            "电话",
            "手机",
            "电话号码",
            "手机号",
            "手机号码",
        ],
        "email" => &[
            "email",
            "e-mail",
            "email address",
            "mail",
            "địa chỉ email",
            "thư điện tử",
            "почта",
            "электронная почта",
            "эл почта",
            "adresa de email",
            "邮箱",
            "电子邮件",
            "电子邮箱",
        ],
        "address" => &["address", "địa chỉ", "адрес", "adresa", "地址"],
        "source" => &["source", "lead source", "nguồn", "nguồn khách", "источник", "sursa", "来源"],
        "responsible" => &[
            "responsible",
            "responsible staff",
            "owner",
            "manager",
            "assigned to",
            "nhân viên phụ trách",
            "người phụ trách",
            "phụ trách",
            "ответственный",
            "менеджер",
            "responsabil",
            "负责人",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtins() -> Vec<Target> {
        ["name", "phone", "email", "address", "source", "responsible"]
            .into_iter()
            .map(|key| Target::builtin(key, key.to_uppercase()))
            .collect()
    }

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|&name| name.to_owned()).collect()
    }

    fn keys(keys: &[Option<&str>]) -> Vec<Option<String>> {
        keys.iter().map(|key| key.map(str::to_owned)).collect()
    }

    #[test]
    fn normalizing_removes_accents_case_and_separators() {
        assert_eq!(normalize_header("Số điện thoại"), "sodienthoai");
        assert_eq!(normalize_header("SO_DIEN-THOAI."), "sodienthoai");
        assert_eq!(normalize_header("SĐT"), "sdt");
        assert_eq!(normalize_header("E-mail *"), "email");
        assert_eq!(normalize_header("ФИО"), "фио");
        assert_eq!(normalize_header("Ｐｈｏｎｅ"), "phone");
        assert_eq!(normalize_header(" - "), "");
    }

    #[test]
    fn vietnamese_headers() {
        let mapped = auto_map(&headers(&["Họ và tên", "SĐT", "Địa chỉ", "Ghi chú", "so dien thoai"]), &builtins());
        assert_eq!(mapped, keys(&[Some("name"), Some("phone"), Some("address"), None, None]));
    }

    #[test]
    fn russian_headers() {
        let mapped = auto_map(&headers(&["ФИО", "Телефон", "Почта", "Источник", "Ответственный"]), &builtins());
        assert_eq!(mapped, keys(&[Some("name"), Some("phone"), Some("email"), Some("source"), Some("responsible")]));
    }

    #[test]
    fn first_duplicate_header_wins() {
        let mapped = auto_map(&headers(&["Phone", "phone_number", "Name", "Name", ""]), &builtins());
        assert_eq!(mapped, keys(&[Some("phone"), None, Some("name"), None, None]));
    }

    #[test]
    fn keys_labels_and_custom_targets_match() {
        let targets = vec![Target::builtin("phone", "Điện thoại"), Target::new("birthday", "Ngày sinh")];
        let mapped = auto_map(&headers(&["ngay_sinh", "ĐIỆN THOẠI", "Birthday"]), &targets);
        assert_eq!(mapped, keys(&[Some("birthday"), Some("phone"), None]));
        assert!(builtin_synonyms("nickname").is_empty());
    }
}
