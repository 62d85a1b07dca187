//! PERF-6: finding the auto reply for one message among 10,000 active rules of mixed patterns
//! and languages, and rebuilding the compiled matcher after a change.

use rapport_domain::auto_reply::{Incoming, Matcher, Pattern, Rule, Scope, find_naive};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

/// Words in the five languages the product serves, combined into rules' match words.
const WORDS: [&str; 20] = [
    "price",
    "delivery",
    "discount",
    "refund",
    "size",
    "价格",
    "发货",
    "退款",
    "尺码",
    "优惠",
    "giá",
    "giao hàng",
    "khuyến mãi",
    "preț",
    "livrare",
    "reducere",
    "цена",
    "доставка",
    "скидка",
    "возврат",
];

/// `count` rules: a third of each pattern, a quarter private to one of 50 owners, each with
/// its own numbered words so that the automaton holds tens of thousands of patterns.
fn rules(count: usize) -> Vec<Rule> {
    (0..count)
        .map(|i| {
            let word = WORDS[i % WORDS.len()];
            let (pattern, match_words) = match i % 3 {
                0 => (Pattern::ContainsAny, format!("{word}{i}|{word} {i}|code{i}")),
                1 => (Pattern::EqualsAny, format!("{word} please {i}|{word}?{i}")),
                _ => (Pattern::WholeText, format!("what about {word} {i}")),
            };
            let scope = if i % 4 == 3 { Scope::Private { owner_staff_id: (i % 50) as i64 } } else { Scope::Public };
            Rule { id: i as i64 + 1, scope, pattern, match_words, priority: (i % 5) as i64, in_groups: false }
        })
        .collect()
}

struct Row {
    case: &'static str,
    samples: Vec<Duration>,
}

fn time(case: &'static str, iterations: usize, mut f: impl FnMut()) -> Row {
    for _ in 0..iterations / 10 {
        f();
    }
    let samples = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    Row { case, samples }
}

pub fn run(count: usize) -> anyhow::Result<()> {
    let all = rules(count);
    let started = Instant::now();
    let matcher = Matcher::new(all.clone());
    let first_build = started.elapsed();
    // Rules repeat every 60 (20 words × 3 patterns): pick ones near the end of the list.
    let base = (count / 60).saturating_sub(1) * 60;
    let messages: [(&'static str, String, bool); 5] = [
        ("contains, English", format!("hi, do you have code{} in stock?", base), true),
        ("contains, Chinese", format!("请问 价格{} 是多少", base + 45), true),
        ("equals any, Russian", format!("Цена please {}", base + 16), true),
        ("whole text, Vietnamese", format!("What about GIÁ {}", base + 50), true),
        (
            "no rule matches (a long message)",
            "Hello! I ordered the blue jacket last week and wanted to ask when it will arrive. ".repeat(4),
            false,
        ),
    ];
    let mut rows = Vec::new();
    for (case, text, matches) in &messages {
        let incoming = Incoming { text, number_owner: Some(7), group: false };
        let expected = find_naive(&all, &incoming).map(|r| r.id);
        anyhow::ensure!(matcher.find(&incoming).map(|r| r.id) == expected, "the matcher disagrees on {case}");
        anyhow::ensure!(expected.is_some() == *matches, "{case}: expected a match: {matches}");
        rows.push(time(case, 20_000, || {
            black_box(matcher.find(black_box(&incoming)));
        }));
    }
    let naive_text = &messages[4].1;
    let incoming = Incoming { text: naive_text, number_owner: Some(7), group: false };
    rows.push(time("for comparison: each rule in turn (no match)", 20, || {
        black_box(find_naive(black_box(&all), &incoming));
    }));
    rows.push(time("rebuild after a change (whole matcher)", 10, || {
        black_box(Matcher::new(black_box(all.clone())));
    }));

    let mut out = std::io::stdout();
    writeln!(
        out,
        "\nAuto reply — {count} active rules (⅓ each pattern, ¼ private), five languages; first build {:.1} ms",
        first_build.as_secs_f64() * 1000.0
    )?;
    writeln!(out, "| case | runs | p50 µs | p95 µs | p99 µs | max µs |")?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
    for row in rows {
        let mut sorted = row.samples;
        sorted.sort();
        let us = |p: f64| {
            let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
            sorted[index].as_secs_f64() * 1e6
        };
        writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            row.case,
            sorted.len(),
            us(0.5),
            us(0.95),
            us(0.99),
            us(1.0)
        )?;
    }
    Ok(())
}
