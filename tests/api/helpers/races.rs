//! What racing-writer tests share: spellings of one name, and the tally of their answers.

use reqwest::StatusCode;

use super::*;

/// `count` distinct spellings of one name that differ only in letter case.
pub fn case_variants(name: &str, count: usize) -> Vec<String> {
    let letters: Vec<usize> = name
        .char_indices()
        .filter(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i)
        .collect();
    assert!(
        1usize << letters.len() >= count,
        "not enough letters in {name}"
    );
    (0..count)
        .map(|mask| {
            name.char_indices()
                .map(|(i, c)| match letters.iter().position(|&l| l == i) {
                    Some(bit) if mask & (1 << bit) != 0 => c.to_uppercase().collect::<String>(),
                    _ => c.to_lowercase().collect(),
                })
                .collect()
        })
        .collect()
}

/// (201s, 409s), asserting every reply is one or the other.
pub fn tally(replies: &[Reply]) -> (usize, usize) {
    for reply in replies {
        assert!(
            matches!(reply.status.as_u16(), 201 | 409),
            "unexpected {}: {}",
            reply.status,
            reply.body
        );
    }
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    (created, replies.len() - created)
}
