//! Configuration: `.wbs-lsp.toml` (found in the workspace root or a parent of the file) and
//! the same keys from the client's settings. Client settings win over the file, key by key:
//! they are the user's own choice for this editor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::llm::LlmSettings;
use crate::model::Profile;
use crate::rules::{Code, RuleSettings, Severity};

pub const FILE_NAME: &str = ".wbs-lsp.toml";
pub const DEFAULT_INCLUDE: [&str; 2] = ["**/*task*.md", "**/*wbs*.md"];
/// A Markdown file outside the include globs is analysed when it has this many nodes.
pub const MIN_NODES_TO_ANALYSE: usize = 3;

/// The keys as written, in the file or in client settings; every key is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawConfig {
    pub profile: Option<ProfileSetting>,
    pub include: Option<Vec<String>>,
    pub severity: Option<BTreeMap<String, Severity>>,
    pub disabled: Option<Vec<String>>,
    /// The `[llm]` table: which model expands nodes and generates task lists.
    pub llm: Option<LlmSettings>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileSetting {
    Auto,
    ThreeStage,
    Generic,
}

impl RawConfig {
    /// `self`, with every key that `over` sets taken from `over`.
    pub fn overlaid(&self, over: &RawConfig) -> RawConfig {
        RawConfig {
            profile: over.profile.or(self.profile),
            include: over.include.clone().or_else(|| self.include.clone()),
            severity: over.severity.clone().or_else(|| self.severity.clone()),
            disabled: over.disabled.clone().or_else(|| self.disabled.clone()),
            llm: match (&self.llm, &over.llm) {
                (Some(mine), Some(theirs)) => Some(mine.overlaid(theirs)),
                (mine, theirs) => theirs.clone().or_else(|| mine.clone()),
            },
        }
    }

    pub fn from_toml(text: &str) -> Result<RawConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Client settings arrive as JSON; a `wbs-lsp` or `wbsLsp` section is looked into.
    pub fn from_json(value: &serde_json::Value) -> Result<RawConfig, String> {
        let section = ["wbs-lsp", "wbsLsp", "wbs_lsp"]
            .iter()
            .find_map(|k| value.get(k))
            .unwrap_or(value);
        if section.is_null() {
            return Ok(RawConfig::default());
        }
        let mut section = section.clone();
        // Settings of other features (capabilities, the editor's own) are read elsewhere.
        if let Some(object) = section.as_object_mut() {
            object.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "profile" | "include" | "severity" | "disabled" | "llm"
                )
            });
        }
        serde_json::from_value(section).map_err(|e| e.to_string())
    }

    /// Checks the keys and builds the configuration the rules use.
    pub fn resolve(&self) -> Result<Config, String> {
        let profile = match self.profile.unwrap_or(ProfileSetting::Auto) {
            ProfileSetting::Auto => None,
            ProfileSetting::ThreeStage => Some(Profile::ThreeStage),
            ProfileSetting::Generic => Some(Profile::Generic),
        };
        let unknown = |name: &str| {
            let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            format!(
                "unknown diagnostic code \"{name}\" (known: {})",
                names.join(", ")
            )
        };
        let mut rules = RuleSettings::default();
        for (name, severity) in self.severity.iter().flatten() {
            rules
                .severity
                .push((Code::parse(name).ok_or_else(|| unknown(name))?, *severity));
        }
        for name in self.disabled.iter().flatten() {
            rules
                .disabled
                .push(Code::parse(name).ok_or_else(|| unknown(name))?);
        }
        let patterns: Vec<String> = match &self.include {
            Some(list) => list.clone(),
            None => DEFAULT_INCLUDE.iter().map(|s| s.to_string()).collect(),
        };
        let mut builder = GlobSetBuilder::new();
        for pattern in &patterns {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("include pattern \"{pattern}\": {e}"))?;
            builder.add(glob);
        }
        let include = builder.build().map_err(|e| e.to_string())?;
        Ok(Config {
            profile,
            rules,
            include,
            llm: self.llm.clone().unwrap_or_default(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub profile: Option<Profile>,
    pub rules: RuleSettings,
    include: GlobSet,
    pub llm: LlmSettings,
}

impl Default for Config {
    fn default() -> Self {
        RawConfig::default()
            .resolve()
            .expect("the defaults are valid")
    }
}

impl Config {
    /// Whether a file is a task list by its name alone.
    pub fn includes(&self, path: &Path) -> bool {
        self.include.is_match(path)
    }
}

/// Whether client settings are meant for this server: they have its section (even empty,
/// as when the user cleared every setting), or one of its keys at the top level. Empty or
/// foreign settings (Eglot sends `{}`) change nothing.
pub fn has_settings(value: &serde_json::Value) -> bool {
    if ["wbs-lsp", "wbsLsp", "wbs_lsp"]
        .iter()
        .any(|k| value.get(k).is_some_and(|s| !s.is_null()))
    {
        return true;
    }
    value.as_object().is_some_and(|object| {
        object.keys().any(|k| {
            matches!(
                k.as_str(),
                "profile" | "include" | "severity" | "disabled" | "llm"
            )
        })
    })
}

/// The nearest `.wbs-lsp.toml` in the file's folder or a parent, not above `stop_at`
/// when given (the server reads nothing outside the workspace folders).
pub fn find_file(start: &Path, stop_at: Option<&Path>) -> Option<PathBuf> {
    let mut dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        if stop_at.is_some_and(|s| !d.starts_with(s)) {
            return None;
        }
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads and parses a configuration file; the error names the file.
pub fn read_file(path: &Path) -> Result<RawConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    RawConfig::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Which language features the server offers; each can be turned off so the server can
/// run beside another Markdown server (marksman, markdown-oxide, VS Code's own) without
/// showing a second outline, folding or hover. Read from `initializationOptions`
/// (`capabilities`, at the top level or under `wbs-lsp`), since capabilities are fixed at
/// initialize.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Capabilities {
    pub document_symbol: bool,
    pub folding_range: bool,
    pub hover: bool,
    pub definition: bool,
    pub references: bool,
    pub document_highlight: bool,
    pub completion: bool,
    pub rename: bool,
    pub inlay_hint: bool,
    pub workspace_symbol: bool,
    pub code_action: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            document_symbol: true,
            folding_range: true,
            hover: true,
            definition: true,
            references: true,
            document_highlight: true,
            completion: true,
            rename: true,
            inlay_hint: true,
            workspace_symbol: true,
            code_action: true,
        }
    }
}

