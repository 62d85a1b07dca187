//! Search result snippets (INBOX-4): the part of a message around the first place the searched
//! text occurs, so a result shows why it matched. Matching ignores case in every script.

/// An excerpt of a text with the matched part marked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub matched: String,
    pub after: String,
}

impl Snippet {
    pub fn text(&self) -> String {
        format!("{}{}{}", self.before, self.matched, self.after)
    }
}

/// Characters of context kept on each side of the match.
pub const CONTEXT: usize = 40;

/// The excerpt of `text` around the first case-insensitive occurrence of `query`, with at most
/// `context` characters either side (an ellipsis marks a cut). When `query` does not occur
/// literally (the index also matches across diacritics), the start of the text is shown.
pub fn snippet(text: &str, query: &str, context: usize) -> Snippet {
    let chars: Vec<char> = text.chars().collect();
    let needle: Vec<char> = query.trim().chars().flat_map(char::to_lowercase).collect();
    let found = (!needle.is_empty()).then(|| find(&chars, &needle)).flatten();
    let (start, end) = found.unwrap_or((0, 0));
    let from = start.saturating_sub(context);
    let to = if found.is_some() { (end + context).min(chars.len()) } else { (2 * context).min(chars.len()) };
    let mut before: String = chars[from..start].iter().collect();
    if from > 0 {
        before.insert(0, '…');
    }
    let mut after: String = chars[end..to].iter().collect();
    if to < chars.len() {
        after.push('…');
    }
    Snippet { before, matched: chars[start..end].iter().collect(), after }
}

/// Where `needle` (lower-cased) first occurs in `chars`, ignoring case: (start, end) in chars.
fn find(chars: &[char], needle: &[char]) -> Option<(usize, usize)> {
    (0..chars.len()).find_map(|start| {
        let mut lowered = chars[start..].iter().enumerate().flat_map(|(i, c)| c.to_lowercase().map(move |l| (i, l)));
        let mut last = 0;
        for want in needle {
            let (i, got) = lowered.next()?;
            if got != *want {
                return None;
            }
            last = i;
        }
        Some((start, start + last + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_match_is_found_in_every_script_ignoring_case() {
        let cases = [
            ("Hello, is the blue JACKET still available?", "jacket", "JACKET"),
            ("你好，请问这件外套还有货吗？", "外套", "外套"),
            ("Chào bạn, áo khoác này còn size M không?", "ÁO KHOÁC", "áo khoác"),
            ("Bună ziua, mai aveți geaca albastră?", "geaca", "geaca"),
            ("Здравствуйте, синяя куртка ещё есть?", "КУРТКА", "куртка"),
        ];
        for (text, query, matched) in cases {
            let s = snippet(text, query, CONTEXT);
            assert_eq!(s.matched, matched, "{text}");
            assert_eq!(s.text(), text, "short texts are shown whole");
        }
    }

    #[test]
    fn long_texts_are_cut_around_the_match() {
        let text = format!("{}needle{}", "a".repeat(100), "b".repeat(100));
        let s = snippet(&text, "needle", 5);
        assert_eq!((s.before.as_str(), s.matched.as_str(), s.after.as_str()), ("…aaaaa", "needle", "bbbbb…"));
        let missing = snippet(&text, "absent", 5);
        assert_eq!((missing.matched.as_str(), missing.after.as_str()), ("", "aaaaaaaaaa…"));
    }

    proptest! {
        /// The snippet is always a piece of the text, and a query cut from the text is found.
        #[test]
        fn snippets_are_pieces_of_the_text(text in "\\PC{0,80}", from in 0usize..80, len in 1usize..10) {
            let chars: Vec<char> = text.chars().collect();
            let s = snippet(&text, "", 10);
            prop_assert!(text.contains(s.text().trim_end_matches('…')));
            if from + len <= chars.len() {
                let query: String = chars[from..from + len].iter().collect();
                if !query.trim().is_empty() {
                    let found = snippet(&text, &query, 10);
                    prop_assert_eq!(found.matched.to_lowercase(), query.trim().to_lowercase());
                }
            }
        }
    }
}
