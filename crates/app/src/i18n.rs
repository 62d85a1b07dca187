//! The translation catalogue. Every user-visible string of the pages is looked up here by key;
//! each language is a `key = text` file compiled into the binary. English is complete and is
//! the fallback for any key another language lacks.

use std::collections::HashMap;

const SOURCES: &[(&str, &str)] = &[("en", include_str!("../locales/en.txt"))];

/// One language's strings.
#[derive(Debug, Default)]
pub struct Catalog {
    strings: HashMap<String, String>,
}

impl Catalog {
    fn parse(source: &str) -> Catalog {
        let strings = source
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Catalog { strings }
    }

    /// The text for `key`; the key itself when missing, so a gap is visible but not fatal.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text for a key built at run time, if the catalogue has it.
    pub fn lookup(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(String::as_str)
    }

    pub fn has(&self, key: &str) -> bool {
        self.strings.contains_key(key)
    }
}

/// Every language's catalogue.
#[derive(Debug)]
pub struct Catalogs {
    languages: HashMap<&'static str, Catalog>,
}

impl Catalogs {
    pub fn load() -> Catalogs {
        Catalogs { languages: SOURCES.iter().map(|(lang, src)| (*lang, Catalog::parse(src))).collect() }
    }

    /// The catalogue for a language, English when unknown.
    pub fn for_language(&self, lang: &str) -> &Catalog {
        self.languages.get(lang).or_else(|| self.languages.get("en")).unwrap_or_else(|| empty())
    }
}

fn empty() -> &'static Catalog {
    static EMPTY: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Catalog::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_has_every_grant_and_group() {
        let catalogs = Catalogs::load();
        let en = catalogs.for_language("en");
        for grant in rapport_domain::Grant::ALL {
            assert!(en.has(&format!("grant.{}", grant.name())), "missing grant.{}", grant.name());
        }
        for group in rapport_domain::GrantGroup::ALL {
            assert!(en.has(&format!("group.{}", group.key())), "missing group.{}", group.key());
        }
        assert_eq!(catalogs.for_language("xx").get("menu.staff"), en.get("menu.staff"));
        assert_eq!(en.get("no.such.key"), "no.such.key");
    }
}
