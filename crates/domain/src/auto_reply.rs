//! Auto reply (AUTO-1..3): which rule answers a customer's message.
//!
//! Texts are compared after [`normalize`]: Unicode NFC (so a Vietnamese letter typed as a
//! base letter plus combining marks equals its precomposed form), lower case in every script,
//! surrounding whitespace trimmed and inner runs of whitespace read as one space.
//!
//! The three match patterns:
//! - **whole text**: the message equals the match words;
//! - **equals any**: the match words are `|`-separated phrases; the message equals one;
//! - **contains any**: `|`-separated words; the message contains one. A word written only in
//!   a script without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar)
//!   matches anywhere, as a substring; any other word matches as a whole word, so `hi` answers
//!   "hi there" but not "this" (the letters or digits around it must not continue it).
//!
//! A company's active rules are compiled once into a [`Matcher`]: one hash table for the two
//! "equals" patterns and one Aho-Corasick automaton over every "contains" word, so finding the
//! rule for a message costs the same with ten rules or ten thousand. The first rule in
//! precedence order wins: the private rules of the number's owner before public rules, then by
//! priority (smaller first), then the oldest.

use crate::values::Invalid;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Most characters of a rule's match words.
pub const MATCH_WORDS_MAX: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    WholeText,
    ContainsAny,
    EqualsAny,
}

impl Pattern {
    pub const ALL: [Pattern; 3] = [Pattern::WholeText, Pattern::ContainsAny, Pattern::EqualsAny];

    pub fn parse(name: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Pattern::WholeText => "whole_text",
            Pattern::ContainsAny => "contains_any",
            Pattern::EqualsAny => "equals_any",
        }
    }
}

/// Who a rule answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only on the numbers this staff member owns.
    Private { owner_staff_id: i64 },
    /// On every number of the company.
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub scope: Scope,
    pub pattern: Pattern,
    pub match_words: String,
    /// Smaller answers first among rules of the same scope.
    pub priority: i64,
    /// Also answers in group chats (never by default).
    pub in_groups: bool,
}

/// One incoming customer message, as far as matching cares.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub text: &'a str,
    /// The owner of the number it came in on.
    pub number_owner: Option<i64>,
    pub group: bool,
}

/// The form texts are compared in (see the module documentation).
pub fn normalize(text: &str) -> String {
    // Most messages are NFC already (all ASCII is): skip composing them again.
    let composed;
    let text = match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text,
        _ => {
            composed = text.nfc().collect::<String>();
            &composed
        }
    };
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A rule's terms, normalised: the whole match words for `whole_text`, else each
/// `|`-separated part; empty parts are dropped.
pub fn terms(pattern: Pattern, match_words: &str) -> Vec<String> {
    match pattern {
        Pattern::WholeText => vec![normalize(match_words)].into_iter().filter(|t| !t.is_empty()).collect(),
        Pattern::ContainsAny | Pattern::EqualsAny => {
            match_words.split('|').map(normalize).filter(|t| !t.is_empty()).collect()
        }
    }
}

/// Checks match words as a rule would store them.
pub fn check_match_words(pattern: Pattern, match_words: &str) -> Result<(), Invalid> {
    if match_words.chars().count() > MATCH_WORDS_MAX {
        return Err(Invalid::new("match_words", format!("must be at most {MATCH_WORDS_MAX} characters")));
    }
    if match_words.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(Invalid::new("match_words", "must not contain control characters"));
    }
    if terms(pattern, match_words).is_empty() {
        let what = match pattern {
            Pattern::WholeText => "the text to match",
            _ => "at least one word or phrase (separate several with |)",
        };
        return Err(Invalid::new("match_words", format!("must name {what}")));
    }
    Ok(())
}

/// Scripts written without spaces between words: a word in them matches as a substring.
fn spaceless(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x3134F) // CJK extensions B..G
}

/// Whether a "contains" word matches only as a whole word.
fn needs_boundaries(word: &str) -> bool {
    !word.chars().filter(|c| c.is_alphanumeric()).all(spaceless)
}

