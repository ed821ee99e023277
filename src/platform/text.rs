//! Rules for human-chosen names that every subsystem shares.

use unicode_normalization::UnicodeNormalization;

/// Case- and normalization-insensitive comparison key: the Unicode full case fold of the
/// canonically decomposed text, recomposed (NFC). `ÆGIR Öl`, `ægir öl` and a decomposed
/// `ægir öl` share one key, and `STRASSE` matches `straße`. SQLite's `lower()`/`NOCASE`
/// fold ASCII only, so keys are computed here and UNIQUE constraints on them decide.
pub fn fold_key(text: &str) -> String {
    let decomposed: String = text.nfd().collect();
    caseless::default_case_fold_str(&decomposed).nfc().collect()
}

/// ISO-8601 UTC with milliseconds and `Z` (milliseconds since the epoch), as identity
/// clients parse it.
pub fn iso8601(millis: i64) -> String {
    let at = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}

/// Echoes client input in a fault without control characters and at a bounded length.
pub fn printable(raw: &str) -> String {
    const MAX_ECHO: usize = 64;
    let mut shown: String = raw
        .chars()
        .take(MAX_ECHO)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if raw.chars().count() > MAX_ECHO {
        shown.push('…');
    }
    shown
}

/// The first character that cannot survive a round trip through JSON and XML 1.0: a
/// control character (tab, LF and CR only where `allow_line_breaks`) or U+FFFE/U+FFFF.
pub fn forbidden_character(text: &str, allow_line_breaks: bool) -> Option<char> {
    text.chars().find(|&c| {
        let line_break = matches!(c, '\t' | '\n' | '\r');
        (c.is_control() && !(allow_line_breaks && line_break))
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    })
}