impl Capabilities {
    /// Reads `capabilities` from client settings; anything unreadable keeps the defaults.
    pub fn from_json(value: &serde_json::Value) -> Capabilities {
        let section = ["wbs-lsp", "wbsLsp", "wbs_lsp"]
            .iter()
            .find_map(|k| value.get(k))
            .unwrap_or(value);
        section
            .get("capabilities")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        let raw = RawConfig::from_toml(
            "profile = \"generic\"\ndisabled = [\"not-actionable\"]\n[severity]\nnon-atomic = \"error\"\n",
        )
        .unwrap();
        let config = raw.resolve().unwrap();
        assert_eq!(config.profile, Some(Profile::Generic));
        assert_eq!(config.rules.disabled, [Code::NotActionable]);
        assert_eq!(config.rules.severity, [(Code::NonAtomic, Severity::Error)]);
        assert!(config.includes(Path::new("/x/ai_docs/tasks/tasks_list.md")));
        assert!(config.includes(Path::new("project-wbs.md")));
        assert!(!config.includes(Path::new("/x/tasks/README.md")));
    }

    #[test]
    fn errors_are_clear() {
        assert!(RawConfig::from_toml("profil = 1")
            .unwrap_err()
            .contains("profil"));
        let bad = RawConfig {
            disabled: Some(vec!["non-atomc".into()]),
            ..RawConfig::default()
        };
        assert!(bad.resolve().unwrap_err().contains("non-atomc"));
    }

    #[test]
    fn settings_meant_for_this_server() {
        use serde_json::json;
        assert!(!has_settings(&json!({})));
        assert!(!has_settings(&json!(null)));
        assert!(!has_settings(&json!({"editor": {"tabSize": 2}})));
        assert!(has_settings(&json!({"wbsLsp": {}})));
        assert!(has_settings(&json!({"profile": "generic"})));
        assert!(has_settings(&json!({"wbs-lsp": {"disabled": []}})));
    }

    #[test]
    fn client_settings_overlay_the_file() {
        let file =
            RawConfig::from_toml("profile = \"generic\"\ndisabled = [\"too-deep\"]").unwrap();
        let client = RawConfig::from_json(
            &serde_json::json!({"wbsLsp": {"profile": "three-stage", "llm": {}}}),
        )
        .unwrap();
        let merged = file.overlaid(&client);
        assert_eq!(merged.profile, Some(ProfileSetting::ThreeStage));
        assert_eq!(merged.disabled, Some(vec!["too-deep".to_string()]));
    }
}
