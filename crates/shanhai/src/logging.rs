//! Where the log goes and in what shape: JSON lines (one object per line, the request's id and
//! route template among its fields) when standard error is not a terminal, coloured text when it
//! is; `--log-format json|text` (or `SHANHAI_LOG_FORMAT`) decides instead. Only a terminal ever
//! gets colour escapes.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

pub fn init(format: Option<LogFormat>) {
    let terminal = std::io::stderr().is_terminal();
    let format = format.unwrap_or(if terminal {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal);
    match format {
        LogFormat::Json => builder
            .json()
            // The request's span fields (request_id, method, route) at the top level of
            // each line; the list of enclosing spans would repeat them.
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}
