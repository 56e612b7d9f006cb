//! The words of a query and how far apart two words are: what typo tolerance is built on.
//!
//! The rules are the ones shoppers know from Meilisearch: no typo in a word of 1–4 letters,
//! one from 5, two from 9, a transposition ("sohe") counting as one typo (optimal string
//! alignment), and only the last word read as a prefix, since the shopper may still be typing it.

use unicode_normalization::UnicodeNormalization;

use crate::types::NamePart;

/// Words of a query that are read; "something for a birthday party in june" is eight.
pub const MAX_WORDS: usize = 8;
/// Longer "words" are cut: no catalog word is this long, and distances stay cheap.
pub const MAX_WORD_CHARS: usize = 40;

/// The words of a query: split at anything that is not a letter or a digit (so tsquery syntax,
/// SQL and HTML are just separators), lowercased, at most `MAX_WORDS` of them. Accents are
/// folded by the database (`search_fold`), the same function that folded the catalog.
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.chars().take(MAX_WORD_CHARS).collect::<String>().to_lowercase())
        .take(MAX_WORDS)
        .collect()
}

/// How many typos a query word of this many letters may have.
pub fn allowed_typos(word: &str) -> usize {
    allowed_typos_len(word.chars().count())
}

/// Edits (insert, delete, substitute, swap two neighbours) between two words.
pub fn typo_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa(&a, &b)
}

/// Typos between `query` and the start of `word`, for the last word of a query: "banj" is
/// 0 from "banjo", "bnajo" 1.
pub fn prefix_typo_distance(query: &str, word: &str) -> usize {
    let query: Vec<char> = query.chars().collect();
    let word: Vec<char> = word.chars().collect();
    let slack = allowed_typos_len(query.len());
    let shortest = query.len().saturating_sub(slack).max(1);
    let longest = (query.len() + slack).min(word.len());
    (shortest..=longest).map(|end| osa(&query, &word[..end])).min().unwrap_or(usize::MAX)
}

fn allowed_typos_len(letters: usize) -> usize {
    match letters {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Optimal string alignment distance (Damerau–Levenshtein without moving a letter twice).
fn osa(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        rows[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        rows[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[at(i - 1, j)] + 1)
                .min(rows[at(i, j - 1)] + 1)
                .min(rows[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[at(i - 2, j - 2)] + 1);
            }
            rows[at(i, j)] = best;
        }
    }
    rows[at(a.len(), b.len())]
}

/// Lowercase without accents, for comparing a name's words with matched catalog words
/// ("Café" → "cafe"); the database's `unaccent` folds a few more letters (ß → ss), which
/// then simply go unmarked.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// `name` in pieces, the words that begin with one of `matched` (folded catalog words, and
/// the prefix the shopper typed last) marked, for the results' highlighting.
pub fn highlight(name: &str, matched: &[String]) -> Vec<NamePart> {
    let mut parts: Vec<NamePart> = Vec::new();
    let mut push = |text: &str, is_word: bool| {
        let hit = is_word && {
            let folded = fold(text);
            matched.iter().any(|word| !word.is_empty() && folded.starts_with(word.as_str()))
        };
        match parts.last_mut() {
            Some(last) if last.matched == hit => last.text.push_str(text),
            _ => parts.push(NamePart { text: text.to_owned(), matched: hit }),
        }
    };
    let mut start = 0;
    let mut in_word = false;
    for (index, c) in name.char_indices() {
        let letter = c.is_alphanumeric();
        if index > start && letter != in_word {
            push(&name[start..index], in_word);
            start = index;
        }
        in_word = letter;
    }
    if start < name.len() {
        push(&name[start..], in_word);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_is_only_a_separator() {
        assert_eq!(
            query_words("  Red & (shoes):* | !x' \\ 'DROP TABLE'; <b>"),
            ["red", "shoes", "x", "drop", "table", "b"]
        );
        assert_eq!(query_words("Café crème"), ["café", "crème"]);
        assert!(query_words(" \t ").is_empty());
        assert_eq!(query_words(&"a ".repeat(100)).len(), MAX_WORDS);
        assert_eq!(query_words(&"x".repeat(500))[0].len(), MAX_WORD_CHARS);
    }

    #[test]
    fn typos_follow_the_rules_shoppers_know() {
        assert_eq!(allowed_typos("shoe"), 0);
        assert_eq!(allowed_typos("guitar"), 1);
        assert_eq!(allowed_typos("telephone"), 2);
        assert_eq!(typo_distance("guitar", "guitar"), 0);
        assert_eq!(typo_distance("giutar", "guitar"), 1, "a swap is one typo");
        assert_eq!(typo_distance("guitr", "guitar"), 1);
        assert_eq!(typo_distance("guitaar", "guitar"), 1);
        assert_eq!(typo_distance("guitor", "guitar"), 1);
        assert_eq!(typo_distance("telefone", "telephone"), 2);
    }

    #[test]
    fn the_last_word_is_a_prefix_with_typos_allowed_by_its_length() {
        assert_eq!(prefix_typo_distance("ban", "banjo"), 0);
        // One swap from "ban", and a 3-letter word takes none.
        assert_eq!(prefix_typo_distance("bna", "banjo"), 1);
        assert_eq!(allowed_typos("bna"), 0);
        assert_eq!(prefix_typo_distance("guiat", "guitar"), 1);
        assert_eq!(prefix_typo_distance("telephon", "telephone"), 0);
    }

    #[test]
    fn matched_words_are_marked_in_the_name() {
        let parts = highlight("Café Crème, large", &["cafe".into(), "lar".into()]);
        let marked: Vec<(&str, bool)> =
            parts.iter().map(|part| (part.text.as_str(), part.matched)).collect();
        assert_eq!(marked, [("Café", true), (" Crème, ", false), ("large", true)]);
        let joined: String = parts.iter().map(|part| part.text.as_str()).collect();
        assert_eq!(joined, "Café Crème, large");
    }
}