fn word_char(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

/// Whether `word`, found at `start..end` of `text`, stands as a word there: the letters or
/// digits at its ends are not continued by more.
fn stands_alone(text: &str, word: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    (!word_char(word.chars().next()) || !word_char(before))
        && (!word_char(word.chars().next_back()) || !word_char(after))
}

/// Whether the rule answers a message whose normalised text is `text` (the reference
/// semantics the [`Matcher`] must agree with).
pub fn rule_matches(rule: &Rule, text: &str) -> bool {
    let terms = terms(rule.pattern, &rule.match_words);
    match rule.pattern {
        Pattern::WholeText | Pattern::EqualsAny => terms.iter().any(|t| t == text),
        Pattern::ContainsAny => terms.iter().any(|word| {
            text.match_indices(word.as_str())
                .any(|(at, _)| !needs_boundaries(word) || stands_alone(text, word, at, at + word.len()))
        }),
    }
}

/// Whether the rule may answer this message at all (its scope and group setting).
fn applies(rule: &Rule, incoming: &Incoming<'_>) -> bool {
    let scope_ok = match rule.scope {
        Scope::Public => true,
        Scope::Private { owner_staff_id } => incoming.number_owner == Some(owner_staff_id),
    };
    scope_ok && (!incoming.group || rule.in_groups)
}

/// Precedence order: private before public, then priority, then id.
fn precedence(rule: &Rule) -> (bool, i64, i64) {
    (matches!(rule.scope, Scope::Public), rule.priority, rule.id)
}

/// The rule that answers, trying each rule in turn (slow; the reference for [`Matcher`]).
pub fn find_naive<'r>(rules: &'r [Rule], incoming: &Incoming<'_>) -> Option<&'r Rule> {
    let text = normalize(incoming.text);
    if text.is_empty() {
        return None;
    }
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by_key(|r| precedence(r));
    ordered.into_iter().find(|r| applies(r, incoming) && rule_matches(r, &text))
}

/// A company's active rules compiled for matching.
pub struct Matcher {
    /// In precedence order; indexes below point here.
    rules: Vec<Rule>,
    /// Normalised phrase → rules whose whole text or one of whose phrases it is.
    exact: HashMap<String, Vec<usize>>,
    /// Every distinct "contains" word.
    words: Option<AhoCorasick>,
    /// Per automaton pattern: the word, whether it needs word boundaries, and its rules.
    word_rules: Vec<(String, bool, Vec<usize>)>,
}

impl Matcher {
    pub fn new(mut rules: Vec<Rule>) -> Matcher {
        rules.sort_by_key(precedence);
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut word_ids: HashMap<String, usize> = HashMap::new();
        let mut word_rules: Vec<(String, bool, Vec<usize>)> = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            for term in terms(rule.pattern, &rule.match_words) {
                match rule.pattern {
                    Pattern::WholeText | Pattern::EqualsAny => exact.entry(term).or_default().push(index),
                    Pattern::ContainsAny => {
                        let id = *word_ids.entry(term.clone()).or_insert_with(|| {
                            word_rules.push((term.clone(), needs_boundaries(&term), Vec::new()));
                            word_rules.len() - 1
                        });
                        word_rules[id].2.push(index);
                    }
                }
            }
        }
        let words = (!word_rules.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(word_rules.iter().map(|(w, _, _)| w.as_str()))
                    .ok()
            })
            .flatten();
        Matcher { rules, exact, words, word_rules }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule that answers the message, if any.
    pub fn find(&self, incoming: &Incoming<'_>) -> Option<&Rule> {
        let text = normalize(incoming.text);
        if text.is_empty() {
            return None;
        }
        let applicable = |index: &usize| applies(&self.rules[*index], incoming);
        let mut best = self.exact.get(&text).and_then(|rules| rules.iter().copied().find(|i| applicable(i)));
        if let Some(words) = &self.words {
            for found in words.find_overlapping_iter(&text) {
                let (word, boundaries, rules) = &self.word_rules[found.pattern().as_usize()];
                if *boundaries && !stands_alone(&text, word, found.start(), found.end()) {
                    continue;
                }
                // Rules are in precedence order: the first applicable one of this word is its best.
                if let Some(index) = rules.iter().copied().find(|i| applicable(i))
                    && best.is_none_or(|b| index < b)
                {
                    best = Some(index);
                }
            }
        }
        best.map(|index| &self.rules[index])
    }
}

