// Temporary stand-in until the clause analyser lands.
pub fn actions(title: &str) -> Vec<String> {
    title.split(" and ").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}
pub fn starts_with_action_verb(title: &str) -> bool {
    title.split_whitespace().next().is_some_and(is_action_verb)
}
pub fn is_action_verb(word: &str) -> bool {
    ["add", "implement", "create", "configure", "write", "run", "validate", "verify", "document", "set", "build", "deploy"]
        .contains(&word.to_ascii_lowercase().as_str())
}
