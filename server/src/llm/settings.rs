//! The `[llm]` table of `.wbs-lsp.toml` and the `llm` section of client settings.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Ollama's OpenAI-compatible endpoint on its default address: the provider used when
/// nothing is configured (a model must still be named).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434/v1";
pub const DEFAULT_ANTHROPIC_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const DEFAULT_PASSES: u32 = 2;

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Any OpenAI-compatible chat-completions endpoint.
    #[default]
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// A program that reads the prompt on stdin and writes its answer on stdout.
    Command,
}

/// The keys as written; every key is optional. Client settings may spell them in
/// camelCase (`baseUrl`, `apiKeyEnv`, …).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    pub provider: Option<ProviderKind>,
    #[serde(alias = "baseUrl")]
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// The name of the environment variable that holds the API key (never the key).
    #[serde(alias = "apiKeyEnv")]
    pub api_key_env: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    /// For the `command` provider: a program and its arguments (a string is run by `sh -c`).
    pub command: Option<CommandLine>,
    #[serde(alias = "timeoutSecs")]
    pub timeout_secs: Option<u64>,
    #[serde(alias = "maxRetries")]
    pub max_retries: Option<u32>,
    /// How many times leaves still non-atomic are sent back (default 2).
    pub passes: Option<u32>,
    /// A file whose text replaces the built-in prompt for generating from a WBS; its
    /// `{{doc}}` placeholder receives the WBS.
    #[serde(alias = "promptTemplate")]
    pub prompt_template: Option<String>,
    /// The WBS a task list was expanded from, when the document does not link one.
    pub wbs: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CommandLine {
    Shell(String),
    Argv(Vec<String>),
}

impl LlmSettings {
    /// `self`, with every key that `over` sets taken from `over`.
    pub fn overlaid(&self, over: &LlmSettings) -> LlmSettings {
        LlmSettings {
            provider: over.provider.or(self.provider),
            base_url: over.base_url.clone().or_else(|| self.base_url.clone()),
            model: over.model.clone().or_else(|| self.model.clone()),
            api_key_env: over
                .api_key_env
                .clone()
                .or_else(|| self.api_key_env.clone()),
            headers: over.headers.clone().or_else(|| self.headers.clone()),
            command: over.command.clone().or_else(|| self.command.clone()),
            timeout_secs: over.timeout_secs.or(self.timeout_secs),
            max_retries: over.max_retries.or(self.max_retries),
            passes: over.passes.or(self.passes),
            prompt_template: over
                .prompt_template
                .clone()
                .or_else(|| self.prompt_template.clone()),
            wbs: over.wbs.clone().or_else(|| self.wbs.clone()),
        }
    }

    pub fn provider(&self) -> ProviderKind {
        self.provider.unwrap_or_default()
    }

    pub fn passes(&self) -> u32 {
        self.passes.unwrap_or(DEFAULT_PASSES)
    }

    pub fn timeout_secs(&self) -> u64 {
        self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS)
    }

    pub fn max_retries(&self) -> u32 {
        self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)
    }

    /// The endpoint's base URL, with the provider's default.
    pub fn base_url(&self) -> String {
        let url = match (&self.base_url, self.provider()) {
            (Some(url), _) => url.clone(),
            (None, ProviderKind::Anthropic) => DEFAULT_ANTHROPIC_URL.to_string(),
            (None, _) => DEFAULT_BASE_URL.to_string(),
        };
        url.trim_end_matches('/').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let settings = LlmSettings::default();
        assert_eq!(settings.provider(), ProviderKind::Openai);
        assert_eq!(settings.base_url(), DEFAULT_BASE_URL);
        assert_eq!(settings.timeout_secs(), DEFAULT_TIMEOUT_SECS);
        assert_eq!(settings.max_retries(), DEFAULT_MAX_RETRIES);
        assert_eq!(settings.passes(), DEFAULT_PASSES);
        let anthropic = LlmSettings {
            provider: Some(ProviderKind::Anthropic),
            ..LlmSettings::default()
        };
        assert_eq!(anthropic.base_url(), DEFAULT_ANTHROPIC_URL);
        let slashed = LlmSettings {
            base_url: Some("http://h:1/v1//".to_string()),
            ..LlmSettings::default()
        };
        assert_eq!(slashed.base_url(), "http://h:1/v1");
    }

    #[test]
    fn client_settings_in_camel_case() {
        let settings: LlmSettings = serde_json::from_value(serde_json::json!({
            "provider": "anthropic",
            "baseUrl": "http://h",
            "apiKeyEnv": "KEY",
            "timeoutSecs": 5,
            "maxRetries": 0,
            "command": ["llm", "-m", "x"],
            "headers": {"X-A": "b"},
        }))
        .unwrap();
        assert_eq!(settings.provider, Some(ProviderKind::Anthropic));
        assert_eq!(settings.base_url.as_deref(), Some("http://h"));
        assert_eq!(settings.api_key_env.as_deref(), Some("KEY"));
        assert_eq!(settings.timeout_secs, Some(5));
        assert_eq!(settings.max_retries, Some(0));
        assert_eq!(
            settings.command,
            Some(CommandLine::Argv(vec![
                "llm".into(),
                "-m".into(),
                "x".into()
            ]))
        );
        let shell: LlmSettings =
            serde_json::from_value(serde_json::json!({"command": "llm -m x"})).unwrap();
        assert_eq!(shell.command, Some(CommandLine::Shell("llm -m x".into())));
        assert!(serde_json::from_value::<LlmSettings>(serde_json::json!({"modle": "x"})).is_err());
    }

    #[test]
    fn overlaid_takes_what_the_overlay_sets() {
        let file = LlmSettings {
            model: Some("file".to_string()),
            timeout_secs: Some(30),
            ..LlmSettings::default()
        };
        let client = LlmSettings {
            model: Some("client".to_string()),
            max_retries: Some(5),
            ..LlmSettings::default()
        };
        let both = file.overlaid(&client);
        assert_eq!(both.model.as_deref(), Some("client"));
        assert_eq!(both.timeout_secs, Some(30));
        assert_eq!(both.max_retries, Some(5));
    }
}
