//! "Did you mean" hints: the known name closest to a misspelt one.

/// The expected name closest to `field`, if it is close enough to be a likely typo.
pub fn closest<'a>(field: &str, expected: &[&'a str]) -> Option<&'a str> {
    let lower = field.to_ascii_lowercase();
    expected
        .iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase()),
                *candidate,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_only_likely_typos() {
        assert_eq!(
            closest("adress", &["address", "token_env"]),
            Some("address")
        );
        assert_eq!(closest("Acton", &["Name", "Action"]), Some("Action"));
        assert_eq!(closest("zzz", &["address", "token_env"]), None);
    }
}
