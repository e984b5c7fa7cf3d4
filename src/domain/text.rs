//! Private text helpers shared by the validators: control-character policy,
//! full-width to ASCII folding and whitespace collapsing.

/// True for characters that must never be stored in free text or identifiers:
/// C0/C1 control characters, plus the Unicode bidirectional override/isolate
/// characters (used for "Trojan source" style spoofing) and the BOM.
/// When `allow_layout` is true, `\n`, `\r` and `\t` are permitted.
pub(crate) fn is_forbidden_control(c: char, allow_layout: bool) -> bool {
    if allow_layout && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Folds a full-width ASCII variant (U+FF01..=U+FF5E, as produced by Japanese
/// IMEs) to its ASCII counterpart; other characters are returned unchanged.
pub(crate) fn fold_full_width(c: char) -> char {
    let code = u32::from(c);
    if (0xFF01..=0xFF5E).contains(&code) {
        char::from_u32(code - 0xFF01 + 0x21).unwrap_or(c)
    } else {
        c
    }
}

/// Collapses every run of whitespace (including the ideographic space U+3000)
/// into a single ASCII space. The input is expected to be trimmed already.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_forbidden_except_layout_when_allowed() {
        assert!(is_forbidden_control('\u{0}', true));
        assert!(is_forbidden_control('\u{7F}', true));
        assert!(is_forbidden_control('\u{85}', true));
        assert!(is_forbidden_control('\u{202E}', true));
        assert!(is_forbidden_control('\n', false));
        assert!(!is_forbidden_control('\n', true));
        assert!(!is_forbidden_control('\t', true));
        assert!(!is_forbidden_control('あ', false));
        assert!(!is_forbidden_control(' ', false));
    }

    #[test]
    fn full_width_folds_to_ascii() {
        let folded: String = "ＡＢｃ１２３，（）".chars().map(fold_full_width).collect();
        assert_eq!(folded, "ABc123,()");
        assert_eq!(fold_full_width('円'), '円');
        assert_eq!(fold_full_width('\u{3000}'), '\u{3000}');
    }

    #[test]
    fn whitespace_runs_collapse() {
        assert_eq!(collapse_whitespace("a  b\u{3000}\u{3000}c\td"), "a b c d");
        assert_eq!(collapse_whitespace("abc"), "abc");
    }
}