/// Most reply contents of one rule.
pub const REPLIES_MAX: usize = 10;
/// Meta's limit for a text message body.
pub const REPLY_TEXT_MAX: usize = 4096;

/// One reply content of a rule; a rule sends all of its contents, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    Text {
        text: String,
    },
    /// An approved template of the number's account, with its parameters.
    Template {
        name: String,
        language: String,
        #[serde(default)]
        parameters: Vec<String>,
    },
    /// A file uploaded with `POST /api/v1/uploads`.
    Image {
        upload_id: i64,
        caption: Option<String>,
    },
    Video {
        upload_id: i64,
        caption: Option<String>,
    },
    Audio {
        upload_id: i64,
    },
    Document {
        upload_id: i64,
        caption: Option<String>,
    },
}

impl Reply {
    /// The uploaded file it sends, if any.
    pub fn upload_id(&self) -> Option<i64> {
        match self {
            Reply::Image { upload_id, .. }
            | Reply::Video { upload_id, .. }
            | Reply::Audio { upload_id }
            | Reply::Document { upload_id, .. } => Some(*upload_id),
            Reply::Text { .. } | Reply::Template { .. } => None,
        }
    }
}

/// Checks a rule's reply contents: one to [`REPLIES_MAX`], texts not empty and within Meta's
/// limit, templates named in Meta's form.
pub fn check_replies(replies: &[Reply]) -> Result<(), Invalid> {
    if replies.is_empty() || replies.len() > REPLIES_MAX {
        return Err(Invalid::new("replies", format!("must hold one to {REPLIES_MAX} reply contents")));
    }
    for reply in replies {
        match reply {
            Reply::Text { text } if text.trim().is_empty() => {
                return Err(Invalid::new("replies", "a text reply must not be empty"));
            }
            Reply::Text { text } if text.chars().count() > REPLY_TEXT_MAX => {
                return Err(Invalid::new(
                    "replies",
                    format!("a text reply must be at most {REPLY_TEXT_MAX} characters"),
                ));
            }
            Reply::Template { name, language, parameters } => {
                let name_ok = !name.is_empty()
                    && name.len() <= 512
                    && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !name_ok {
                    return Err(Invalid::new("replies", "a template's name is lower-case letters, digits and _"));
                }
                if !(2..=16).contains(&language.len()) {
                    return Err(Invalid::new("replies", "a template needs its language code, e.g. en_US"));
                }
                if parameters.iter().any(|p| p.trim().is_empty() || p.contains('\n')) {
                    return Err(Invalid::new("replies", "template parameters are single lines, not empty"));
                }
            }
            Reply::Image { caption: Some(c), .. }
            | Reply::Video { caption: Some(c), .. }
            | Reply::Document { caption: Some(c), .. }
                if c.chars().count() > 1024 =>
            {
                return Err(Invalid::new("replies", "a caption must be at most 1024 characters"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a rule may answer a contact again: never inside the cool-down after its last
/// answer to them (so two bots cannot keep answering each other).
pub fn cooled_down(last_answer_at: Option<i64>, now: i64, cooldown_ms: i64) -> bool {
    last_answer_at.is_none_or(|last| now - last >= cooldown_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(id: i64, pattern: Pattern, words: &str) -> Rule {
        Rule { id, scope: Scope::Public, pattern, match_words: words.into(), priority: 0, in_groups: false }
    }

    fn answers(rule: &Rule, text: &str) -> bool {
        let incoming = Incoming { text, number_owner: None, group: false };
        let naive = find_naive(std::slice::from_ref(rule), &incoming).is_some();
        let compiled = Matcher::new(vec![rule.clone()]).find(&incoming).is_some();
        assert_eq!(naive, compiled, "matcher and reference disagree on {text:?}");
        naive
    }

    #[test]
    fn the_seed_manuals_examples() {
        let whole = rule(1, Pattern::WholeText, "Hello, the weather is good");
        assert!(answers(&whole, "hello, the weather is good"));
        assert!(answers(&whole, "  Hello,   the weather is GOOD \n"));
        assert!(!answers(&whole, "hello, the weather is good today"));
        let contains = rule(2, Pattern::ContainsAny, "Hello | hello, the weather is good");
        assert!(answers(&contains, "hello, the weather is good"));
        assert!(answers(&contains, "Well hello there"));
        assert!(!answers(&contains, "Othello is a play"), "a word matches as a whole word");
        let equals = rule(3, Pattern::EqualsAny, "Hello, the weather is good | Hello, are you busy?");
        assert!(answers(&equals, "hello, are you busy?"));
        assert!(answers(&equals, "hello, the weather is good"));
        assert!(!answers(&equals, "hello, are you busy today?"));
    }

    #[test]
    fn every_language_matches_by_its_own_rules() {
        let cases: &[(Pattern, &str, &str, bool)] = &[
            // Chinese: no spaces, so a contained word is a substring.
            (Pattern::ContainsAny, "价格|多少钱", "请问这件外套多少钱？", true),
            (Pattern::WholeText, "你好", " 你好 ", true),
            (Pattern::ContainsAny, "外套", "外", false),
            // Vietnamese: diacritics count, case folds, composed or decomposed alike.
            (Pattern::ContainsAny, "giá", "Cho tôi hỏi GIÁ bao nhiêu?", true),
            (Pattern::ContainsAny, "giá", "Cho tôi hỏi gia bao nhiêu?", false),
            (Pattern::WholeText, "Xin chào", "xin cha\u{300}o", true),
            // Russian: Cyrillic case folding and whole words.
            (Pattern::ContainsAny, "цена|стоимость", "Какая ЦЕНА?", true),
            (Pattern::ContainsAny, "цена", "бесценная вещь", false),
            (Pattern::EqualsAny, "Привет|Здравствуйте", "ЗДРАВСТВУЙТЕ", true),
            // Romanian: ș and ț are letters, so they continue a word.
            (Pattern::ContainsAny, "preț", "Care este prețul?", false),
            (Pattern::ContainsAny, "preț", "Ce preț are?", true),
            (Pattern::WholeText, "Bună ziua", "BUNĂ ZIUA", true),
            // English, with punctuation around words and digits continuing them.
            (Pattern::ContainsAny, "price", "Price?", true),
            (Pattern::ContainsAny, "m", "size M please", true),
            (Pattern::ContainsAny, "m", "size M2 please", false),
            (Pattern::ContainsAny, "#promo", "is #promo still on", true),
            // Japanese and Thai are substring scripts too.
            (Pattern::ContainsAny, "ありがとう", "どうもありがとうございます", true),
            (Pattern::ContainsAny, "ราคา", "ราคาเท่าไหร่", true),
        ];
        for (pattern, words, text, expected) in cases {
            assert_eq!(answers(&rule(1, *pattern, words), text), *expected, "{pattern:?} {words:?} on {text:?}");
        }
    }

    #[test]
    fn private_rules_of_the_numbers_owner_come_before_public_ones() {
        let public = Rule { priority: -5, ..rule(1, Pattern::ContainsAny, "price") };
        let mine = Rule { scope: Scope::Private { owner_staff_id: 7 }, ..rule(2, Pattern::ContainsAny, "price") };
        let theirs = Rule { scope: Scope::Private { owner_staff_id: 8 }, ..rule(3, Pattern::ContainsAny, "price") };
        let matcher = Matcher::new(vec![public.clone(), mine.clone(), theirs.clone()]);
        let on = |owner| Incoming { text: "what price?", number_owner: owner, group: false };
        assert_eq!(matcher.find(&on(Some(7))).map(|r| r.id), Some(2));
        assert_eq!(matcher.find(&on(Some(8))).map(|r| r.id), Some(3));
        assert_eq!(matcher.find(&on(None)).map(|r| r.id), Some(1), "a number without owner gets public rules");
        let in_group = Incoming { group: true, ..on(Some(7)) };
        assert_eq!(matcher.find(&in_group), None, "group chats only when a rule says so");
        let group_rule = Rule { in_groups: true, ..rule(4, Pattern::ContainsAny, "price") };
        assert_eq!(Matcher::new(vec![public, group_rule]).find(&in_group).map(|r| r.id), Some(4));
    }

    #[test]
    fn priority_then_age_decide_between_matching_rules() {
        let later = rule(1, Pattern::ContainsAny, "hello");
        let urgent = Rule { priority: -1, ..rule(2, Pattern::EqualsAny, "hello there") };
        let same = rule(3, Pattern::WholeText, "hello there");
        let matcher = Matcher::new(vec![same, later, urgent]);
        let incoming = Incoming { text: "Hello there", number_owner: None, group: false };
        assert_eq!(matcher.find(&incoming).map(|r| r.id), Some(2));
    }

    #[test]
    fn match_words_are_checked() {
        assert!(check_match_words(Pattern::ContainsAny, " | | ").is_err());
        assert!(check_match_words(Pattern::WholeText, "   ").is_err());
        assert!(check_match_words(Pattern::EqualsAny, "a\u{7}b").is_err());
        assert!(check_match_words(Pattern::ContainsAny, &"x".repeat(MATCH_WORDS_MAX + 1)).is_err());
        assert!(check_match_words(Pattern::ContainsAny, "price | цена").is_ok());
    }

    #[test]
    fn the_cool_down_holds_until_it_has_passed() {
        assert!(cooled_down(None, 1000, 3_600_000));
        assert!(!cooled_down(Some(0), 3_599_999, 3_600_000));
        assert!(cooled_down(Some(0), 3_600_000, 3_600_000));
    }

    const ALPHABET: &[&str] = &["a", "b", "ab", " ", ",", "?", "1", "A", "价", "格", "д", "Д", "ă", "|"];

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(ALPHABET), 0..8).prop_map(|parts| parts.concat())
    }

    fn any_rule() -> impl Strategy<Value = Rule> {
        (
            0i64..1000,
            prop::sample::select(Pattern::ALL.to_vec()),
            text(),
            -2i64..3,
            prop::option::of(0i64..3),
            any::<bool>(),
        )
            .prop_map(|(id, pattern, match_words, priority, owner, in_groups)| Rule {
                id,
                scope: owner.map_or(Scope::Public, |owner_staff_id| Scope::Private { owner_staff_id }),
                pattern,
                match_words,
                priority,
                in_groups,
            })
    }

    proptest! {
        #[test]
        fn the_compiled_matcher_agrees_with_trying_each_rule(
            rules in prop::collection::vec(any_rule(), 0..12),
            random in text(),
            (before, after) in (text(), text()),
            quote in prop::option::of(any::<prop::sample::Index>()),
            owner in prop::option::of(0i64..3),
            group in any::<bool>(),
        ) {
            // Half the messages quote one of the rules' words, so that matches are common.
            let message = match quote.filter(|_| !rules.is_empty()) {
                Some(i) => {
                    let words = &i.get(&rules).match_words;
                    format!("{before}{}{after}", words.split('|').next().unwrap_or_default())
                }
                None => random,
            };
            // Ids are unique in a company.
            let mut rules = rules;
            rules.sort_by_key(|r| r.id);
            rules.dedup_by_key(|r| r.id);
            let incoming = Incoming { text: &message, number_owner: owner, group };
            let expected = find_naive(&rules, &incoming).map(|r| r.id);
            prop_assert_eq!(Matcher::new(rules).find(&incoming).map(|r| r.id), expected);
        }
    }
}
