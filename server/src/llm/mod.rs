//! Large language models: settings, providers (OpenAI-compatible, Anthropic, a local
//! command), and the tolerant reading of their answers.
//!
//! The model only proposes content ([`ProposedTask`] trees); numbering, formatting,
//! notes, check tasks and validation belong to the callers (`crate::expand`,
//! `crate::generate`), so what lands in a file always meets the rules.

pub mod answer;
pub mod provider;
pub mod settings;
pub mod sse;
#[doc(hidden)]
pub mod testing;

pub use answer::{parse_answer, tasks_schema, ProposedTask};
pub use provider::{Event, Llm, LlmError, Prompt};
pub use settings::{CommandLine, LlmSettings, ProviderKind};
